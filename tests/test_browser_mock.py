"""Mock interviews in a real browser: each kind of question from the start of a mock through a
reload to the debrief and its ratings, the clocks, follow-ups, and the end of time."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from questions.models import MockInterview, MockItem, Profile, Round, Track
from tests.conftest import code_editor, needs_bwrap, set_code
from tests.factories import make_question, seed_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STARTER = "def double(x):\n    pass\n"
RIGHT = "def double(x):\n    return 2 * x\n"
TESTS = (
    "def test_example():\n    assert double(2) == 4\n\n"
    "def test_negative():\n    assert double(-3) == -6\n"
)


def start(page, live_server, value):
    """Start a mock from the list page, as a user does; returns the new mock."""
    page.goto(f"{live_server.url}/mock/")
    page.locator(f'input[name="round"][value="{value}"]').check()
    page.get_by_role("button", name="Start the interview").click()
    page.wait_for_url(re.compile(r"/mock/\d+/$"))
    return MockInterview.objects.latest("pk")


def finish(page):
    """Finish early: the page asks first, and the debrief opens."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Finish and see the debrief").click()
    page.get_by_role("heading", name=re.compile("debrief")).wait_for()


def rate_all(page, label):
    """Rate every question in the debrief and save; the page then shows the ratings in words."""
    value = {"Again": "1", "Hard": "2", "Good": "3", "Easy": "4"}[label]
    for radio in page.locator(f'.debrief-form input[type="radio"][value="{value}"]').all():
        radio.check()
    page.get_by_role("button", name="Save ratings").click()
    page.get_by_text("Debrief saved").wait_for()


def saved(page, position):
    page.locator(f"#saved-{position}").get_by_text("Saved at").wait_for()


def test_a_flashcard_mock_with_follow_ups_previous_next_reload_and_ratings(
    logged_in_page, live_server, alice
):
    seed_loop()
    make_question(
        slug="dropout",
        title="What does dropout do at test time?",
        category="ml-fundamentals",
        tags=["regularization"],
    )
    make_question(
        slug="p-values",
        title="What is a p-value?",
        category="statistics",
        tags=["inference"],
    )
    make_question(
        slug="dropout-follow",
        title="Why scale the activations when dropping units?",
        prompt="Drill down: where does the scaling happen?",
        category="deep-learning",
        rounds=["ml-depth"],
        tags=["regularization"],
        difficulty="hard",
    )
    page = logged_in_page
    mock = start(page, live_server, "technical-screen")
    first, second = [i.question.title for i in MockItem.objects.filter(mock=mock, position__lt=2)]
    title = page.locator("#mock-question-title")
    assert title.inner_text() == first
    assert page.get_by_text("Question 1 of 2").is_visible()
    assert "Model answer" not in page.content() and "medium" not in page.inner_text("main")

    # Both clocks run: the round's countdown and the time on this question.
    clock = page.locator("[data-question-clock-text]")
    before = clock.inner_text()
    page.wait_for_function(
        "before => document.querySelector('[data-question-clock-text]').textContent !== before",
        arg=before,
    )
    assert re.fullmatch(r"29:[0-5]\d", page.locator("[data-countdown-text]").inner_text())

    # Answer the first question, move on (htmx swaps the question: same URL), come back.
    answers = {
        "What does dropout do at test time?": "Nothing is dropped; the weights were scaled.",
        "What is a p-value?": "The chance of data this extreme under the null.",
    }
    page.get_by_label("Your answer").fill(answers[first])
    saved(page, 0)
    url = page.url
    page.get_by_role("button", name="Next question →").click()
    page.wait_for_function(
        "t => document.querySelector('#mock-question-title').textContent === t", arg=second
    )
    assert page.url == url and page.get_by_text("Question 2 of 2").is_visible()
    assert page.get_by_role("button", name="Question 1, answered").is_visible()
    page.get_by_label("Your answer").fill(answers[second])
    page.get_by_role("button", name="← Previous").click()
    page.wait_for_function(
        "t => document.querySelector('#mock-question-title').textContent === t", arg=first
    )
    assert page.get_by_label("Your answer").input_value() == answers[first]

    # Go to the dropout question, ask for its follow-up and answer it.
    dropout = MockItem.objects.get(mock=mock, question__slug="dropout")
    if title.inner_text() != "What does dropout do at test time?":
        page.get_by_role("button", name=f"Question {dropout.position + 1},").click()
        page.get_by_role("heading", name="What does dropout do at test time?").wait_for()
    assert not page.get_by_text("Drill down: where does the scaling happen?").is_visible()
    page.get_by_role("button", name="Ask me the follow-up questions").click()
    page.get_by_text("Drill down: where does the scaling happen?").wait_for()
    follow = MockItem.objects.get(mock=mock, follow_up_of=dropout)
    page.locator(f"#answer-{follow.position}").fill("Inverted dropout scales at training time.")
    saved(page, follow.position)

    # A reload shows the same question, its answers and the clocks.
    page.reload()
    assert title.inner_text() == "What does dropout do at test time?"
    assert page.locator(f"#answer-{dropout.position}").input_value().startswith("Nothing is")
    assert page.locator(f"#answer-{follow.position}").input_value().startswith("Inverted")
    assert re.fullmatch(r"0:\d\d", clock.inner_text())

    finish(page)
    page.get_by_text("Nothing is dropped; the weights were scaled.").wait_for()
    assert page.get_by_text("Inverted dropout scales at training time.").is_visible()
    assert page.get_by_text("The chance of data this extreme under the null.").is_visible()
    rate_all(page, "Good")
    assert page.get_by_text("Your rating: Good").count() == 3  # two questions, one follow-up
    assert MockItem.objects.filter(mock=mock, rating=3).count() == 3


