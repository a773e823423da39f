"""The shared cache of question content: used, never stale, never a way around visibility."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questions import content_cache
from questions.authoring import save_question
from questions.bankfile import parse
from questions.models import Hint
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loop(db):
    seed_loop()


def question_url(question):
    return reverse("questions:detail", args=[question.slug])


def content_queries(client, url) -> list[str]:
    """The queries of one page view that read question content tables."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    tables = ("questions_hint", "questions_choice", "questions_rubricpoint", "questions_tag")
    return [q["sql"] for q in queries if any(f'FROM "{t}"' in q["sql"] for t in tables)]


def test_a_second_view_reads_the_content_from_the_cache(alice_client):
    question = make_question(hints=["Think of the gradient"])
    assert content_queries(alice_client, question_url(question))  # first view: from the DB
    assert content_queries(alice_client, question_url(question)) == []


def test_an_edited_question_is_never_served_stale(alice, alice_client):
    question = make_question(owner=alice, hints=["Old hint"], prompt="Old prompt text.")
    assert b"Old prompt text." in alice_client.get(question_url(question)).content
    text = (
        "---\ntitle: Edited\ncategory: ml-fundamentals\nkind: flashcard\n"
        "difficulty: easy\nrounds: [technical-screen]\ntags: [general]\n---\n\nNew prompt text.\n\n"
        "## Answer\n\nNew answer.\n\n## Hints\n\n- New hint\n\n## Rubric\n\n- One\n- Two\n- Three\n"
    )
    save_question(
        parse(text, f"{question.slug}.md"), owner=alice, visibility="private", question=question
    )
    page = alice_client.get(question_url(question)).content
    assert b"New prompt text." in page and b"Old prompt text." not in page


def test_a_part_changed_on_its_own_is_seen_too(alice_client):
    """The admin can edit a hint without touching its question: its signal still counts."""
    question = make_question(hints=["Before the edit"])
    alice_client.get(question_url(question))
    hint = Hint.objects.get(question=question)
    hint.text = "After the edit"
    hint.save()
    assert b"After the edit" in alice_client.get(f"{question_url(question)}?hints=1").content


def test_a_cached_private_question_stays_private(bob, alice_client):
    """Bob's visit caches his private question; Alice still gets a 404, not the cache."""
    private = make_question(owner=bob, prompt="Bob's secret prompt.")
    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.get(question_url(private)).status_code == 200
    response = alice_client.get(question_url(private))
    assert response.status_code == 404
    assert b"secret" not in response.content


def test_unsharing_takes_effect_at_once(bob, alice_client):
    shared = make_question(owner=bob, visibility="shared")
    assert alice_client.get(question_url(shared)).status_code == 200
    shared.visibility = "private"
    shared.save()
    assert alice_client.get(question_url(shared)).status_code == 404


def test_the_version_moves_again_after_commit(django_capture_on_commit_callbacks):
    """Bumped at the write (this transaction sees it) and after commit (a reader that cached
    the old row between the two is not read again)."""
    before = content_cache.bank_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_question()
    during = content_cache.bank_version()
    assert during != before
    assert content_cache.bank_changed in callbacks
    for callback in callbacks:
        callback()
    assert content_cache.bank_version() not in {before, during}


def test_bulk_writers_bump_once(django_capture_on_commit_callbacks):
    before = content_cache.bank_version()
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        content_cache.one_bank_change(),
    ):
        make_question()
        make_question()
        assert content_cache.bank_version() == before  # rows alone do not bump inside
    assert content_cache.bank_version() != before
    assert callbacks.count(content_cache.bank_changed) == 1


def test_a_missing_question_is_a_404_and_not_cached(alice_client):
    url = reverse("questions:detail", args=["no-such-question"])
    assert alice_client.get(url).status_code == 404
    make_question(slug="no-such-question")
    assert alice_client.get(url).status_code == 200
