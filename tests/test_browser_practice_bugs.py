"""Practice bugs a browser walk found (issue 14), each pinned in a real browser: the runner
mode shown before Run, Tab over a selection in the practice code editor, and the end of a
session at the daily new-question limit.

Set PREP_SCREENSHOTS=<dir> to keep screenshots of the session summary (phone and desktop,
light and dark) for a look by eye."""

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from questions.models import Profile
from tests.conftest import code_editor, set_code
from tests.factories import make_question, seed_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STARTER = "def double(x):\n    pass\n"


@pytest.fixture
def coding_card(logged_in_page, live_server):
    seed_loop()
    make_question(
        slug="double-practice", title="Double it", category="coding", rounds=["coding"],
        kind="coding", language="python", starter=STARTER,
        solution="def double(x):\n    return 2 * x\n",
        tests="def test_example():\n    assert double(2) == 4\n",
    )  # fmt: skip
    page = logged_in_page
    page.goto(f"{live_server.url}/practice/session/?scope=all")
    page.get_by_role("heading", name="Double it").wait_for()
    return page


@pytest.fixture
def subprocess_runner(settings):
    settings.PREP_CODE_RUNNER = "subprocess"


@pytest.mark.usefixtures("subprocess_runner")
def test_the_practice_card_says_how_code_runs_before_run_is_pressed(coding_card):
    page = coding_card
    mode = page.locator("#run-results .runner-mode")
    assert mode.is_visible()
    assert "without a sandbox" in mode.inner_text()
    assert "turned off" not in page.locator("#practice-card").inner_text()


def test_tab_over_a_selection_in_the_practice_editor_indents_it(coding_card):
    page = coding_card
    answer = page.locator("#answer")
    set_code(page, "#answer", "def double(x):\n    return 2 * x")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Tab")  # indents every selected line; the code is not replaced
    assert answer.input_value() == "    def double(x):\n        return 2 * x"
    assert code_editor(page, "#answer").evaluate("e => e.contains(document.activeElement)")
    page.keyboard.press("Shift+Tab")
    assert answer.input_value() == "def double(x):\n    return 2 * x"
    page.keyboard.press("Tab")
    page.keyboard.press("ControlOrMeta+z")  # and the indent can be undone
    assert answer.input_value() == "def double(x):\n    return 2 * x"


def _screenshots(page, name: str) -> None:
    folder = os.environ.get("PREP_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for theme in ("light", "dark"):
        page.evaluate("t => { document.documentElement.dataset.theme = t; }", theme)
        for width, height in ((390, 844), (1280, 800)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=f"{folder}/{name}-{theme}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_session_at_the_daily_limit_says_so_and_adds_more(logged_in_page, live_server, alice):
    seed_loop()
    Profile.objects.create(user=alice, new_per_day=1)
    make_question(slug="first-card", title="What is overfitting?", difficulty="easy")
    make_question(slug="second-card", title="What is a learning rate?", difficulty="hard")
    page = logged_in_page
    page.goto(f"{live_server.url}/practice/")
    page.get_by_role("link", name="Start practising").click()
    page.get_by_role("heading", name="What is overfitting?").wait_for()
    page.keyboard.press("Space")
    page.get_by_role("heading", name="Model answer").wait_for()
    page.keyboard.press("2")  # Hard: the old summary printed "1 Hard, ."

    page.get_by_role("heading", name="Session complete").wait_for()
    summary = page.locator(".summary").inner_text()
    assert "You reviewed 1 question in this session: 1 Hard." in summary
    assert "You reached today's limit of 1 new question, so the session stopped." in summary
    assert "Your next review is due" in summary
    _screenshots(page, "practice-limit")

    page.get_by_role("button", name="Add 5 more new questions today").click()
    page.get_by_role("heading", name="What is a learning rate?").wait_for()
    assert "5 new left today" in page.locator(".queue-status").inner_text()
    assert Profile.objects.get(user=alice).new_per_day == 1


@pytest.mark.browser_context_args(timezone_id="Asia/Tokyo")
def test_times_follow_the_browsers_time_zone(logged_in_page, live_server, alice):
    """app.js reports the zone in a cookie; later pages show times in it."""
    seed_loop()
    make_question(slug="tokyo-card", title="What is a learning rate?")
    page = logged_in_page
    assert {"name": "tz", "value": "Asia/Tokyo"}.items() <= next(
        c for c in page.context.cookies() if c["name"] == "tz"
    ).items()
    page.goto(f"{live_server.url}/settings/")
    assert "it says Asia/Tokyo." in page.locator("main").inner_text()
    _screenshots(page, "settings")

    page.goto(f"{live_server.url}/practice/session/?scope=all&started=0")
    page.keyboard.press("Space")
    page.get_by_role("heading", name="Model answer").wait_for()
    page.keyboard.press("3")
    page.get_by_role("heading", name="Session complete").wait_for()
    assert "JST." in page.get_by_text("Your next review is due").inner_text()

    page.goto(f"{live_server.url}/settings/")
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Settings saved.").wait_for()
    page.goto(f"{live_server.url}/q/tokyo-card/")
    next_review = page.get_by_text("next review").inner_text()
    assert re.search(r"\d\d:\d\d CES?T\.", next_review)  # Settings win over the browser
    day = date.today() + timedelta(days=40)
    Profile.objects.filter(user=alice).update(interview_date=day)
    page.goto(f"{live_server.url}/dashboard/")
    figure = page.locator(".round-card", has_text="Technical screen").locator(".round-figure")
    assert f"/100 on {day.day} {day:%b}, your interview day" in figure.inner_text()
    assert " now" in page.locator(".legend").inner_text()
    _screenshots(page, "dashboard")
