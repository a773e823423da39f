"""Formulas are drawn by the browser itself, as MathML: no script, no CSP violation."""

import pytest

from tests.factories import make_question, seed_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_formula_is_drawn_as_mathml(logged_in_page, live_server):
    seed_loop()
    make_question(
        slug="softmax-math",
        prompt="Show that $\\sigma(z)_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}$ sums to one.",
        answer="Sum over $i$:\n\n$$\\sum_i \\sigma(z)_i = \\frac{\\sum_i e^{z_i}}{\\sum_j e^{z_j}} = 1$$",
    )
    page = logged_in_page
    violations = []
    page.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/q/softmax-math/")
    formula = page.locator(".prompt math").first
    assert formula.evaluate("e => e instanceof MathMLElement")
    fraction = formula.locator("mfrac")
    box = fraction.bounding_box()
    assert box and box["height"] > 20  # numerator over denominator, not one line of text
    assert "$" not in page.locator(".prompt").inner_text()
    page.get_by_text("Show the model answer and rubric").click()
    block = page.locator(".answer math[display='block']")
    assert block.evaluate("e => getComputedStyle(e).display").startswith("block")
    assert violations == []