def test_a_choice_mock_keeps_the_picks_and_grades_them_in_the_debrief(
    logged_in_page, live_server, alice
):
    seed_loop()
    make_question(
        slug="which-losses",
        title="Which losses are convex in the logits?",
        kind="choice",
        choices=[
            ("Softmax cross-entropy", True),
            ("Zero-one loss", False),
            ("Logistic loss", True),
        ],
    )
    page = logged_in_page
    start(page, live_server, "technical-screen")
    assert page.get_by_text("Select every correct option").is_visible()
    assert "choice-correct" not in page.content()  # not graded while the interview runs
    page.get_by_label("Softmax cross-entropy").check()
    saved(page, 0)
    page.locator("#saved-0").evaluate("el => el.textContent = ''")
    page.get_by_label("Logistic loss").check()
    saved(page, 0)

    page.reload()
    assert page.get_by_label("Softmax cross-entropy").is_checked()
    assert page.get_by_label("Logistic loss").is_checked()
    assert not page.get_by_label("Zero-one loss").is_checked()
    assert page.get_by_role("button", name="Question 1, on screen").is_visible()

    finish(page)
    page.get_by_text("Correct: you picked A and C.").wait_for()
    rate_all(page, "Easy")
    assert page.get_by_text("Your rating: Easy").is_visible()


@needs_bwrap
def test_a_coding_mock_with_a_passing_submit(logged_in_page, live_server, alice, settings):
    settings.PREP_CODE_RUNNER = "bwrap"
    seed_loop()
    make_question(
        slug="double-it",
        title="Double a number",
        category="coding",
        rounds=["coding"],
        kind="coding",
        language="python",
        starter=STARTER,
        solution=RIGHT,
        tests=TESTS,
    )
    page = logged_in_page
    mock = start(page, live_server, "coding")
    editor = code_editor(page, "#code-0")
    editor.wait_for()
    assert "pass" in editor.inner_text()  # the editor starts from the starter code
    set_code(page, "#code-0", RIGHT)
    page.get_by_role("button", name="Submit all tests").click()
    page.get_by_text("All tests: 2 of 2 passed").wait_for()

    page.reload()
    editor.wait_for()
    assert "return 2 * x" in editor.inner_text()
    assert page.get_by_text("All tests: 2 of 2 passed").is_visible()
    assert MockItem.objects.get(mock=mock, position=0).code == RIGHT

    finish(page)
    page.get_by_text("Solved: 2 of 2 tests passed on your last Submit.").wait_for()
    rate_all(page, "Good")
    assert page.get_by_text("Your rating: Good").is_visible()


