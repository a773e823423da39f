import pytest

from tests.conftest import needs_bwrap, set_code
from tests.factories import make_question, seed_loop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs_bwrap,
]

TESTS = (
    "def test_example():\n    assert double(2) == 4\n\n"
    "def test_zero():\n    assert double(0) == 0\n"
)


def test_submit_wrong_then_fixed_solution(logged_in_page, live_server, settings):
    settings.PREP_CODE_RUNNER = "bwrap"
    seed_loop()
    make_question(
        slug="double-browser",
        title="Double it",
        category="coding",
        rounds=["coding"],
        kind="coding",
        language="python",
        starter="def double(x):\n    pass\n",
        solution="def double(x):\n    return 2 * x\n",
        tests=TESTS,
    )
    page = logged_in_page
    page.goto(f"{live_server.url}/q/double-browser/")
    set_code(page, "#code", "def double(x):\n    return x + 2\n")
    page.get_by_role("button", name="Submit all tests").click()
    page.get_by_text("All tests: 1 of 2 passed").wait_for()
    failure = page.locator(".test-fail").first
    assert "test_zero" in failure.inner_text()
    assert "assert double(0) == 0" in failure.inner_text()  # first failure is expanded

    set_code(page, "#code", "def double(x):\n    return 2 * x\n")
    page.get_by_role("button", name="Submit all tests").click()
    page.get_by_text("All tests: 2 of 2 passed").wait_for()
    assert page.locator(".test-fail").count() == 0

    page.reload()  # the last code survives a refresh
    assert "return 2 * x" in page.locator("#code").input_value()


def test_a_queued_run_shows_its_state_and_then_its_result_without_a_reload(
    logged_in_page, live_server, settings
):
    from tests.test_code_runs import work_off_the_queue

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PREP_CODE_RUNNER = "bwrap"
    seed_loop()
    make_question(
        slug="double-queued", title="Double it, queued", category="coding", rounds=["coding"],
        kind="coding", language="python", starter="def double(x):\n    pass\n",
        solution="def double(x):\n    return 2 * x\n", tests=TESTS,
    )  # fmt: skip
    page = logged_in_page
    page.goto(f"{live_server.url}/q/double-queued/")
    set_code(page, "#code", "def double(x):\n    return 2 * x\n")
    page.get_by_role("button", name="Submit all tests").click()
    page.get_by_text("Queued: waiting for a free runner").wait_for()
    page.wait_for_timeout(1200)  # it keeps polling while nothing runs it
    assert page.get_by_text("Queued: waiting for a free runner").is_visible()

    work_off_the_queue()  # a runner worker picks it up
    page.get_by_text("All tests: 2 of 2 passed").wait_for(timeout=10_000)
    assert page.url == f"{live_server.url}/q/double-queued/"


def test_review_question_catch_the_bug_with_a_test_then_fix_it(
    logged_in_page, live_server, settings
):
    from tests.test_review import GIVEN, SOLUTION
    from tests.test_review import TESTS as REVIEW_TESTS

    settings.PREP_CODE_RUNNER = "bwrap"
    seed_loop()
    make_question(
        slug="review-browser", title="Review: count positives", category="coding",
        rounds=["coding"], kind="review", language="python", starter=GIVEN, solution=SOLUTION,
        tests=REVIEW_TESTS,
    )  # fmt: skip
    page = logged_in_page
    page.goto(f"{live_server.url}/q/review-browser/")
    assert "x >= 0" in page.locator(".given").inner_text()  # the AI's code is shown
    assert "x >= 0" in page.locator("#code").input_value()  # and the fix starts from it

    set_code(page, "#test-code", "def test_basic():\n    assert count_positive([1, 2]) == 2\n")
    page.get_by_role("button", name="Check my test").click()
    page.get_by_text("Not caught: your test passes on the AI's code too").wait_for()

    set_code(page, "#test-code", "def test_zero():\n    assert count_positive([0, 3]) == 1\n")
    page.get_by_role("button", name="Check my test").click()
    page.get_by_text("Caught: your test fails on the AI's code").wait_for()
    results = page.locator("#catch-results").inner_text()
    assert "On the AI's code: your test fails" in results
    assert "On a correct solution: your test passes" in results

    set_code(page, "#code", SOLUTION)
    page.get_by_role("button", name="Submit all tests").click()
    page.get_by_text("All tests: 3 of 3 passed").wait_for()
    # Both results stay on screen, each in its own place.
    assert "Caught" in page.locator("#catch-results").inner_text()

    page.reload()  # the test and the fix survive a refresh
    assert "count_positive([0, 3])" in page.locator("#test-code").input_value()
    assert "x > 0" in page.locator("#code").input_value()
