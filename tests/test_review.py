"""Review questions: the bank format, the catching-test check, the fix, practice, authoring,
import and mocks (questions/review.py, the `review` kind)."""

import random
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from questions import mock as mocks
from questions import review
from questions.bankfile import BankFormatError, dump, parse
from questions.models import Card, CodeRun, Draft, MockInterview, Question, Round
from tests.conftest import needs_bwrap
from tests.factories import make_question, seed_loop

GIVEN = "def count_positive(xs):\n    return sum(1 for x in xs if x >= 0)\n"
SOLUTION = "def count_positive(xs):\n    return sum(1 for x in xs if x > 0)\n"
TESTS = (
    "def test_example():\n    assert count_positive([1, -2, 3]) == 2\n\n"
    "def test_zero_is_not_positive():\n    assert count_positive([0, 0, 4]) == 1\n\n"
    "def test_empty():\n    assert count_positive([]) == 0\n"
)
CATCHING = "def test_zero():\n    assert count_positive([0, 5]) == 1\n"
MISSING = "def test_basic():\n    assert count_positive([1, 2, -1]) == 2\n"
TOO_STRICT = "def test_wrong():\n    assert count_positive([1]) == 5\n"
BACKWARDS = "def test_zero_counts():\n    assert count_positive([0]) == 1\n"

FILE = f"""---
title: "Review: counting positive numbers"
category: coding
kind: review
difficulty: easy
rounds: [coding]
tags: [ai-code-review]
---
An assistant wrote `count_positive(xs)`, the number of items greater than zero.

## Given
```python
{GIVEN}```

## Solution
```python
{SOLUTION}```

## Tests
```python
{TESTS}```

## Wrong answers
```python
def count_positive(xs):
    # counts the negatives instead
    return sum(1 for x in xs if x < 0)
```

## Answer
Zero is not positive: the comparison must be strict, and a test with a zero shows it.

## Rubric
- Spots that zero is counted
- Writes a test with a zero in it
- Makes the comparison strict
"""


# --- The bank format ---------------------------------------------------------------------------


def test_a_review_file_parses_with_its_given_code_where_the_fix_starts():
    question = parse(FILE, "review-count-positive.md")
    assert question.kind == "review" and question.language == "python"
    assert question.starter == GIVEN and question.solution == SOLUTION
    assert question.tests == TESTS and len(question.wrong_answers) == 1
    again = dump(question)
    assert "## Given\n```python" in again and "## Starter" not in again
    assert parse(again, "review-count-positive.md") == question


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t.replace("## Given", "## Starter"), "not used by kind review"),
        (lambda t: t[: t.index("## Given")] + t[t.index("## Solution") :], "needs a '## Given'"),
        (lambda t: t.replace("## Solution\n```python", "## Solution\n```sql"), "must be ```python"),
        (lambda t: t.replace("    return sum(1 for x in xs if x >= 0)", "    return (("), "given"),
    ],
)
def test_the_parser_refuses_a_broken_review_file(change, reason):
    with pytest.raises(BankFormatError) as error:
        parse(change(FILE), "review-count-positive.md")
    assert reason in error.value.reason


def test_only_review_questions_take_a_given_section():
    coding = FILE.replace("kind: review", "kind: coding")
    with pytest.raises(BankFormatError, match="not used by kind coding"):
        parse(coding, "x.md")


# --- The catching test, run for real --------------------------------------------------------


@needs_bwrap
@pytest.mark.parametrize(
    ("test_code", "verdict"),
    [
        (CATCHING, review.CAUGHT),
        (MISSING, review.MISSES),
        (TOO_STRICT, review.TOO_STRICT),
        (BACKWARDS, review.BACKWARDS),
        ("x = 1\n", review.NO_TEST),
        ("def test_broken(:\n    pass\n", review.TOO_STRICT),
    ],
)
def test_a_catching_test_must_fail_on_the_given_code_and_pass_on_the_solution(
    settings, test_code, verdict
):
    settings.PREP_CODE_RUNNER = "bwrap"
    result = review.check_test("python", GIVEN, SOLUTION, test_code)
    assert result.verdict == verdict
    assert result.caught == (verdict == review.CAUGHT)
    stored = review.CatchResult.from_dict(result.as_dict())
    assert stored.verdict == verdict and stored.message == result.message
    if verdict != review.NO_TEST:
        assert [label for label, _ in stored.runs] == ["On the AI's code", "On a correct solution"]