def test_a_design_mock_answered_part_by_part(logged_in_page, live_server, alice):
    seed_loop()
    profile = Profile.for_user(alice)
    profile.track = Track.objects.get(slug="phd")  # system design is a PhD round
    profile.save()
    make_question(
        slug="feed",
        title="Design a home feed",
        category="system-design",
        rounds=["system-design"],
        kind="design",
    )
    page = logged_in_page
    start(page, live_server, "system-design")
    assert page.get_by_text("Your design, part by part").is_visible()
    page.get_by_label("Data", exact=True).fill("Impressions and saves, joined by request id.")
    saved(page, 0)
    page.locator("#saved-0").evaluate("el => el.textContent = ''")
    page.get_by_label("Model", exact=True).fill("Two-tower retrieval, then a ranker.")
    saved(page, 0)

    page.reload()
    assert page.get_by_label("Data", exact=True).input_value().startswith("Impressions")
    assert page.get_by_label("Model", exact=True).input_value().startswith("Two-tower")

    finish(page)
    page.get_by_text("Impressions and saves, joined by request id.").wait_for()
    assert page.get_by_text("Two-tower retrieval, then a ranker.").is_visible()
    rate_all(page, "Hard")
    assert page.get_by_text("Your rating: Hard").is_visible()


def test_at_zero_the_answers_are_submitted_and_the_debrief_opens(
    logged_in_page, live_server, alice
):
    seed_loop()
    question = make_question(slug="quick", title="A quick one")
    now = datetime.now(UTC)
    mock = MockInterview.objects.create(
        user=alice,
        round=Round.objects.get(slug="technical-screen"),
        started_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(seconds=4),
        current_position=0,
        current_since=now - timedelta(minutes=30),
    )
    MockItem.objects.create(mock=mock, question=question, position=0)
    page = logged_in_page
    page.goto(f"{live_server.url}/mock/{mock.pk}/")
    # Typed in the last seconds, before an autosave fires: the final submit carries it.
    page.get_by_label("Your answer").press_sequentially("last words")
    page.get_by_role("heading", name=re.compile("debrief")).wait_for(timeout=15_000)
    assert page.get_by_text("last words").is_visible()
    mock.refresh_from_db()
    assert mock.finished_at is not None
    assert 30 * 60 + 2 <= MockItem.objects.get(mock=mock).seconds_spent <= 30 * 60 + 4


def test_a_question_swapped_in_gets_the_editor_and_refusals_are_shown(
    logged_in_page, live_server, alice, settings
):
    settings.PREP_CODE_RUNNER = "off"
    seed_loop()
    spoken = make_question(slug="spoken", title="Talk first")
    coding = make_question(
        slug="double-it",
        title="Double a number",
        category="coding",
        kind="coding",
        language="python",
        starter=STARTER,
        solution=RIGHT,
        tests=TESTS,
    )
    now = datetime.now(UTC)
    mock = MockInterview.objects.create(
        user=alice,
        round=Round.objects.get(slug="coding"),
        started_at=now,
        ends_at=now + timedelta(minutes=45),
        current_position=0,
        current_since=now,
    )
    MockItem.objects.create(mock=mock, question=spoken, position=0)
    MockItem.objects.create(mock=mock, question=coding, position=1)
    page = logged_in_page
    page.goto(f"{live_server.url}/mock/{mock.pk}/")
    page.get_by_role("button", name="Next question →").click()
    editor = code_editor(page, "#code-1")
    editor.wait_for()  # the editor is set up on content htmx swapped in
    set_code(page, "#code-1", RIGHT)
    # The server's refusal (503) is shown where the results would be, and the code is kept.
    refusal = page.locator("#run-results .form-errors[role=alert]")
    assert refusal.count() == 0
    page.get_by_role("button", name="Run examples").click()
    refusal.get_by_text("Running code is turned off on this server.").wait_for()
    assert MockItem.objects.get(mock=mock, position=1).code == RIGHT
