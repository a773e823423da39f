"""Users' own questions: write, preview, edit, duplicate, delete, share; and who may do what."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questions import authoring, runner
from questions.bankfile import dump
from questions.models import Card, Note, Question, Review
from tests.conftest import needs_bwrap
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db

NEW = reverse("questions:my_new")
PREVIEW = reverse("questions:my_preview")
MINE = reverse("questions:my_questions")

DOUBLE_TESTS = (
    "def test_example():\n    assert double(2) == 4\n\n"
    "def test_zero():\n    assert double(0) == 0\n"
)


@pytest.fixture(autouse=True)
def loop(db):
    seed_loop()


@pytest.fixture
def runs(monkeypatch):
    """A stand-in for the sandbox: records what it was asked to run and passes every test
    unless told otherwise. The real sandbox is exercised by the tests marked needs_bwrap."""
    calls = []

    def fake_run(language, code, test_code, **kwargs):
        calls.append((language, code, test_code))
        if "BROKEN" in code:
            return runner.RunResult(tests=[runner.TestResult("test_zero", False, "assert 1 == 0")])
        passed = [runner.TestResult("test_example", True), runner.TestResult("test_zero", True)]
        return runner.RunResult(tests=passed)

    monkeypatch.setattr(runner, "run", fake_run)
    return calls


def question_data(**overrides) -> dict:
    data = {
        "title": "Why does L1 give sparse weights?",
        "category": "ml-fundamentals",
        "kind": "flashcard",
        "difficulty": "medium",
        "rounds": ["technical-screen", "ml-depth"],
        "tags": "regularization, Linear-Models",
        "visibility": "private",
        "prompt": "Explain it with a picture:\n\n```python\nw = w - lr * sign(w)\n```",
        "answer": "The L1 ball has **corners** on the axes.",
        "rubric": "Corners of the L1 ball\nSubgradient pushes to zero\n  even for small weights",
        "hints": "Draw the constraint region",
        "choices": "",
        "language": "python",
        "starter": "",
        "solution": "",
        "tests": "",
    }
    data.update(overrides)
    return data


def coding_data(**overrides) -> dict:
    coding = {
        "title": "Double it",
        "category": "coding",
        "kind": "coding",
        "rounds": ["coding"],
        "starter": "def double(x):\n    pass\n",
        "solution": "def double(x):\n    return 2 * x\n",
        "tests": DOUBLE_TESTS,
    }
    return question_data(**{**coding, **overrides})


def errors(response) -> dict:
    return response.context["form"].errors


def test_it_creates_a_private_question_through_the_bank_parser(alice_client, alice, bob):
    response = alice_client.post(NEW, question_data())
    question = Question.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == reverse("questions:detail", args=[question.slug])
    assert question.slug == f"u{alice.pk}-why-does-l1-give-sparse-weights"
    assert question.visibility == "private"
    assert [r.slug for r in question.rounds.all()] == ["technical-screen", "ml-depth"]
    assert sorted(t.slug for t in question.tags.all()) == ["linear-models", "regularization"]
    assert [p.text for p in question.rubric_points.all()] == [
        "Corners of the L1 ball",
        "Subgradient pushes to zero\neven for small weights",
    ]
    assert 'class="codehilite"' in question.prompt_html
    assert "<strong>corners</strong>" in question.answer_html
    page = alice_client.get(reverse("questions:detail", args=[question.slug])).content.decode()
    assert "Why does L1 give sparse weights?" in page and "Edit" in page


def test_the_same_title_twice_gets_a_numbered_slug(alice_client, alice):
    alice_client.post(NEW, question_data())
    alice_client.post(NEW, question_data())
    slugs = sorted(Question.objects.filter(owner=alice).values_list("slug", flat=True))
    base = f"u{alice.pk}-why-does-l1-give-sparse-weights"
    assert slugs == [base, f"{base}-2"]


def test_a_title_without_latin_letters_still_gets_a_slug(alice):
    assert authoring.new_slug(alice, "正则化") == f"u{alice.pk}-question"


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("flashcard", {}),
        ("design", {"category": "system-design", "rounds": ["system-design"]}),
        ("choice", {"choices": "[x] Corners\n[ ] Smoothness\n- [X] Axes"}),
        ("coding", {}),
    ],
)
def test_every_kind_reads_back_unchanged_in_the_edit_form(alice_client, alice, runs, kind, extra):
    data = coding_data() if kind == "coding" else question_data(kind=kind, **extra)
    assert alice_client.post(NEW, data).status_code == 302
    question = Question.objects.get(owner=alice)
    before = authoring.parsed_from_question(question)
    if kind == "choice":
        assert before.choices == [("Corners", True), ("Smoothness", False), ("Axes", True)]
    form = alice_client.get(reverse("questions:my_edit", args=[question.slug])).context["form"]
    resubmitted = {name: form[name].value() for name in form.fields}
    response = alice_client.post(reverse("questions:my_edit", args=[question.slug]), resubmitted)
    assert response.status_code == 302
    question.refresh_from_db()
    assert authoring.parsed_from_question(question) == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"rubric": ""}, "rubric", "required"),
        ({"tags": "fine, Not_A_Slug!"}, "tags", "lowercase slugs"),
        ({"rounds": []}, "rounds", "required"),
        ({"prompt": "Intro\n\n## Answer\nsneaky"}, "prompt", "Line 3"),
        ({"answer": "```python\nx = 1\n"}, "answer", "not closed"),
        ({"kind": "choice", "choices": "[ ] a\n[ ] b"}, "choices", "marked [x]"),
        ({"kind": "choice", "choices": "[x] a\nb"}, "choices", "Option 2"),
        ({"kind": "choice", "choices": ""}, "choices", "needs its options"),
        ({"rubric": "\n".join(f"point {i}" for i in range(13))}, "rubric", "more than 12"),
    ],
)
def test_errors_point_at_their_field_and_keep_the_typing(
    alice_client, alice, overrides, field, message
):
    response = alice_client.post(NEW, question_data(**overrides))
    assert response.status_code == 200
    assert field in errors(response), errors(response)
    assert message in " ".join(errors(response)[field])
    html = response.content.decode()
    assert "Why does L1 give sparse weights?" in html  # what was typed is still there
    assert "Draw the constraint region" in html
    assert not Question.objects.filter(owner=alice).exists()


def test_a_python_syntax_error_names_the_line_in_its_field(alice_client, runs):
    tests = "def test_example():\n    assert double(2) == 4\n\ndef test_zero(:\n    pass\n"
    response = alice_client.post(NEW, coding_data(tests=tests))
    assert errors(response)["tests"] == ["Line 4: tests has a Python syntax error: invalid syntax"]
    assert runs == []  # the sandbox is not asked to run what does not parse


def test_code_that_would_close_its_fence_is_refused(alice_client):
    response = alice_client.post(NEW, coding_data(starter="x = 1\n```\n"))
    assert "Line 2" in errors(response)["starter"][0]


def test_a_coding_question_saves_only_when_its_solution_passes(alice_client, alice, runs):
    response = alice_client.post(
        NEW, coding_data(solution="def double(x):\n    return 0  # BROKEN\n")
    )
    assert "passes 0 of 1 tests; test_zero fails: assert 1 == 0" in errors(response)["solution"][0]
    assert not Question.objects.exists()
    assert alice_client.post(NEW, coding_data()).status_code == 302
    question = Question.objects.get(owner=alice)
    assert (question.language, question.test_code) == ("python", DOUBLE_TESTS)
    assert runs[-1] == ("python", "def double(x):\n    return 2 * x\n", DOUBLE_TESTS)


def test_coding_questions_are_refused_clearly_when_running_code_is_off(
    alice_client, alice, settings
):
    settings.PREP_CODE_RUNNER = "off"
    page = alice_client.get(NEW).content.decode()
    assert "Running code is turned off on this server" in page
    response = alice_client.post(NEW, coding_data())
    assert (
        "Coding and review questions cannot be saved on this server"
        in errors(response)["solution"][0]
    )
    assert not Question.objects.exists()
    assert alice_client.post(NEW, question_data()).status_code == 302  # other kinds are fine


def test_editing_without_touching_the_code_does_not_run_it_again(alice_client, alice, runs):
    alice_client.post(NEW, coding_data())
    question = Question.objects.get(owner=alice)
    url = reverse("questions:my_edit", args=[question.slug])
    alice_client.post(url, coding_data(title="Double it, renamed"))
    assert len(runs) == 1
    alice_client.post(
        url, coding_data(title="Double it, renamed", solution="def double(x):\n    return x * 2\n")
    )
    assert len(runs) == 2
    question.refresh_from_db()
    assert question.title == "Double it, renamed" and "x * 2" in question.solution_code


@needs_bwrap
def test_the_reference_solution_really_runs_in_the_sandbox(alice_client, alice, settings):
    settings.PREP_CODE_RUNNER = "bwrap"
    wrong = "def double(x):\n    return x + 2\n"
    response = alice_client.post(NEW, coding_data(solution=wrong))
    assert "passes 1 of 2 tests; test_zero fails" in errors(response)["solution"][0]
    assert alice_client.post(NEW, coding_data()).status_code == 302
    assert Question.objects.filter(owner=alice, kind="coding").count() == 1


def test_edit_keeps_the_slug_and_everyones_progress(alice_client, alice, bob):
    alice_client.post(NEW, question_data(visibility="shared"))
    question = Question.objects.get(owner=alice)
    Card.objects.create(user=bob, question=question, reps=3)
    Note.objects.create(user=bob, question=question, text="bob's note")
    url = reverse("questions:my_edit", args=[question.slug])
    response = alice_client.post(url, question_data(title="A new title", answer="Better."))
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.slug, question.title) == (question.slug, "A new title")
    assert question.answer_html == "<p>Better.</p>"
    assert Card.objects.get(user=bob, question=question).reps == 3
    assert Note.objects.filter(user=bob, question=question).exists()


def test_duplicate_prefills_a_new_question_and_saves_nothing(alice_client, alice, bob):
    shared = make_question(owner=bob, visibility="shared", slug="bobs", title="Bob's question")
    builtin = make_question(slug="builtin", title="Built in")
    for source in (shared, builtin):
        response = alice_client.get(reverse("questions:my_duplicate", args=[source.slug]))
        assert response.status_code == 200
        form = response.context["form"]
        assert form["title"].value() == f"Copy of {source.title}"
        assert form["visibility"].value() == "private"
        assert f'action="{NEW}"' in response.content.decode()
    assert not Question.objects.filter(owner=alice).exists()
    resubmitted = {name: form[name].value() for name in form.fields}
    assert alice_client.post(NEW, resubmitted).status_code == 302
    copy = Question.objects.get(owner=alice)
    assert copy.slug == f"u{alice.pk}-copy-of-built-in" and copy.prompt == builtin.prompt


def test_delete_asks_first_then_removes_the_question_and_its_progress(alice_client, alice, bob):
    question = make_question(owner=alice, visibility="shared", slug=f"u{alice.pk}-doomed")
    Card.objects.create(user=bob, question=question, reps=1)
    url = reverse("questions:my_delete", args=[question.slug])
    page = alice_client.get(url)
    assert "1 other user" in page.content.decode()
    assert Question.objects.filter(pk=question.pk).exists()
    response = alice_client.post(url)
    assert response.status_code == 302 and response["Location"] == MINE
    assert not Question.objects.filter(pk=question.pk).exists()
    assert not Card.objects.filter(question_id=question.pk).exists()


def test_live_preview_renders_sanitised_markdown_and_highlighted_code(alice_client):
    data = question_data(prompt="```python\ndef f():\n    return 1\n```\n<script>alert(1)</script>")
    with CaptureQueriesContext(connection) as queries:
        response = alice_client.post(PREVIEW, data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="preview"')
    assert '<span class="k">def</span>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Ready to save." in html
    writes = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert all("django_session" in w for w in writes)
    assert not Question.objects.exists()


def test_preview_lists_what_still_stops_saving(alice_client):
    html = alice_client.post(PREVIEW, question_data(rubric="", kind="choice")).content.decode()
    assert "Before you can save:" in html
    assert "Rubric points: This field is required." in html
    assert "Options: A choice question needs its options." in html


def test_preview_button_works_without_javascript(alice_client):
    response = alice_client.post(NEW, {**question_data(), "action": "preview"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<section id="preview"' in html and '<span class="n">sign</span>' in html
    assert not Question.objects.exists()


def test_edit_page_opens_with_the_preview_of_the_saved_question(alice_client, alice):
    question = make_question(owner=alice, slug=f"u{alice.pk}-x", prompt="Some **bold** prompt")
    html = alice_client.get(reverse("questions:my_edit", args=[question.slug])).content.decode()
    assert "Some <strong>bold</strong> prompt" in html


# --- Who may do what ----------------------------------------------------------------------------


def snapshot() -> list:
    return [
        (q.slug, q.owner_id, q.visibility, dump(authoring.parsed_from_question(q)))
        for q in authoring.with_parts(Question.objects.order_by("slug"))
    ]


OWNER_ONLY = [
    ("my_edit", "get"),
    ("my_edit", "post"),
    ("my_delete", "get"),
    ("my_delete", "post"),
    ("my_export_one", "get"),
]


@pytest.mark.parametrize("visibility", ["private", "shared"])
@pytest.mark.parametrize(("name", "method"), [*OWNER_ONLY, ("my_duplicate", "get")])
def test_only_the_owner_may_change_a_question(
    client, alice, bob, charlie, visibility, name, method
):
    question = make_question(owner=alice, visibility=visibility, slug=f"u{alice.pk}-hers")
    url = reverse(f"questions:{name}", args=[question.slug])
    before = snapshot()
    for user in (bob, charlie):
        client.force_login(user)
        response = getattr(client, method)(url, question_data(title="Hijacked"))
        expected = 200 if name == "my_duplicate" and visibility == "shared" else 404
        assert response.status_code == expected, (user, name, method)
    assert snapshot() == before
    client.force_login(alice)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(("name", "method"), OWNER_ONLY)
def test_the_built_in_bank_is_read_only_for_users(alice_client, name, method):
    make_question(slug="builtin")
    before = snapshot()
    url = reverse(f"questions:{name}", args=["builtin"])
    assert getattr(alice_client, method)(url, question_data()).status_code == 404
    assert snapshot() == before


def test_others_cannot_read_practise_or_run_a_private_question(client, alice, charlie, runs):
    make_question(owner=alice, slug="alices", title="Alice's secret", kind="coding",
                  category="coding", rounds=["coding"], language="python",
                  starter="def f():\n    pass\n", solution="def f():\n    return 1\n",
                  tests="def test_example():\n    assert f() == 1\n")  # fmt: skip
    client.force_login(charlie)
    practice = {"question": "alices", "scope": "all", "seq": 0, "started": 0, "shown_at": 0}
    for method, name, data in [
        ("get", "detail", {}),
        ("post", "bookmark", {"value": "on"}),
        ("post", "note", {"text": "mine now"}),
        ("post", "draft", {"code": "x"}),
        ("post", "run", {"code": "def f():\n    return 1\n"}),
    ]:
        response = getattr(client, method)(reverse(f"questions:{name}", args=["alices"]), data)
        assert response.status_code == 404, name
    assert client.post(reverse("questions:practice_reveal"), practice).status_code == 404
    assert (
        client.post(reverse("questions:practice_rate"), {**practice, "rating": 3}).status_code
        == 404
    )
    session = client.get(reverse("questions:practice_session"), {"scope": "all"})
    assert "Alice's secret" not in session.content.decode()
    assert not Card.objects.exists() and not Note.objects.exists() and not Review.objects.exists()
    assert runs == []


def test_sharing_makes_it_readable_and_practisable_by_others_with_its_author(client, alice, bob):
    client.force_login(alice)
    client.post(NEW, question_data(title="Shared later"), follow=True)
    question = Question.objects.get(owner=alice)
    detail = reverse("questions:detail", args=[question.slug])
    client.force_login(bob)
    assert "Shared later" not in client.get(reverse("questions:list")).content.decode()
    assert client.get(detail).status_code == 404

    client.force_login(alice)
    edit = reverse("questions:my_edit", args=[question.slug])
    client.post(edit, question_data(title="Shared later", visibility="shared"), follow=True)

    client.force_login(bob)
    assert "Shared later" in client.get(reverse("questions:list")).content.decode()
    page = client.get(detail).content.decode()
    assert "by alice" in page and "Duplicate into my questions" in page
    assert reverse("questions:my_edit", args=[question.slug]) not in page
    session = client.get(reverse("questions:practice_session"), {"scope": "all"})
    assert session.context["question"] == question


def test_my_questions_lists_only_mine_in_a_fixed_number_of_queries(client, alice, bob):
    client.force_login(alice)
    make_question(owner=bob, visibility="shared", title="Bob's")
    make_question(title="Built-in one")
    for i in range(3):
        make_question(owner=alice, slug=f"u{alice.pk}-q{i}", title=f"Mine {i}")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(MINE)
        assert response.status_code == 200
        return len(queries), response

    small, response = count()
    titles = [q.title for q in response.context["page"].object_list]
    assert sorted(titles) == ["Mine 0", "Mine 1", "Mine 2"]
    for i in range(3, 60):
        question = make_question(owner=alice, slug=f"u{alice.pk}-q{i}", visibility="shared")
        Card.objects.create(user=bob, question=question)
    large, response = count()
    assert large == small and small <= 8
    assert "practised by 1 other" in response.content.decode()


def test_reading_my_pages_never_writes(alice_client, alice):
    question = make_question(owner=alice, slug=f"u{alice.pk}-r")
    with CaptureQueriesContext(connection) as queries:
        for name, args in [
            ("my_questions", []),
            ("my_new", []),
            ("my_edit", [question.slug]),
            ("my_duplicate", [question.slug]),
            ("my_delete", [question.slug]),
        ]:
            assert alice_client.get(reverse(f"questions:{name}", args=args)).status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert all("django_session" in w for w in writes)


def test_posts_need_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(NEW, question_data()).status_code == 403
    assert client.post(PREVIEW, question_data()).status_code == 403
    assert not Question.objects.exists()


def test_nav_links_to_my_questions(alice_client):
    html = alice_client.get(MINE).content.decode()
    assert f'<a href="{MINE}" aria-current="page">My questions</a>' in html


# --- Units --------------------------------------------------------------------------------------


def test_list_items_round_trip_with_continuation_lines():
    items = ["one", "two\nwith more", "- not a bullet"]
    text = authoring.items_to_lines(items)
    assert authoring.lines_to_items(text) == ["one", "two\nwith more", "not a bullet"]
    assert authoring.lines_to_items("- a\n* b\n\n  \nc") == ["a", "b", "c"]


def test_import_slugs_keep_a_users_names_and_never_take_others():
    class User:
        pk = 7

    assert authoring.import_slug(User, "two-sum", set()) == "u7-two-sum"
    assert authoring.import_slug(User, "u7-two-sum", set()) == "u7-two-sum"
    assert authoring.import_slug(User, "legacy", {"legacy"}) == "legacy"
    assert authoring.import_slug(User, "u8-two-sum", set()) == "u7-u8-two-sum"


def test_a_double_submit_racing_for_a_slug_gets_the_next_number(alice, monkeypatch):
    first = make_question(owner=alice, slug=f"u{alice.pk}-twice", title="Twice")
    real = authoring.new_slug
    stale = iter([first.slug])  # computed before the other request's save landed

    monkeypatch.setattr(
        authoring, "new_slug", lambda owner, title: next(stale, None) or real(owner, title)
    )
    parsed = authoring.parsed_from_question(first)
    second = authoring.create_question(parsed, owner=alice, visibility="private")
    assert second.slug == f"u{alice.pk}-twice-2"
    assert Question.objects.filter(owner=alice).count() == 2


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "my_preview", []),
        ("post", "my_questions", []),
        ("post", "my_duplicate", ["x"]),
        ("put", "my_edit", ["x"]),
        ("get", "my_import_confirm", []),
        ("post", "my_export", []),
        ("post", "my_export_data", []),
        ("post", "my_export_one", ["x"]),
        ("delete", "account_delete", []),
    ],
)
def test_each_url_answers_only_its_methods(alice_client, method, name, args):
    response = getattr(alice_client, method)(reverse(f"questions:{name}", args=args))
    assert response.status_code == 405


def test_a_coding_question_is_refused_while_its_tests_accept_a_wrong_answer(
    alice_client, alice, runs
):
    caught = "```python\ndef double(x):\n    return x + x + 0  # BROKEN on purpose\n```"
    missed = "```python\ndef double(x):\n    return x + 2  # adds 2 instead of doubling\n```"
    response = alice_client.post(
        NEW, coding_data(wrong_answers=f"{caught}\n\n{missed}", complexity="O(1)")
    )
    assert errors(response)["wrong_answers"] == [
        "Wrong answer 2 passes every test (adds 2 instead of doubling): add a test that catches it."
    ]
    assert not Question.objects.exists()
    assert 'name="wrong_answers"' in response.content.decode()  # the typing is kept

    response = alice_client.post(NEW, coding_data(wrong_answers=caught, complexity="O(1)"))
    assert response.status_code == 302
    question = Question.objects.get(owner=alice)
    assert question.complexity == "O(1)" and "BROKEN" in question.wrong_answers[0]
    edit = alice_client.get(reverse("questions:my_edit", args=[question.slug]))
    assert "BROKEN on purpose" in edit.content.decode()


def test_malformed_wrong_answers_and_complexity_are_refused_in_their_fields(alice_client, runs):
    response = alice_client.post(NEW, coding_data(wrong_answers="return 0", complexity="quick"))
    assert "only fenced code blocks" in errors(response)["wrong_answers"][0]
    assert "O(n log n)" in errors(response)["complexity"][0]


def test_checking_wrong_answers_stops_at_the_requests_time_budget(alice_client, runs, monkeypatch):
    monkeypatch.setattr(authoring, "CHECK_SECONDS", -1)  # spent before the first wrong answer
    wrong = "```python\ndef double(x):\n    return x  # BROKEN: returns x\n```"
    response = alice_client.post(NEW, coding_data(wrong_answers=wrong))
    assert errors(response)["wrong_answers"][0].startswith("Only 0 of 1 wrong answers")
    assert not Question.objects.exists()
