"""The phone layout (issue 16) at 390x844: the folding menu, the bank's filters drawer, the
practice ratings held at the bottom of the screen, and charts whose labels stay readable."""

from datetime import UTC, datetime, timedelta

import pytest

from questions import scheduling
from questions.models import MockInterview, MockItem, ReadinessSnapshot, Review, Round
from tests.conftest import PASSWORD
from tests.factories import make_question, seed_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# Every <text> drawn in a chart, with its size on screen: the font size in SVG units times the
# SVG's scale to the screen. Charts not displayed (the other drawing of a pair) have no boxes.
CHART_TEXT_SIZES = """() => [...document.querySelectorAll("svg.chart text")]
  .filter((t) => t.getClientRects().length > 0)
  .map((t) => ({
    chart: t.ownerSVGElement.getAttribute("class"),
    text: t.textContent,
    px: t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize),
  }))"""


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_menu_folds_behind_a_button_on_a_phone(logged_in_page, live_server):
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/practice/")
    menu = page.get_by_role("button", name="Menu")
    bank = page.get_by_role("link", name="Bank", exact=True)
    assert menu.get_attribute("aria-expanded") == "false"
    assert menu.get_attribute("aria-controls") == "nav-menu"
    assert not bank.is_visible()
    assert not page.get_by_role("button", name="Log out").is_visible()

    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    bank.wait_for(state="visible")
    page.get_by_role("button", name="Log out").wait_for(state="visible")
    # Esc closes it and leaves the focus on the button.
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not bank.is_visible()
    assert page.evaluate("document.activeElement.dataset.navToggle") == ""

    # With the keyboard: Enter opens it, Tab goes to its first link, a tap outside closes it.
    page.keyboard.press("Enter")
    bank.wait_for(state="visible")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Practice"
    page.locator("h1").click()
    assert not bank.is_visible()

    menu.click()
    bank.click()
    page.wait_for_url(f"{live_server.url}/bank/")
    current = page.get_by_role("link", name="Bank", exact=True, include_hidden=True)
    assert current.get_attribute("aria-current") == "page"
    assert _page_width(page) <= PHONE["width"]

    # On a desktop the links are in the bar and there is no button.
    page.set_viewport_size(DESKTOP)
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.get_by_role("link", name="Readiness").is_visible()


def test_without_javascript_the_menu_and_filters_stay_open(browser, live_server, alice):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/bank/")
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.get_by_role("link", name="Readiness").is_visible()
    assert not page.get_by_role("button", name="Filters").is_visible()
    assert page.get_by_label("Category").is_visible()
    context.close()


def test_the_bank_filters_open_in_a_drawer_on_a_phone(logged_in_page, live_server):
    seed_loop()
    make_question(slug="m-easy", title="Bias and variance", difficulty="easy")
    make_question(slug="m-hard", title="Stable softmax", difficulty="hard")
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/bank/")
    page.get_by_text("2 questions").wait_for()

    toggle = page.get_by_role("button", name="Filters")
    assert toggle.inner_text() == "Filters"
    difficulty = page.get_by_label("Difficulty")
    assert not difficulty.is_visible()
    # Results first: the first question shows without scrolling.
    first = page.locator(".question-item").first.bounding_box()
    assert first["y"] + first["height"] <= PHONE["height"]

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    difficulty.wait_for(state="visible")
    assert page.evaluate("document.activeElement.name") == "category"
    drawer = page.locator("#bank-filters").bounding_box()
    assert drawer["y"] + drawer["height"] == pytest.approx(PHONE["height"], abs=1)

    difficulty.select_option("hard")
    page.get_by_text("1 question", exact=True).wait_for()
    assert "difficulty=hard" in page.url
    assert toggle.inner_text() == "Filters (1 active)"
    page.get_by_role("button", name="Show results").click()
    assert not difficulty.is_visible()
    assert page.locator(".question-title").all_inner_texts() == ["Stable softmax"]
    assert page.evaluate("document.activeElement.dataset.filtersToggle") == ""

    # Esc closes it too; a reload keeps the filter and counts it.
    toggle.click()
    difficulty.wait_for(state="visible")
    page.keyboard.press("Escape")
    assert not difficulty.is_visible()
    page.reload()
    assert page.get_by_role("button", name="Filters").inner_text() == "Filters (1 active)"
    assert _page_width(page) <= PHONE["width"]

    page.set_viewport_size(DESKTOP)  # the desktop form, unchanged
    assert page.get_by_label("Difficulty").is_visible()
    assert not page.get_by_role("button", name="Filters").is_visible()


