import os
from pathlib import Path

import pytest

from tests.factories import load_bank_file, make_question, seed_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"


@pytest.fixture
def bank_questions(db):
    seed_loop()
    make_question(
        slug="softmax-browser",
        title="Stable softmax in NumPy",
        category="ml-coding",
        rounds=["coding"],
        prompt="Implement it:\n\n```python\ndef softmax(x):\n    return x\n```",
        answer="Subtract the **maximum** first.",
        hints=["Think about overflow."],
    )
    make_question(slug="bias-browser", title="Bias and variance trade-off", tags=["bias"])


def test_code_is_highlighted_and_answer_hidden_until_revealed(
    logged_in_page, live_server, bank_questions
):
    page = logged_in_page
    page.goto(f"{live_server.url}/q/softmax-browser/")
    keyword = page.locator(".prompt .codehilite .k").first
    assert keyword.inner_text() == "def"
    # The highlighting stylesheet is applied: a keyword is coloured, not plain text colour.
    body_color = page.evaluate("getComputedStyle(document.body).color")
    assert keyword.evaluate("el => getComputedStyle(el).color") != body_color

    answer = page.get_by_text("Subtract the")
    assert not answer.is_visible()
    page.get_by_text("Show the model answer and rubric").click()
    answer.wait_for(state="visible")

    page.get_by_role("link", name="Show hint 1 of 1").click()
    page.get_by_text("Think about overflow.").wait_for()
    assert page.url.endswith("/q/softmax-browser/")  # swapped in by htmx, no navigation


def test_bank_filters_update_live_and_the_url_follows(logged_in_page, live_server, bank_questions):
    page = logged_in_page
    page.goto(f"{live_server.url}/bank/")
    page.get_by_text("2 questions").wait_for()
    page.get_by_label("Search").fill("softmax")
    page.get_by_text("1 question", exact=True).wait_for()
    assert "q=softmax" in page.url
    assert page.locator(".question-title").all_inner_texts() == ["Stable softmax in NumPy"]

    if os.environ.get("PREP_SCREENSHOT"):
        page.get_by_label("Search").fill("")
        page.get_by_text("2 questions").wait_for()
        SCREENSHOT.parent.mkdir(exist_ok=True)
        load_bank_file("ml-fundamentals/l1-regularization-sparsity.md")
        page.goto(f"{live_server.url}/q/l1-regularization-sparsity/?hints=1")
        page.get_by_text("Show the model answer and rubric").click()
        page.set_viewport_size({"width": 1100, "height": 1400})
        page.screenshot(path=str(SCREENSHOT))


def test_search_ranks_a_title_match_above_an_answer_match_and_marks_the_words(
    logged_in_page, live_server, bank_questions
):
    make_question(slug="overflow-in-answer", title="Numerical pitfalls",
                  answer="Exponentials overflow in float32 beyond about 88.")  # fmt: skip
    make_question(slug="overflow-in-title", title="Why does overflow happen in softmax?")
    page = logged_in_page
    page.goto(f"{live_server.url}/bank/")
    page.get_by_label("Search").fill("overflo")  # still typing: matches as a prefix
    page.get_by_text("2 questions", exact=True).wait_for()
    titles = page.locator(".question-title").all_inner_texts()
    assert titles == ["Why does overflow happen in softmax?", "Numerical pitfalls"]
    assert page.locator(".question-title mark").first.inner_text() == "overflow"
    excerpt = page.locator(".search-excerpt").last.inner_text()
    assert "Exponentials overflow in float32" in excerpt  # where the answer matched
    assert page.locator(".badge-new").count() == 2
