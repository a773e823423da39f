from datetime import UTC, timedelta

import pytest

from questions import scheduling
from questions.models import Card, Review
from tests.factories import make_question, seed_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_practise_a_flashcard_with_the_keyboard(logged_in_page, live_server, alice):
    seed_loop()
    first = make_question(
        slug="first-card",
        title="What is overfitting?",
        difficulty="easy",
        rubric=["Low training error", "High test error", "Remedies"],
        hints=["Think of train vs test."],
    )
    make_question(slug="second-card", title="What is a learning rate?", difficulty="hard")
    page = logged_in_page
    page.goto(f"{live_server.url}/practice/")
    page.get_by_role("link", name="Start practising").click()
    page.get_by_role("heading", name="What is overfitting?").wait_for()

    # Shortcuts are off while typing: "h", "3" and spaces go into the answer.
    answer = page.get_by_label("Your answer")
    answer.click()
    answer.type("It fits noise h 3 ")
    assert not page.get_by_text("Think of train vs test.").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("h")
    page.get_by_text("Think of train vs test.").wait_for(state="visible")

    page.keyboard.press("Space")
    page.get_by_role("heading", name="Model answer").wait_for()
    good = page.locator('[data-rating="3"]')
    assert "Good — in 10 minutes" in good.inner_text()
    page.get_by_label("Low training error").check()
    page.get_by_label("Remedies").check()
    page.keyboard.press("3")

    page.get_by_role("heading", name="What is a learning rate?").wait_for()
    assert "/practice/session/" in page.url  # swapped by htmx, not a new page

    review = Review.objects.get(user=alice, question=first)
    assert review.rating == 3
    assert review.answer == "It fits noise h 3 "
    assert review.rubric_ticked == [0, 2]
    card = Card.objects.get(user=alice, question=first)
    expected = scheduling.review(Card(), 3, review.reviewed_at.astimezone(UTC), 0.9)
    assert card.due == expected.due
    assert card.due - review.reviewed_at == timedelta(minutes=10)


def test_help_overlay_opens_with_question_mark(logged_in_page, live_server):
    seed_loop()
    make_question(slug="only")
    page = logged_in_page
    page.goto(f"{live_server.url}/practice/session/?scope=all")
    assert not page.get_by_text("Rate Again, Hard, Good, Easy").is_visible()
    page.keyboard.press("?")
    page.get_by_text("Rate Again, Hard, Good, Easy").wait_for(state="visible")