def test_the_ratings_stay_at_the_bottom_of_a_phone_after_the_reveal(
    logged_in_page, live_server, alice
):
    seed_loop()
    long_answer = "\n\n".join(f"Paragraph {i} of the model answer, long enough." for i in range(30))
    question = make_question(
        slug="m-long", title="A question with a long answer", answer=long_answer
    )
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/practice/")
    page.get_by_role("link", name="Start practising").click()
    ratings = page.locator("fieldset.ratings")
    assert ratings.count() == 0
    page.get_by_role("button", name="Reveal answer").click()
    page.get_by_role("heading", name="Model answer").wait_for()

    box = ratings.bounding_box()
    assert box["y"] > PHONE["height"] / 2  # a bar at the bottom of the screen...
    assert box["y"] + box["height"] == pytest.approx(PHONE["height"], abs=1)
    assert ratings.evaluate("el => getComputedStyle(el).position") == "sticky"
    good = page.locator('[data-rating="3"]')
    assert good.is_visible()
    assert "Good" in good.inner_text()
    page.evaluate("window.scrollBy(0, 600)")  # ...that stays there while the answer scrolls
    assert page.evaluate("window.scrollY") == 600
    box = ratings.bounding_box()
    assert box["y"] + box["height"] == pytest.approx(PHONE["height"], abs=1)

    # At the end of the card it sits below the last rubric point instead of covering it.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    last_point = page.locator(".rubric-point").last.bounding_box()
    assert last_point["y"] + last_point["height"] <= ratings.bounding_box()["y"]
    assert _page_width(page) <= PHONE["width"]

    page.keyboard.press("3")  # the keyboard still rates
    page.get_by_role("heading", name="Session complete").wait_for()
    assert Review.objects.get(user=alice, question=question).rating == 3


def test_tapping_a_rating_in_the_bar_rates(logged_in_page, live_server, alice):
    seed_loop()
    question = make_question(slug="m-tap", title="Tap to rate")
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/practice/")
    page.get_by_role("link", name="Start practising").click()
    page.get_by_role("button", name="Reveal answer").click()
    page.locator('[data-rating="2"]').click()
    page.get_by_role("heading", name="Session complete").wait_for()
    assert Review.objects.get(user=alice, question=question).rating == 2


def _history(alice):
    """Reviews over half a year, cards due in the next days and a readiness history, so every
    dashboard chart draws its marks and labels."""
    now = datetime.now(UTC)
    for i in range(12):
        question = make_question(slug=f"m-hist-{i}", rounds=["technical-screen"])
        for k in range(3):
            scheduling.record_review(
                alice,
                question,
                sequence=k,
                rating=3,
                now=now - timedelta(days=180 - 14 * i - 2 * k),
                desired_retention=0.9,
            )
    for r, round_ in enumerate(Round.objects.order_by("position")[:4]):
        for days_ago in range(0, 90, 9):
            ReadinessSnapshot.objects.create(
                user=alice,
                round=round_,
                day=(now - timedelta(days=days_ago)).date(),
                score=30 + r * 10 + days_ago / 3,
                coverage=0.5,
            )


def _small_labels(page) -> tuple[list[dict], set[str]]:
    texts = page.evaluate(CHART_TEXT_SIZES)
    charts = {name for t in texts for name in t["chart"].split()}
    return [t for t in texts if t["px"] < 11], charts


def test_dashboard_charts_have_no_label_under_11_px(logged_in_page, live_server, alice):
    seed_loop()
    _history(alice)
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/dashboard/")
    page.locator("svg.chart-heatmap").wait_for()

    small, charts = _small_labels(page)
    assert small == []
    # All three charts were measured, each in its phone drawing.
    assert {"chart-heatmap", "chart-bars-narrow", "chart-lines-narrow"} <= charts
    assert page.locator("svg.chart-bars-narrow text.chart-value").count() >= 1
    # Nothing wider than the screen but the calendar's own scrolling wrapper...
    assert _page_width(page) <= PHONE["width"]
    scroller = page.locator(".chart-scroll")
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")
    # ...which opens at the latest weeks: today's cell is on screen.
    today = page.locator("svg.chart-heatmap rect.heat").last.bounding_box()
    assert today["x"] >= 0
    assert today["x"] + today["width"] <= PHONE["width"]

    page.set_viewport_size(DESKTOP)  # the wide drawings, still at least 11 px
    small, charts = _small_labels(page)
    assert small == []
    assert {"chart-heatmap", "chart-bars", "chart-lines"} <= charts
    assert "chart-narrow" not in charts
    assert not scroller.evaluate("el => el.scrollWidth > el.clientWidth")


def test_mock_charts_have_no_label_under_11_px_on_a_phone(logged_in_page, live_server, alice):
    seed_loop()
    questions = [make_question(slug=f"m-mock-{i}", rounds=["ml-depth"]) for i in range(3)]
    now = datetime.now(UTC)
    for days_ago, score in ((9, 40.0), (2, 75.0)):
        start = now - timedelta(days=days_ago, minutes=50)
        mock = MockInterview.objects.create(
            user=alice,
            round=Round.objects.get(slug="ml-depth"),
            started_at=start,
            ends_at=start + timedelta(minutes=45),
            finished_at=start + timedelta(minutes=40),
            rated_at=start + timedelta(minutes=45),
            score=score,
        )
        for position, question in enumerate(questions):
            MockItem.objects.create(
                mock=mock,
                question=question,
                position=position,
                seconds_spent=300 * (position + 1),
                rating=3,
            )
    page = logged_in_page
    page.set_viewport_size(PHONE)
    for path in ("/mock/", f"/mock/{mock.pk}/"):
        page.goto(f"{live_server.url}{path}")
        page.locator("svg.chart").first.wait_for()
        small, charts = _small_labels(page)
        assert charts, path
        assert small == [], path
        assert _page_width(page) <= PHONE["width"], path