@needs_bwrap
def test_a_sql_catching_test_runs_the_query_on_tables_it_builds(settings):
    settings.PREP_CODE_RUNNER = "bwrap"
    given = "SELECT COUNT(bonus) FROM staff;"
    solution = "SELECT COUNT(*) FROM staff;"
    test = (
        "import sqlite3\n\n"
        "def test_nulls_are_people_too():\n"
        '    db = sqlite3.connect(":memory:")\n'
        '    db.execute("CREATE TABLE staff (name TEXT, bonus INT)")\n'
        "    db.execute(\"INSERT INTO staff VALUES ('a', NULL), ('b', 5)\")\n"
        "    assert db.execute(QUERY).fetchall() == [(2,)]\n"
    )
    assert review.check_test("sql", given, solution, test).caught


# --- In the browser's requests: catch, fix, practice -----------------------------------------


@pytest.fixture
def review_question(db, settings):
    settings.PREP_CODE_RUNNER = "bwrap"
    seed_loop()
    return make_question(
        slug="review-count-positive",
        category="coding",
        rounds=["coding"],
        kind="review",
        language="python",
        starter=GIVEN,
        solution=SOLUTION,
        tests=TESTS,
    )


def post_run(client, mode, slug="review-count-positive", **fields):
    return client.post(
        reverse("questions:run", args=[slug]),
        {"mode": mode, **fields},
        headers={"HX-Request": "true"},
    )


@needs_bwrap
def test_the_question_page_shows_the_given_code_and_the_three_steps(alice_client, review_question):
    html = alice_client.get(reverse("questions:detail", args=[review_question.slug])).content
    html = html.decode()
    assert "The AI&#x27;s code" in html or "The AI's code" in html
    assert "x &gt;= 0" in html  # the flawed code, highlighted
    for step in ("1. Catch it with a test", "2. Fix it", "3. Explain it"):
        assert step in html
    assert 'id="catch-results"' in html and 'id="run-results"' in html


@needs_bwrap
def test_checking_a_test_saves_it_shows_both_runs_and_counts_the_question(
    alice_client, alice, review_question
):
    response = post_run(alice_client, "catch", test_code=MISSING)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="catch-results"')
    assert "Not caught" in html and "On the AI&#x27;s code: your test passes" in html
    assert not Card.objects.filter(user=alice, solved=True).exists()

    html = post_run(alice_client, "catch", test_code=CATCHING).content.decode()
    assert "Caught: your test fails on the AI" in html
    assert "On the AI&#x27;s code: your test fails" in html
    assert "On a correct solution: your test passes" in html
    draft = Draft.objects.get(user=alice)
    assert draft.test_code == CATCHING and draft.catch_for(CATCHING)["caught"] is True
    assert draft.code == ""  # the fix box is untouched by a catch run
    assert Card.objects.get(user=alice).solved  # counts for readiness
    run = CodeRun.objects.filter(kind=CodeRun.Kind.CATCH).latest("pk")
    status = alice_client.get(reverse("questions:run_status", args=[run.pk]))
    assert "Caught" in status.content.decode()  # the no-JavaScript result page


@needs_bwrap
def test_the_fix_is_graded_by_the_hidden_tests(alice_client, alice, review_question):
    html = post_run(alice_client, "submit", code=GIVEN).content.decode()
    assert "All tests: 2 of 3 passed" in html
    html = post_run(alice_client, "submit", code=SOLUTION).content.decode()
    assert "All tests: 3 of 3 passed" in html
    assert Card.objects.get(user=alice).solved


