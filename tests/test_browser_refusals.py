"""A request the app refuses with a message (400, 409, 429, 503) shows that message where the
htmx request was aimed, instead of the click doing nothing (htmx drops 4xx/5xx by default)."""

import pytest

from tests.conftest import set_code
from tests.factories import make_question, seed_loop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_note_too_long_says_so_on_the_page(logged_in_page, live_server):
    seed_loop()
    make_question(slug="noted")
    page = logged_in_page
    page.goto(f"{live_server.url}/q/noted/")
    page.locator("#note-text").fill("x" * 20_001)
    page.get_by_role("button", name="Save note").click()
    page.get_by_role("alert").filter(has_text="Notes are limited to 20,000 characters").wait_for()
    # What was typed is still there to shorten.
    assert len(page.locator("#note-text").input_value()) == 20_001


def test_running_code_when_the_runner_is_off_says_so(logged_in_page, live_server, settings):
    settings.PREP_CODE_RUNNER = "off"
    seed_loop()
    make_question(
        slug="double",
        category="coding",
        rounds=["coding"],
        kind="coding",
        language="python",
        starter="def double(n):\n    pass\n",
        solution="def double(n):\n    return 2 * n\n",
        tests="def test_example():\n    assert double(2) == 4\n",
    )
    page = logged_in_page
    page.goto(f"{live_server.url}/q/double/")
    set_code(page, "#code", "def double(n):\n    return n + n\n")
    page.get_by_role("button", name="Run examples").click()
    page.locator("#run-results").get_by_role("alert").filter(
        has_text="Running code is turned off on this server."
    ).wait_for()
