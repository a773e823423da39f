import pytest

from questions.models import Question, Review
from tests.conftest import PASSWORD
from tests.factories import seed_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROMPT = (
    "What does this do at test time?\n\n```python\ndef dropout(x, p):\n    return x * (1 - p)\n```"
)


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def search_bank(page, live_server, text):
    page.goto(f"{live_server.url}/bank/?q={text}")
    return page.locator(".question-title").all_inner_texts()


def test_write_preview_save_find_practise_and_share_a_question(
    logged_in_page, live_server, browser, request, alice, bob
):
    seed_loop()
    page = logged_in_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="My questions").click()
    page.get_by_role("link", name="New question").click()

    page.get_by_label("Title").fill("Dropout at inference")
    page.get_by_label("Category").select_option("deep-learning")
    page.get_by_label("ML-specific interviews").check()
    page.get_by_label("Prompt").fill(PROMPT)
    # The live preview shows the code highlighted, before anything is saved.
    keyword = page.locator("#preview .prompt .codehilite .k").first
    keyword.wait_for()
    assert keyword.inner_text() == "def"
    body_color = page.evaluate("getComputedStyle(document.body).color")
    assert keyword.evaluate("el => getComputedStyle(el).color") != body_color
    page.locator("#preview").get_by_text("Model answer: This field is required.").wait_for()

    page.get_by_label("Model answer").fill("Nothing: inverted dropout already **scaled** it.")
    page.get_by_label("Rubric points").fill("Knows dropout is off at test time\nInverted scaling")
    page.locator("#preview").get_by_text("Ready to save.").wait_for()
    assert page.locator("#preview strong", has_text="scaled").is_visible()
    assert "/my/new/" in page.url  # previews are swapped in, not navigations
    assert not Question.objects.exists()

    page.get_by_role("button", name="Save question").click()
    page.get_by_role("heading", name="Dropout at inference").wait_for()
    question = Question.objects.get(owner=alice)
    assert question.visibility == "private"
    assert page.locator(".prompt .codehilite .k").first.inner_text() == "def"

    # Alice finds it in the bank and practises it.
    assert search_bank(page, live_server, "dropout") == ["Dropout at inference"]
    page.goto(f"{live_server.url}/practice/session/?scope=all")
    page.get_by_role("heading", name="Dropout at inference").wait_for()
    page.keyboard.press("Space")
    page.get_by_role("heading", name="Model answer").wait_for()
    page.get_by_label("Inverted scaling").check()
    page.keyboard.press("3")
    page.locator(".summary").wait_for()  # the next card: none left
    review = Review.objects.get(user=alice, question=question)
    assert (review.rating, review.rubric_ticked) == (3, [1])

    # Bob cannot find it while it is private...
    bobs_context = browser.new_context()
    request.addfinalizer(bobs_context.close)  # no request of his may outlive the live server
    other = bobs_context.new_page()
    log_in(other, live_server, "bob")
    assert search_bank(other, live_server, "dropout") == []
    response = other.goto(f"{live_server.url}/q/{question.slug}/")
    assert response.status == 404

    # ...until alice shares it; then he reads and can copy it, not edit it.
    page.goto(f"{live_server.url}/q/{question.slug}/")
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Shared with every signed-in user").check()
    page.get_by_role("button", name="Save question").click()
    page.get_by_text("Saved “Dropout at inference”.").wait_for()
    assert search_bank(other, live_server, "dropout") == ["Dropout at inference"]
    other.get_by_role("link", name="Dropout at inference").click()
    other.get_by_text("by alice").wait_for()
    assert other.get_by_role("link", name="Duplicate into my questions").is_visible()
    assert other.get_by_role("link", name="Edit").count() == 0
    assert errors == []
