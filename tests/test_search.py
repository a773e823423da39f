"""Ranked full-text search (questions/search.py): the same results and order on SQLite (FTS5)
and PostgreSQL (tsvector), kept in sync with the questions, safe against any typed text."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questions import search
from questions.models import Question
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db


def found(text: str, user=None) -> list[str]:
    questions = Question.objects.all() if user is None else Question.objects.visible_to(user)
    return list(questions.search(text).values_list("slug", flat=True))


@pytest.fixture
def bank(db):
    seed_loop()
    make_question(slug="in-answer", title="Training tricks", prompt="Name a few.",
                  answer="Dropout and weight decay are forms of regularization.")  # fmt: skip
    make_question(slug="in-prompt", title="Overfitting", prompt="How does regularization help?",
                  answer="It limits capacity.")  # fmt: skip
    make_question(slug="in-title", title="Regularization in linear models", prompt="Compare L1.",
                  answer="L1 gives sparse weights.")  # fmt: skip
    make_question(slug="unrelated", title="Binary search", prompt="Find a value.",
                  answer="Halve the interval each step.")  # fmt: skip


def test_parse_reads_words_phrases_exclusions_and_the_word_being_typed():
    query = search.parse('Gradient "weight decay" -adam regul')
    assert query.words == ["gradient", "regul"] and query.phrases == [["weight", "decay"]]
    assert query.excluded == ["adam"] and query.prefix
    assert not search.parse("regul ").prefix
    assert search.parse('"single"').words == ["single"]
    assert search.parse("   ").is_empty and search.parse("-only -excluded").is_empty
    assert len(search.parse(" ".join(f"w{i}" for i in range(30))).words) == search.MAX_TERMS


def test_title_matches_come_first_then_prompt_then_answer(bank):
    assert found("regularization") == ["in-title", "in-prompt", "in-answer"]


def test_words_are_stemmed_and_the_last_word_matches_as_a_prefix(bank):
    assert set(found("regularizing")) == {"in-title", "in-prompt", "in-answer"}
    assert found("regul")[:1] == ["in-title"] and len(found("regul")) == 3
    assert found("regul ") == []  # a finished word is a word, not a prefix
    assert found("halve interval") == ["unrelated"]


def test_phrases_and_exclusions(bank):
    assert found('"weight decay"') == ["in-answer"]
    assert found('"decay weight"') == []
    assert found("regularization -sparse") == ["in-prompt", "in-answer"]


@pytest.mark.parametrize(
    "text",
    ['"', "'", "*", ")", "(", "NOT", "AND OR NOT", "title:", "{title}:x", "a:*", "!&|<->",
     "\\", "x' OR '1'='1", "\x00", "ü ñ 中文", "NEAR(a b)", '"unclosed phrase', "-", "--", "^"],
)  # fmt: skip
def test_any_typed_text_is_searched_never_parsed_as_syntax(bank, text):
    found(text)  # no database error, whatever the text


def test_the_index_follows_creates_edits_and_deletes(bank):
    question = Question.objects.get(slug="unrelated")
    question.title = "Bisection on sorted arrays"
    question.save()
    assert found("bisection") == ["unrelated"] and found("binary") == []
    Question.objects.filter(slug="unrelated").update(answer="Quartering.")
    assert found("quartering") == ["unrelated"] and found("halve") == []
    make_question(slug="fresh", title="Quantization of weights")
    assert found("quantization") == ["fresh"]
    Question.objects.filter(slug="fresh").delete()
    assert found("quantization") == []


def test_search_respects_visibility(bank, alice, charlie):
    make_question(slug="private-one", owner=alice, title="Regularization secrets")
    assert "private-one" in found("regularization", alice)
    assert "private-one" not in found("regularization", charlie)


def test_highlight_marks_the_words_and_escapes_everything_else():
    query = search.parse("regularization")
    html = search.highlight("<b>Regularization</b> & regularized", query)
    assert html == "&lt;b&gt;<mark>Regularization</mark>&lt;/b&gt; &amp; <mark>regularized</mark>"


def test_bank_page_ranks_highlights_and_shows_each_rows_status(alice_client, alice, bank):
    from questions.models import Card

    Card.objects.create(user=alice, question=Question.objects.get(slug="in-prompt"), reps=1,
                        solved=True, due="2999-01-01T00:00:00Z")  # fmt: skip
    make_question(slug="mine-too", owner=alice, title="Regularization my way")
    response = alice_client.get(reverse("questions:list"), {"q": "regularization"})
    rows = [q.slug for q in response.context["page"].object_list]
    assert rows[:2] == ["in-title", "mine-too"] or rows[:2] == ["mine-too", "in-title"]
    assert rows[2:] == ["in-prompt", "in-answer"]
    html = response.content.decode()
    assert "<mark>Regularization</mark> in linear models" in html
    assert "forms of <mark>regularization</mark>" in html  # the answer's excerpt
    assert 'badge-solved">solved' in html and 'badge-mine">mine' in html
    assert 'badge-new">new' in html


def test_bank_search_query_count_does_not_grow_with_matches(alice_client, bank):
    url = reverse("questions:list")
    with CaptureQueriesContext(connection) as few:
        alice_client.get(url, {"q": "regularization"})
    for i in range(60):
        make_question(slug=f"more-{i}", title=f"Regularization variant {i}", tags=["a", "b"])
    with CaptureQueriesContext(connection) as many:
        alice_client.get(url, {"q": "regularization"})
    assert len(many) == len(few)


def test_the_database_keeps_its_own_search_index():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'questions_question_search_vector'"
            )
            (definition,) = cursor.fetchone()
            assert "gin" in definition and "search_vector" in definition
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            triggers = [row[0] for row in cursor.fetchall()]
            # Django rebuilds SQLite tables for some schema changes, dropping their triggers:
            # a later migration that does so must reinstall them (see migration 0009).
            assert triggers == [f"{search.FTS_TABLE}_{n}" for n in ("delete", "insert", "update")]


def test_a_huge_result_is_counted_up_to_a_bound(alice_client, bank, monkeypatch):
    from questions.views import bank as bank_views

    monkeypatch.setattr(bank_views, "MAX_COUNTED", 2)
    response = alice_client.get(reverse("questions:list"), {"q": "regularization"})
    assert "2+ questions" in response.content.decode()
    assert response.context["page"].paginator.num_pages == 1
    response = alice_client.get(reverse("questions:list"), {"q": "halve"})
    assert "1 question" in response.content.decode()
