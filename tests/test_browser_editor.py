"""The code editor (CodeMirror 6, static/editor) in a real browser: typing, indentation, undo,
search, leaving it with the keyboard, autosave through the hidden textarea, no CSP violation,
and a phone-sized screen."""

import pytest

from tests.conftest import code_editor, needs_bwrap, set_code
from tests.factories import make_question, seed_loop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs_bwrap,
]

STARTER = "def double(x):\n    pass\n"


@pytest.fixture
def coding_page(logged_in_page, live_server, settings):
    settings.PREP_CODE_RUNNER = "bwrap"
    seed_loop()
    make_question(
        slug="double-editor", title="Double it", category="coding", rounds=["coding"],
        kind="coding", language="python", starter=STARTER,
        solution="def double(x):\n    return 2 * x\n",
        tests="def test_example():\n    assert double(2) == 4\n",
    )  # fmt: skip
    page = logged_in_page
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{live_server.url}/q/double-editor/")
    page.violations = violations
    return page


def code(page) -> str:
    return page.locator("#code").input_value()


def test_typing_indents_tab_and_shift_tab_and_undo(coding_page):
    page = coding_page
    assert page.locator("#code").is_hidden()  # the editor shows the textarea's code
    editor = code_editor(page, "#code")
    assert editor.inner_text().startswith("def double(x):")
    assert page.locator(".code-editor .tok-keyword").first.inner_text() == "def"
    assert page.locator(".code-editor .cm-lineNumbers").is_visible()

    set_code(page, "#code", "")
    page.keyboard.type("def triple(x):")
    page.keyboard.press("Enter")  # auto-indent after a colon
    page.keyboard.type("return 3 * x")
    assert code(page) == "def triple(x):\n    return 3 * x"

    page.keyboard.press("Home")
    page.keyboard.press("Tab")  # indents the line, does not leave the editor
    assert code(page) == "def triple(x):\n        return 3 * x"
    page.keyboard.press("Shift+Tab")
    assert code(page) == "def triple(x):\n    return 3 * x"

    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Tab")  # a selection is indented, never replaced
    assert code(page) == "    def triple(x):\n        return 3 * x"
    page.keyboard.press("ControlOrMeta+z")
    assert code(page) == "def triple(x):\n    return 3 * x"
    for _ in range(8):
        page.keyboard.press("ControlOrMeta+z")
    assert code(page) == STARTER  # undo goes back through the typing to the starter
    page.keyboard.press("ControlOrMeta+Shift+z")
    assert code(page) != STARTER  # and redo forward again
    assert page.violations == []


def test_brackets_search_and_leaving_with_the_keyboard(coding_page):
    page = coding_page
    set_code(page, "#code", "")
    page.keyboard.type("print(")  # closes the bracket
    assert code(page) == "print()"
    page.keyboard.press("ArrowRight")  # after ")": its partner is highlighted
    assert page.locator(".cm-matchingBracket").count() == 2

    page.keyboard.press("ControlOrMeta+f")
    search = page.locator(".cm-search")
    search.wait_for()
    assert search.get_by_role("textbox").first.evaluate("e => e === document.activeElement")
    page.keyboard.press("Escape")  # closes the search, back in the editor
    assert search.count() == 0

    page.keyboard.press("Escape")
    page.keyboard.press("Tab")  # Esc then Tab leaves the editor
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Run examples"
    assert "press Esc, then Tab" in page.locator(".editor-hint").first.inner_text()


def test_typing_autosaves_the_draft_and_runs_what_is_typed(coding_page):
    page = coding_page
    set_code(page, "#code", "def double(x):\n    return x * 2\n")
    page.get_by_text("Draft saved.").wait_for()
    page.get_by_role("button", name="Run examples").click()
    page.get_by_text("Examples: 1 of 1 passed").wait_for()
    page.reload()
    assert "return x * 2" in code_editor(page, "#code").inner_text()


def test_the_editor_follows_the_dark_theme(coding_page):
    page = coding_page
    keyword = page.locator(".code-editor .tok-keyword").first
    light = keyword.evaluate("e => getComputedStyle(e).color")
    page.locator("[data-theme-toggle]").click()
    dark = keyword.evaluate("e => getComputedStyle(e).color")
    assert light != dark
    background = page.locator(".code-editor .cm-editor").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")


def test_a_phone_can_type_in_the_editor(coding_page, live_server):
    page = coding_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/q/double-editor/")
    editor = code_editor(page, "#code")
    box = editor.bounding_box()
    assert box["width"] <= 390 and box["width"] > 250
    set_code(page, "#code", "def double(x):\n    return x + x\n")
    assert code(page) == "def double(x):\n    return x + x\n"
    font = editor.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert font >= 16  # no zoom-on-focus on phones


def test_space_in_the_practice_editor_types_instead_of_revealing(coding_page, live_server):
    page = coding_page
    page.goto(f"{live_server.url}/practice/session/?scope=all")
    editor = code_editor(page, "#answer")
    editor.click()
    page.keyboard.press("ControlOrMeta+End")
    page.keyboard.type(" x")
    assert page.get_by_role("button", name="Reveal answer").is_visible()
    assert page.locator("#answer").input_value().endswith(" x")
    assert page.violations == []
