from datetime import UTC, datetime, timedelta

import pytest

from questions import scheduling
from questions.models import MockInterview, Review
from tests.factories import make_question, seed_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_then_a_timed_mock_interview(logged_in_page, live_server, alice):
    seed_loop()
    for category in ("deep-learning", "vision", "recsys", "nlp"):
        for i in range(2):
            make_question(
                slug=f"b-{category}-{i}",
                title=f"{category} question {i}",
                category=category,
                rounds=["ml-depth"],
            )
    practised = make_question(slug="b-screen", rounds=["technical-screen"])
    scheduling.record_review(
        alice,
        practised,
        sequence=0,
        rating=4,
        now=datetime.now(UTC) - timedelta(days=1),
        desired_retention=0.9,
    )

    page = logged_in_page
    page.goto(f"{live_server.url}/dashboard/")
    assert page.locator(".round-card").count() == 4
    assert page.locator('.round-card svg[role="meter"]').count() == 4
    assert int(page.locator(".round-card").nth(1).locator(".round-figure strong").inner_text()) > 0
    page.locator("svg.chart-heatmap").wait_for()
    page.locator("svg.chart-bars").wait_for()

    page.goto(f"{live_server.url}/mock/?round=ml-depth")
    page.get_by_role("button", name="Start the interview").click()
    page.locator("[data-countdown-text]").wait_for()
    page.wait_for_function(
        "document.querySelector('[data-countdown-text]').textContent.includes(':')"
    )
    clock_before = page.locator("[data-countdown-text]").inner_text()
    assert clock_before.startswith(("44:", "45:"))
    first = page.locator("textarea").first
    first.fill("Batch norm normalises per feature over the batch.")
    page.get_by_text("Saved at").first.wait_for()

    page.reload()  # the timer and the answer survive a reload
    page.wait_for_function(
        "document.querySelector('[data-countdown-text]').textContent.includes(':')"
    )
    assert page.locator("[data-countdown-text]").inner_text().startswith(("44:", "45:"))
    assert "Batch norm" in page.locator("textarea").first.input_value()

    page.once("dialog", lambda dialog: dialog.accept())  # "Finish the interview now?"
    page.get_by_role("button", name="Finish and see the debrief").click()
    page.get_by_role("heading", name="Model answer").first.wait_for()
    for radio in page.locator('input[type="radio"][value="3"]').all():
        radio.check()
    page.get_by_role("button", name="Save ratings").click()
    page.get_by_text("Debrief saved").wait_for()

    mock = MockInterview.objects.get(user=alice)
    assert mock.score == pytest.approx(66.7)
    assert Review.objects.filter(user=alice, outcome__mock_interview=mock.pk).count() == 6
    answered = Review.objects.get(user=alice, question=mock.items.get(position=0).question)
    assert answered.answer == "Batch norm normalises per feature over the batch."


def test_mock_submits_itself_when_time_runs_out(logged_in_page, live_server, alice):
    seed_loop()
    make_question(slug="tiny", category="nlp", rounds=["ml-depth"])
    from questions import mock as mocks
    from questions.models import Round

    mock = mocks.start(
        alice,
        Round.objects.get(slug="ml-depth"),
        datetime.now(UTC) - timedelta(minutes=45) + timedelta(seconds=3),
    )
    page = logged_in_page
    page.goto(f"{live_server.url}/mock/{mock.pk}/")
    page.locator("textarea").first.fill("last words")
    page.get_by_role("heading", name="Model answer").wait_for(timeout=15_000)
    mock.refresh_from_db()
    assert mock.finished_at is not None
    assert mock.items.get(follow_up_of=None).answer == "last words"
