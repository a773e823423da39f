"""In the browser: when the server says the preview must wait (429), the preview area says so,
and the preview comes back by itself once the wait is over."""

import pytest

from questions.views import authoring as views
from tests.factories import seed_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_paused_preview_says_so_and_comes_back(logged_in_page, live_server, monkeypatch):
    seed_loop()
    calls = []

    def second_one_waits(user_id, chars):
        calls.append(chars)
        return 1 if len(calls) == 2 else None

    monkeypatch.setattr(views, "_preview_wait", second_one_waits)
    page = logged_in_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/my/new/")
    page.get_by_label("Title").fill("Attention")
    page.locator("#preview .preview-title", has_text="Attention").wait_for()

    page.get_by_label("Prompt").fill("What is **softmax** for?")
    page.locator("#preview").get_by_text("Preview paused").wait_for()
    # Asked again after Retry-After (1 s here), without any typing.
    page.locator("#preview strong", has_text="softmax").wait_for(timeout=5_000)
    assert page.locator("#preview").get_by_text("Preview paused").count() == 0
    assert len(calls) == 3
    assert not [e for e in errors if "429" not in e]  # the browser logs the 429 itself