@needs_bwrap
def test_a_catch_on_a_coding_question_is_an_ordinary_run(alice_client, alice, review_question):
    make_question(
        slug="plain-coding", category="coding", rounds=["coding"], kind="coding",
        language="python", starter=GIVEN, solution=SOLUTION, tests=TESTS,
    )  # fmt: skip
    response = post_run(alice_client, "catch", slug="plain-coding", code=SOLUTION)
    assert response.context["run_kind"] == CodeRun.Kind.RUN
    assert not CodeRun.objects.filter(kind=CodeRun.Kind.CATCH).exists()


@needs_bwrap
def test_the_test_box_autosaves(alice_client, alice, review_question):
    url = reverse("questions:draft", args=[review_question.slug])
    assert alice_client.post(url, {"test_code": CATCHING}).content == b"Test saved."
    assert alice_client.post(url, {"code": SOLUTION}).content == b"Draft saved."
    draft = Draft.objects.get(user=alice)
    assert (draft.test_code, draft.code) == (CATCHING, SOLUTION)
    page = alice_client.get(reverse("questions:detail", args=[review_question.slug]))
    assert page.context["test_code"] == CATCHING and page.context["code"] == SOLUTION


@needs_bwrap
def test_charlie_cannot_check_tests_against_alices_private_review_question(
    client, alice, charlie, review_question
):
    review_question.owner = alice
    review_question.save()
    client.force_login(charlie)
    assert post_run(client, "catch", test_code=CATCHING).status_code == 404
    assert not CodeRun.objects.exists()


def reveal(client, **fields):
    data = {"question": "review-count-positive", "scope": "all", "seq": 0, "started": 0}
    return client.post(reverse("questions:practice_reveal"), {"shown_at": 0, **data, **fields})


@needs_bwrap
@pytest.mark.parametrize(
    ("test_code", "fix", "suggested", "shown"),
    [
        (CATCHING, SOLUTION, 3, ["Your test caught the flaw", "Your fix passed 3 of 3 tests"]),
        (MISSING, SOLUTION, 2, ["did not catch the flaw", "Your fix passed 3 of 3 tests"]),
        (CATCHING, GIVEN, 2, ["Your test caught the flaw", "You did not submit a fix"]),
        (MISSING, None, 1, ["did not catch the flaw", "You did not submit a fix"]),
    ],
)
def test_practice_suggests_a_rating_from_what_passed(
    alice_client, review_question, test_code, fix, suggested, shown
):
    session = alice_client.get(reverse("questions:practice_session"), {"scope": "all"})
    html = session.content.decode()
    assert session.context["code"] == GIVEN  # the fix starts from the flawed code
    assert 'name="test_code"' in html and 'value="catch"' in html
    post_run(alice_client, "catch", test_code=test_code)
    if fix and fix != GIVEN:
        post_run(alice_client, "submit", code=fix)
    response = reveal(alice_client, test_code=test_code, code=fix or GIVEN, answer="zero")
    html = response.content.decode()
    for text in shown:
        assert text in html
    assert f"rating-{suggested} rating-suggested" in html


@needs_bwrap
def test_rating_a_review_question_keeps_the_test_fix_and_explanation(
    alice_client, alice, review_question
):
    post_run(alice_client, "catch", test_code=CATCHING)
    post_run(alice_client, "submit", code=SOLUTION)
    reveal(alice_client, test_code=CATCHING, code=SOLUTION)
    data = {"question": review_question.slug, "scope": "all", "seq": 0, "started": 0}
    alice_client.post(
        reverse("questions:practice_rate"),
        {**data, "shown_at": 0, "rating": 3, "answer": "zero counted", "test_code": CATCHING,
         "code": SOLUTION},
    )  # fmt: skip
    logged = alice.reviews.get()
    assert logged.answer == "zero counted"
    assert logged.outcome["caught"] is True and logged.outcome["fixed"] is True
    assert logged.outcome["test_code"] == CATCHING and logged.outcome["fix_code"] == SOLUTION


# --- Authoring and import: the flawed code must fail its tests -------------------------------


