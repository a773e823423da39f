"""A mock interview while it runs: one question at a time, time per question kept by the server,
every kind of answer saved as typed, follow-ups, Run/Submit inside the mock, locking, ownership."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questions import mock as mocks
from questions import mock_session
from questions.mock import MAX_ANSWER_CHARS
from questions.models import CodeRun, Draft, MockInterview, MockItem, Round
from questions.views import mock_run
from questions.views.mock_access import GRACE
from tests.conftest import needs_bwrap
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HX = {"HX-Request": "true"}
STARTER = "def double(x):\n    pass\n"
RIGHT = "def double(x):\n    return 2 * x\n"
TESTS = (
    "def test_example():\n    assert double(2) == 4\n\n"
    "def test_negative():\n    assert double(-3) == -6\n"
)
GIVEN = "def count_positive(xs):\n    return sum(1 for x in xs if x >= 0)\n"
SOLUTION = "def count_positive(xs):\n    return sum(1 for x in xs if x > 0)\n"
REVIEW_TESTS = (
    "def test_example():\n    assert count_positive([1, -2, 3]) == 2\n\n"
    "def test_zero_is_not_positive():\n    assert count_positive([0, 0, 4]) == 1\n"
)
CATCHING = "def test_zero():\n    assert count_positive([0, 5]) == 1\n"


@pytest.fixture(autouse=True)
def loop(db):
    seed_loop()


def question(kind="flashcard", **extra):
    if kind == "choice":
        extra.setdefault(
            "choices", [("Right one", True), ("Wrong one", False), ("Also right", True)]
        )
    if kind == "coding":
        extra.update(language="python", starter=STARTER, solution=RIGHT, tests=TESTS)
    if kind == "review":
        extra.update(language="python", starter=GIVEN, solution=SOLUTION, tests=REVIEW_TESTS)
    return make_question(kind=kind, category=extra.pop("category", "coding"), **extra)


def make_mock(user, questions, *, now=T0, minutes=45, follow_ups=None, fmt="", rounds=None):
    """A mock started at `now` with `questions` as its main items (and follow-ups by index)."""
    mock = MockInterview.objects.create(
        user=user,
        round=Round.objects.get(slug="ml-depth"),
        format=fmt,
        started_at=now,
        ends_at=now + timedelta(minutes=minutes),
        current_position=0,
        current_since=now,
    )
    items = [
        MockItem.objects.create(
            mock=mock, question=q, position=i, round=rounds[i] if rounds else None
        )
        for i, q in enumerate(questions)
    ]
    position = len(items)
    for index, extra in (follow_ups or {}).items():
        for q in extra:
            MockItem.objects.create(
                mock=mock, question=q, position=position, follow_up_of=items[index]
            )
            position += 1
    return mock


def live_mock(user, questions, **kwargs):
    """A mock that is running now (views read the real clock)."""
    return make_mock(user, questions, now=datetime.now(UTC) - timedelta(minutes=1), **kwargs)


def url(name, mock, *args):
    return reverse(f"questions:{name}", args=[mock.pk, *args])


def item(mock, position):
    return MockItem.objects.get(mock=mock, position=position)


# --- Time per question ----------------------------------------------------------------------


def test_moving_adds_the_time_on_screen_to_the_question_left(alice):
    mock = make_mock(alice, [question(), question(), question()])
    mock = mock_session.move_to(mock, 1, T0 + timedelta(seconds=90))
    mock = mock_session.move_to(mock, 2, T0 + timedelta(seconds=150))
    mock = mock_session.move_to(mock, 0, T0 + timedelta(seconds=155))
    assert [item(mock, p).seconds_spent for p in range(3)] == [90, 60, 5]
    assert mock.current_position == 0 and mock.current_since == T0 + timedelta(seconds=155)
    # The open interval counts on read, for the question on screen only.
    later = T0 + timedelta(seconds=200)
    assert mocks.seconds_on(item(mock, 0), mock, later) == 90 + 45
    assert mocks.seconds_on(item(mock, 1), mock, later) == 60


def test_time_after_the_end_of_the_round_does_not_count(alice):
    mock = make_mock(alice, [question(), question()], minutes=10)
    mock = mock_session.move_to(mock, 1, T0 + timedelta(minutes=4))
    mock = mock_session.move_to(mock, 0, T0 + timedelta(minutes=25))
    assert item(mock, 1).seconds_spent == 6 * 60  # cut at the end, 10 minutes in
    assert mocks.seconds_on(item(mock, 0), mock, T0 + timedelta(hours=2)) == 4 * 60


def test_finishing_closes_the_open_interval_once(alice):
    mock = make_mock(alice, [question(), question()])
    mock = mock_session.move_to(mock, 1, T0 + timedelta(seconds=30))
    mock = mock_session.finish(mock, T0 + timedelta(seconds=100))
    assert mock.finished_at == T0 + timedelta(seconds=100)
    assert item(mock, 1).seconds_spent == 70
    again = mock_session.finish(mock, T0 + timedelta(seconds=500))  # a second Finish
    assert again.finished_at == T0 + timedelta(seconds=100) and item(mock, 1).seconds_spent == 70
    assert mocks.seconds_on(item(mock, 1), again, T0 + timedelta(hours=1)) == 70


def test_the_move_view_saves_the_question_left_and_keeps_its_time(alice_client, alice, monkeypatch):
    mock = make_mock(alice, [question(title="First one"), question(title="Second one")])
    monkeypatch.setattr(mock_run, "now_utc", lambda: T0 + timedelta(seconds=42))
    response = alice_client.post(url("mock_move", mock), {"to": "1", "answer-0": "my first"})
    assert response.status_code == 302 and response.url == url("mock_detail", mock)
    mock.refresh_from_db()
    assert mock.current_position == 1 and mock.current_since == T0 + timedelta(seconds=42)
    first = item(mock, 0)
    assert first.answer == "my first" and first.seconds_spent == 42

    # With htmx the question region is swapped in: the second question, its clock at 0:00.
    monkeypatch.setattr(mock_run, "now_utc", lambda: T0 + timedelta(seconds=50))
    swapped = alice_client.post(url("mock_move", mock), {"to": "0"}, headers=HX)
    html = swapped.content.decode()
    assert html.lstrip().startswith('<div id="mock-run"') and "<html" not in html
    assert "First one" in html and "Second one" not in html.split("mock-strip")[1]
    assert "my first" in html and "2:20" not in html
    assert swapped.context["seconds_on"] == 42 and swapped.context["time_on"] == "0:42"
    assert item(mock, 1).seconds_spent == 8


def test_moving_to_a_question_not_in_the_mock_is_404(alice_client, alice):
    mock = live_mock(alice, [question(), question()], follow_ups={0: [question()]})
    for to in ("9", "2", "", "x"):  # 2 is a follow-up, not a main question
        assert alice_client.post(url("mock_move", mock), {"to": to}).status_code == 404
    mock.refresh_from_db()
    assert mock.current_position == 0


# --- The page -------------------------------------------------------------------------------


def test_the_page_shows_one_question_a_strip_and_both_clocks(alice_client, alice):
    mock = live_mock(
        alice, [question(title="Alpha question", difficulty="hard"), question(title="Beta one")]
    )
    mock_session.move_to(mock, 1, datetime.now(UTC))
    MockItem.objects.filter(mock=mock, position=0).update(answer="said something", seconds_spent=65)
    html = alice_client.get(url("mock_detail", mock)).content.decode()
    assert "Beta one" in html and "Alpha question" not in html
    assert "Question 2 of 2" in html
    assert 'aria-label="Question 1, answered"' in html
    assert 'aria-label="Question 2, on screen"' in html and 'aria-current="step"' in html
    assert "data-countdown" in html and "data-question-clock" in html
    assert "badge-hard" not in html and "Model answer" not in html and "hard" not in html.lower()
    assert "← Previous" in html and "Next question" not in html
    assert "Finish and see the debrief" in html


def test_an_onsite_strip_groups_the_questions_under_each_round(alice_client, alice):
    coding, design = Round.objects.get(slug="coding"), Round.objects.get(slug="system-design")
    mock = live_mock(
        alice,
        [question(), question(), question()],
        fmt=mocks.ONSITE,
        rounds=[coding, coding, design],
    )
    response = alice_client.get(url("mock_detail", mock))
    strip = response.context["strip"]
    assert [(g["name"], [e["number"] for e in g["entries"]]) for g in strip] == [
        (coding.name, [1, 2]),
        (design.name, [3]),
    ]
    assert f"Question 1 of 3 · {coding.name}" in response.content.decode()


def test_a_reload_shows_the_same_question_its_answer_and_the_clock(alice_client, alice):
    mock = live_mock(alice, [question(), question(title="Where I was")])
    alice_client.post(url("mock_move", mock), {"to": "1"})
    alice_client.post(url("mock_answer", mock, 1), {"answer-1": "kept across reloads"})
    response = alice_client.get(url("mock_detail", mock))
    html = response.content.decode()
    assert "Where I was" in html and "kept across reloads" in html
    assert 44 * 60 - 5 < response.context["seconds_left"] <= 44 * 60


def test_a_get_writes_nothing(alice_client, alice):
    mock = live_mock(alice, [question(), question()], follow_ups={0: [question()]})
    with CaptureQueriesContext(connection) as queries:
        assert alice_client.get(url("mock_detail", mock)).status_code == 200
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []


@pytest.mark.parametrize("kind", ["flashcard", "choice", "coding"])
def test_the_page_costs_the_same_queries_whatever_the_number_of_questions(
    alice_client, alice, django_assert_num_queries, kind
):
    small = live_mock(alice, [question(kind) for _ in range(2)])
    big = live_mock(
        alice,
        [question(kind) for _ in range(8)],
        follow_ups={i: [question("choice"), question()] for i in range(8)},
    )
    MockItem.objects.filter(mock=big, position=0).update(follow_ups_shown_at=datetime.now(UTC))
    with CaptureQueriesContext(connection) as first:
        alice_client.get(url("mock_detail", small))
    with django_assert_num_queries(len(first.captured_queries)):
        alice_client.get(url("mock_detail", big))


# --- Saving each kind -----------------------------------------------------------------------


def test_a_flashcard_answer_saves_as_typed(alice_client, alice):
    mock = live_mock(alice, [question()])
    response = alice_client.post(url("mock_answer", mock, 0), {"answer-0": "bias and variance"})
    assert response.status_code == 200 and response.content.startswith(b"Saved at ")
    assert item(mock, 0).answer == "bias and variance"


def test_choice_picks_save_and_clear_and_are_not_graded(alice_client, alice):
    mock = live_mock(alice, [question("choice")])
    html = alice_client.get(url("mock_detail", mock)).content.decode()
    assert "A." in html and "Right one" in html and "Also right" in html
    assert "choice-correct" not in html
    alice_client.post(url("mock_answer", mock, 0), {"picks-0": ["", "2", "0"]})
    assert item(mock, 0).picks == [0, 2]
    html = alice_client.get(url("mock_detail", mock)).content.decode()
    assert html.count("checked") == 2
    alice_client.post(url("mock_answer", mock, 0), {"picks-0": [""]})  # every box cleared
    assert item(mock, 0).picks == []
    bad = alice_client.post(url("mock_answer", mock, 0), {"picks-0": ["", "7"]})
    assert bad.status_code == 400 and b"not one of this question" in bad.content
    assert item(mock, 0).picks == []


def test_coding_code_saves_and_the_editor_starts_from_the_starter(alice_client, alice):
    mock = live_mock(alice, [question("coding")])
    html = alice_client.get(url("mock_detail", mock)).content.decode()
    assert 'class="code" data-language="python"' in html and "def double(x):\n    pass" in html
    assert "Run examples" in html and "Submit all tests" in html
    alice_client.post(url("mock_answer", mock, 0), {"code-0": RIGHT})
    assert item(mock, 0).code == RIGHT
    assert not Draft.objects.exists()


def test_review_test_fix_and_explanation_save(alice_client, alice):
    mock = live_mock(alice, [question("review")])
    html = alice_client.get(url("mock_detail", mock)).content.decode()
    assert "The AI's code" in html and "Check my test" in html and "3. Explain it" in html
    alice_client.post(
        url("mock_answer", mock, 0),
        {"test_code-0": CATCHING, "code-0": SOLUTION, "answer-0": "zero is not positive"},
    )
    saved = item(mock, 0)
    assert (saved.test_code, saved.code, saved.answer) == (
        CATCHING,
        SOLUTION,
        "zero is not positive",
    )


def test_design_sections_save_part_by_part(alice_client, alice):
    mock = live_mock(alice, [question("design", category="system-design")])
    html = alice_client.get(url("mock_detail", mock)).content.decode()
    for _key, heading in mocks.DESIGN_SECTIONS:
        assert f">{heading}</label>" in html
    alice_client.post(url("mock_answer", mock, 0), {"section-0-data": "click logs"})
    alice_client.post(url("mock_answer", mock, 0), {"section-0-model": "two towers"})
    assert item(mock, 0).sections == {"data": "click logs", "model": "two towers"}
    assert "click logs" in alice_client.get(url("mock_detail", mock)).content.decode()


def test_an_answer_too_long_is_refused_and_the_old_one_kept(alice_client, alice):
    mock = live_mock(alice, [question()])
    alice_client.post(url("mock_answer", mock, 0), {"answer-0": "short"})
    response = alice_client.post(
        url("mock_answer", mock, 0), {"answer-0": "x" * (MAX_ANSWER_CHARS + 1)}
    )
    assert response.status_code == 400 and b"limited to 50,000 characters" in response.content
    assert item(mock, 0).answer == "short"


def test_finish_saves_what_was_posted_and_closes_the_clock(alice_client, alice):
    mock = live_mock(alice, [question(), question("choice")])
    alice_client.post(url("mock_move", mock), {"to": "1"})
    response = alice_client.post(url("mock_finish", mock), {"picks-1": ["", "1"]})
    assert response.status_code == 302
    mock.refresh_from_db()
    assert mock.finished_at is not None and item(mock, 1).picks == [1]
    assert mock.current_since == mock.finished_at  # nothing open any more


# --- Follow-ups -----------------------------------------------------------------------------


def test_follow_ups_are_hidden_until_asked_for(alice_client, alice):
    follow = question(title="Why not a bigger batch?", prompt="Drill-down prompt")
    pick = question("choice", title="Which optimiser?")
    mock = live_mock(alice, [question(), question()], follow_ups={0: [follow, pick]})
    html = alice_client.get(url("mock_detail", mock)).content.decode()
    assert "Ask me the follow-up questions" in html and "Drill-down prompt" not in html
    # A follow-up not yet asked cannot be answered.
    assert alice_client.post(url("mock_answer", mock, 2), {"answer-2": "early"}).status_code == 404

    response = alice_client.post(
        url("mock_follow_ups", mock, 0), {"answer-0": "main answer"}, headers=HX
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="follow-ups-0"')
    assert "Drill-down prompt" in fragment and "Which optimiser?" in fragment
    assert 'name="picks-3"' in fragment and 'name="answer-2"' in fragment
    main = item(mock, 0)
    assert main.follow_ups_shown_at is not None and main.answer == "main answer"

    assert alice_client.post(url("mock_answer", mock, 2), {"answer-2": "later"}).status_code == 200
    assert item(mock, 2).answer == "later"
    assert "Drill-down prompt" in alice_client.get(url("mock_detail", mock)).content.decode()


def test_no_follow_ups_no_button(alice_client, alice):
    mock = live_mock(alice, [question(), question()], follow_ups={0: [question()]})
    alice_client.post(url("mock_move", mock), {"to": "1"})
    html = alice_client.get(url("mock_detail", mock)).content.decode()
    assert "Ask me the follow-up questions" not in html
    assert alice_client.post(url("mock_follow_ups", mock, 1)).status_code == 404


def test_asking_for_follow_ups_without_javascript_comes_back_to_them(alice_client, alice):
    mock = live_mock(alice, [question()], follow_ups={0: [question(prompt="Next drill")]})
    response = alice_client.post(url("mock_follow_ups", mock, 0))
    assert response.url == url("mock_detail", mock) + "#follow-ups-0"
    assert "Next drill" in alice_client.get(response.url).content.decode()


# --- Run and Submit inside the mock ---------------------------------------------------------


@needs_bwrap
def test_a_submit_in_a_mock_belongs_to_its_item_and_leaves_the_draft(alice_client, alice, settings):
    settings.PREP_CODE_RUNNER = "bwrap"
    mock = live_mock(alice, [question("coding")])
    response = alice_client.post(
        url("mock_run", mock, 0), {"mode": "submit", "code-0": RIGHT}, headers=HX
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="run-results"')
    assert "All tests: 2 of 2 passed" in html
    run = CodeRun.objects.get()
    assert run.mock_item == item(mock, 0) and run.kind == "submit" and run.code == RIGHT
    assert item(mock, 0).code == RIGHT
    assert not Draft.objects.exists()
    # A reload shows the last result under the editor.
    page = alice_client.get(url("mock_detail", mock)).content.decode()
    assert "All tests: 2 of 2 passed" in page


@needs_bwrap
def test_run_examples_and_catch_in_a_review_question(alice_client, alice, settings):
    settings.PREP_CODE_RUNNER = "bwrap"
    mock = live_mock(alice, [question("review")])
    caught = alice_client.post(
        url("mock_run", mock, 0), {"mode": "catch", "test_code-0": CATCHING}, headers=HX
    )
    assert caught.content.decode().lstrip().startswith('<div id="catch-results"')
    assert "On a correct solution: your test passes" in caught.content.decode()
    ran = alice_client.post(url("mock_run", mock, 0), {"mode": "run", "code-0": GIVEN}, headers=HX)
    assert "Examples: 1 of 1 passed" in ran.content.decode()
    assert [r.kind for r in CodeRun.objects.order_by("pk")] == ["catch", "run"]
    assert item(mock, 0).test_code == CATCHING and not Draft.objects.exists()


@needs_bwrap
def test_a_run_without_javascript_comes_back_to_the_mock(alice_client, alice, settings):
    settings.PREP_CODE_RUNNER = "bwrap"
    mock = live_mock(alice, [question("coding")])
    response = alice_client.post(url("mock_run", mock, 0), {"mode": "run", "code-0": RIGHT})
    assert response.url == url("mock_detail", mock) + "#run-results"
    assert "Examples: 1 of 1 passed" in alice_client.get(response.url).content.decode()


def test_runs_are_refused_when_the_runner_is_off_and_for_spoken_questions(
    alice_client, alice, settings
):
    settings.PREP_CODE_RUNNER = "off"
    mock = live_mock(alice, [question("coding"), question()])
    off = alice_client.post(url("mock_run", mock, 0), {"mode": "run", "code-0": RIGHT}, headers=HX)
    assert off.status_code == 503 and b"turned off on this server" in off.content
    assert item(mock, 0).code == RIGHT  # the code is kept all the same
    assert alice_client.post(url("mock_run", mock, 1), {"mode": "run"}).status_code == 404
    assert alice_client.post(url("mock_run", mock, 7), {"mode": "run"}).status_code == 404
    assert not CodeRun.objects.exists()


# --- Locked after time, ownership -----------------------------------------------------------


def test_everything_is_locked_once_time_and_grace_are_over(alice_client, alice, settings):
    settings.PREP_CODE_RUNNER = "subprocess"
    now = datetime.now(UTC)
    mock = make_mock(
        alice,
        [question("coding"), question()],
        now=now - timedelta(minutes=45) - GRACE - timedelta(seconds=1),
        follow_ups={0: [question()]},
    )
    assert alice_client.post(url("mock_answer", mock, 0), {"code-0": "late"}).status_code == 409
    run = alice_client.post(url("mock_run", mock, 0), {"mode": "run", "code-0": "x"}, headers=HX)
    assert run.status_code == 409 and b"Time is up" in run.content
    move = alice_client.post(url("mock_move", mock), {"to": "1", "code-0": "late"}, headers=HX)
    assert move.status_code == 409 and move.headers["HX-Retarget"] == "#mock-error"
    assert alice_client.post(url("mock_follow_ups", mock, 0), headers=HX).status_code == 409
    mock.refresh_from_db()
    first = item(mock, 0)
    assert first.code == "" and first.follow_ups_shown_at is None and mock.current_position == 0
    assert not CodeRun.objects.exists()


def test_answers_on_their_way_when_time_runs_out_still_count(alice_client, alice):
    mock = make_mock(
        alice, [question(), question()], now=datetime.now(UTC) - timedelta(minutes=45, seconds=5)
    )
    assert (
        alice_client.post(url("mock_answer", mock, 0), {"answer-0": "just in"}).status_code == 200
    )
    # A move after the end saves the answer and opens the debrief instead of the next question.
    response = alice_client.post(url("mock_move", mock), {"to": "1", "answer-0": "in time"})
    assert response.url == url("mock_detail", mock)
    mock.refresh_from_db()
    assert item(mock, 0).answer == "in time" and mock.current_position == 0


def test_charlie_gets_404_everywhere_and_changes_nothing(client, alice, charlie, settings):
    settings.PREP_CODE_RUNNER = "subprocess"
    mock = live_mock(alice, [question("coding"), question()], follow_ups={0: [question()]})
    client.force_login(charlie)
    posts = [
        (url("mock_answer", mock, 0), {"code-0": "x"}),
        (url("mock_move", mock), {"to": "1", "code-0": "x"}),
        (url("mock_follow_ups", mock, 0), {"code-0": "x"}),
        (url("mock_run", mock, 0), {"mode": "submit", "code-0": "x"}),
        (url("mock_finish", mock), {"code-0": "x"}),
    ]
    assert client.get(url("mock_detail", mock)).status_code == 404
    for path, data in posts:
        assert client.post(path, data).status_code == 404, path
        assert client.post(path, data, headers=HX).status_code == 404, path
    mock.refresh_from_db()
    first = item(mock, 0)
    assert mock.finished_at is None and mock.current_position == 0 and mock.current_since
    assert first.code == "" and first.follow_ups_shown_at is None and first.seconds_spent == 0
    assert not CodeRun.objects.exists()


def test_writes_need_post(alice_client, alice):
    mock = live_mock(alice, [question("coding")], follow_ups={0: [question()]})
    for name, args in [
        ("mock_move", ()),
        ("mock_follow_ups", (0,)),
        ("mock_run", (0,)),
        ("mock_answer", (0,)),
    ]:
        assert alice_client.get(url(name, mock, *args)).status_code == 405
