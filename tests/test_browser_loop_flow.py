"""The interview loop in the browser (issue 16): the welcome steps after sign-up, the tracker's
htmx swaps, and the whole flow of the issue's "Done when"."""

import datetime
import os

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from questions import loops
from questions.models import AskedQuestion, InterviewLoop, Question, Review, Stage, Track
from tests.conftest import PASSWORD
from tests.factories import make_question, seed_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SHOTS = os.environ.get("PREP_SCREENSHOTS")  # a folder: save the pages there to look at them


def _shoot(page, name: str) -> None:
    """Without horizontal scrolling at either width, in both themes; saved when asked."""
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        for theme in ("light", "dark"):
            page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], f"{name} is {width} px wide at {size['width']}"
            if SHOTS:
                page.screenshot(path=f"{SHOTS}/{name}-{size_name}-{theme}.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def _day(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def test_the_tracker_swaps_a_loop_in_place(logged_in_page, live_server, alice):
    seed_loop()
    drafts = loops.default_stages(Track.objects.get(slug="masters"))
    drafts[0].date, drafts[0].outcome = _day(-2), Stage.Outcome.PASSED
    drafts[2].date = _day(12)
    loop = loops.create_loop(alice, "Pinterest", drafts)
    page = logged_in_page
    page.goto(f"{live_server.url}/loops/")
    card = page.locator(f"#loop-{loop.pk}")
    assert "Next: Technical screen (no date yet)" in card.locator(".loop-next").inner_text()

    coding = card.locator(".stage").nth(2)
    coding.get_by_text("Questions I was asked").click()
    coding.get_by_label("A question I was asked").fill("Find the median of two sorted arrays")
    coding.get_by_role("button", name="Add the question").click()
    page.get_by_text("Added the question you were asked.").wait_for()
    coding = page.locator(f"#loop-{loop.pk} .stage").nth(2)
    coding.get_by_role("button", name="Make it a practice question").click()
    page.get_by_text("In your questions:").wait_for()
    question = Question.objects.get(owner=alice)
    assert question.title == "Find the median of two sorted arrays"
    assert AskedQuestion.objects.get().question == question
    assert page.url.endswith("/loops/")  # swapped in place, not a new page

    page.locator(f"#loop-{loop.pk} .stage").nth(3).get_by_role("button", name="Move up").click()
    page.get_by_text("Moved “ML-specific interviews” up.").wait_for()
    names = page.locator(f"#loop-{loop.pk} .stage-name").all_inner_texts()
    assert names[2:] == ["ML-specific interviews", "Coding interviews"]
    _shoot(page, "loops")


def test_changing_the_track_refills_the_welcome_stages(logged_in_page, live_server):
    seed_loop()
    page = logged_in_page
    page.goto(f"{live_server.url}/welcome/")
    page.locator("#id_stages-2-date").fill(_day(20).isoformat())
    assert page.locator(".stage-row").count() == 4
    page.get_by_label("PhD internship", exact=False).check()
    page.locator("#id_stages-6-name").wait_for()
    assert page.locator(".stage-row").count() == 7
    assert page.locator("#id_stages-2-date").input_value() == _day(20).isoformat()
    _shoot(page, "welcome")
    assert not InterviewLoop.objects.exists()


def test_a_new_user_sets_up_the_loop_practises_from_today_and_tracks_the_stages(page, live_server):
    """The issue's "Done when": sign up, onboard with two stages on different dates, land on
    Today, practise from it, mark the screen passed, add a question asked there (and make it a
    practice question); the dashboard shows each stage at its own date."""
    seed_loop()
    for n in range(6):
        make_question(
            slug=f"story-{n}",
            title=f"Tell me about a time {n}",
            category="behavioural",
            rounds=["screen"],
        )
        make_question(
            slug=f"algo-{n}", title=f"Algorithm {n}", category="coding", rounds=["coding"]
        )
    screen_day, coding_day = _day(2), _day(20)

    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill("erin")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Welcome. Set up your interview loop").wait_for()
    page.get_by_text("Welcome, erin!").wait_for()

    page.get_by_label("Masters internship", exact=False).check()
    page.locator("#id_stages-0-date").fill(screen_day.isoformat())
    page.locator("#id_stages-2-date").fill(coding_day.isoformat())
    page.get_by_label("Minutes a day").fill("40")
    page.get_by_role("button", name="Save and go to Today").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("heading", name="Today", exact=True).wait_for()
    erin = get_user_model().objects.get(username="erin")
    loop = InterviewLoop.objects.get(user=erin)
    assert [(s.name, s.date) for s in loop.stages.all() if s.date] == [
        ("Application and recruiter screen", screen_day),
        ("Coding interviews", coding_day),
    ]
    assert erin.profile.minutes_per_day == 40 and erin.profile.onboarded_at is not None

    # Today plans new questions for the screen first: practise one from there.
    page.get_by_role("link", name="Learn", exact=False).first.click()
    page.get_by_role("button", name="Reveal answer").click()
    page.locator('[data-rating="3"]').click()
    page.wait_for_function("() => !document.querySelector('[data-rating]')")
    review = Review.objects.get(user=erin)
    assert review.rating == 3 and review.question.rounds.filter(slug="screen").exists()

    # The dashboard: each stage's round at that stage's own date.
    page.goto(f"{live_server.url}/dashboard/")
    stages = page.locator(".round-stage").all_inner_texts()
    assert any(
        t.startswith(f"Application and recruiter screen (Pinterest), {_short(screen_day)}")
        for t in stages
    ), stages
    assert any(
        t.startswith(f"Coding interviews (Pinterest), {_short(coding_day)}") for t in stages
    ), stages

    # The screen went well: mark it passed and write down what was asked.
    page.get_by_role("link", name="Loop", exact=True).click()
    screen = page.locator(".stage").first
    screen.get_by_role("link", name="Edit").click()
    page.get_by_label("How it went").select_option("passed")
    page.get_by_label("Notes").fill("Recruiter liked the recsys project.")
    _shoot(page, "stage-edit")
    page.get_by_role("button", name="Save the stage").click()
    screen = page.locator(".stage").first
    assert "Passed" in screen.locator(".status").inner_text()
    assert "Next: Technical screen" in page.locator(".loop-next").inner_text()
    screen.get_by_text("Questions I was asked").click()
    screen.get_by_label("A question I was asked").fill("Why Pinterest?\nAnd why this team?")
    screen.get_by_role("button", name="Add the question").click()
    page.get_by_text("Added the question you were asked.").wait_for()
    page.locator(".stage").first.get_by_role("button", name="Make it a practice question").click()
    page.get_by_text("In your questions:").wait_for()
    question = Question.objects.get(owner=erin)
    assert (question.title, question.visibility) == ("Why Pinterest?", "private")
    assert [r.slug for r in question.rounds.all()] == ["screen"]

    page.goto(f"{live_server.url}/dashboard/")
    stages = page.locator(".round-stage").all_inner_texts()
    assert any("Application and recruiter screen" in t and "passed" in t for t in stages), stages
    assert any(
        t.startswith(f"Coding interviews (Pinterest), {_short(coding_day)}") for t in stages
    ), stages


def _short(date: datetime.date) -> str:
    return f"{date.day} {date:%b}"