def authoring_data(**overrides):
    return {
        "title": "Review: count positives",
        "category": "coding",
        "kind": "review",
        "difficulty": "easy",
        "rounds": ["coding"],
        "tags": "ai-code-review",
        "visibility": "private",
        "prompt": "An assistant wrote `count_positive(xs)`.",
        "answer": "Zero is not positive; the comparison must be strict.",
        "rubric": "Spots the zero\nWrites a test with zero",
        "language": "python",
        "starter": GIVEN,
        "solution": SOLUTION,
        "tests": TESTS,
        **overrides,
    }


@needs_bwrap
def test_an_author_cannot_save_a_review_question_whose_flawed_code_passes(
    alice_client, alice, settings
):
    settings.PREP_CODE_RUNNER = "bwrap"
    seed_loop()
    response = alice_client.post(reverse("questions:my_new"), authoring_data(starter=SOLUTION))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "The flawed code passes every test" in errors["starter"][0]
    assert not Question.objects.exists()
    response = alice_client.post(reverse("questions:my_new"), authoring_data(starter=""))
    assert "needs this" in response.context["form"].errors["starter"][0]

    response = alice_client.post(reverse("questions:my_new"), authoring_data())
    assert response.status_code == 302
    saved = Question.objects.get(owner=alice)
    assert saved.kind == "review" and saved.starter_code == GIVEN


@needs_bwrap
def test_an_import_with_a_review_question_whose_flawed_code_passes_writes_nothing(
    alice_client, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PREP_CODE_RUNNER = "bwrap"
    seed_loop()
    broken = FILE.replace(GIVEN, SOLUTION, 1)
    upload = SimpleUploadedFile("review.md", broken.encode(), content_type="text/markdown")
    response = alice_client.post(
        reverse("questions:my_import"), {"file": upload, "visibility": "private"}
    )
    assert response.status_code == 400
    assert "The flawed code passes every test" in response.content.decode()
    assert not Question.objects.exists()


# --- Mocks -----------------------------------------------------------------------------------


def test_the_ai_assisted_coding_mock_asks_only_review_questions(alice_client, alice, db):
    seed_loop()
    make_question(slug="review-one", category="coding", rounds=["coding"], kind="review",
                  language="python", starter=GIVEN, solution=SOLUTION, tests=TESTS)  # fmt: skip
    make_question(slug="plain-one", category="coding", rounds=["coding"], kind="coding",
                  language="python", starter=GIVEN, solution=SOLUTION, tests=TESTS)  # fmt: skip
    page = alice_client.get(reverse("questions:mock_list")).content.decode()
    assert 'value="ai-coding"' in page and "AI-assisted coding" in page
    response = alice_client.post(reverse("questions:mock_start"), {"round": "ai-coding"})
    mock = MockInterview.objects.get(user=alice)
    assert response.url == reverse("questions:mock_detail", args=[mock.pk])
    assert mock.format == "ai-coding" and mock.round.slug == "coding"
    assert [item.question.slug for item in mock.items.all()] == ["review-one"]
    html = alice_client.get(response.url).content.decode()
    assert "AI-assisted coding" in html and "The AI's code" in html

    coding = Round.objects.get(slug="coding")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    chosen = mocks.choose_questions(alice, coding, now, random.Random(1))
    assert {q.slug for q in chosen} == {"review-one", "plain-one"}  # both in the coding round


@needs_bwrap
def test_a_review_question_exports_and_imports_back_unchanged(alice_client, alice, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PREP_CODE_RUNNER = "bwrap"
    seed_loop()
    assert alice_client.post(reverse("questions:my_new"), authoring_data()).status_code == 302
    question = Question.objects.get(owner=alice)
    exported = alice_client.get(reverse("questions:my_export_one", args=[question.slug]))
    text = b"".join(exported.streaming_content if exported.streaming else [exported.content])
    assert b"kind: review" in text and b"## Given\n```python\n" + GIVEN.encode() in text
    upload = SimpleUploadedFile("again.md", text, content_type="text/markdown")
    response = alice_client.post(
        reverse("questions:my_import"), {"file": upload, "visibility": "private"}
    )
    plan = response.context["plan"]
    assert plan.errors == [] and plan.items[0].question.starter == GIVEN
