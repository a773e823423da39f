"""The live preview cannot be hammered: the browser waits for a pause in the typing, and the
server renders at most so many previews, and so many characters, per user every few seconds;
past that it answers 429 with a message that the preview area shows."""

import re
import types
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from questions.bankfile import MAX_TEXT_SECTION_CHARS
from questions.views import authoring as views
from tests.factories import seed_loop

pytestmark = pytest.mark.django_db

NEW = reverse("questions:my_new")
PREVIEW = reverse("questions:my_preview")


@pytest.fixture(autouse=True)
def loop(db):
    seed_loop()


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """The middle of a window, so a test never straddles two."""
    now = views.PREVIEW_WINDOW * 1_000_000 + views.PREVIEW_WINDOW / 2
    monkeypatch.setattr(views, "time", types.SimpleNamespace(time=lambda: now))


def question(**overrides) -> dict:
    return {
        "title": "A question",
        "category": "nlp",
        "kind": "flashcard",
        "difficulty": "easy",
        "rounds": ["ml-depth"],
        "visibility": "private",
        "prompt": "What is **attention**?",
        "answer": "Weights over positions.",
        "rubric": "Says weights",
        **overrides,
    }


def test_a_script_posting_previews_is_told_to_wait(alice_client):
    for _ in range(views.PREVIEWS_PER_WINDOW):
        assert alice_client.post(PREVIEW, question()).status_code == 200
    response = alice_client.post(PREVIEW, question())
    assert response.status_code == 429
    assert response["Retry-After"] == str(views.PREVIEW_WINDOW // 2 + 1)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="preview"')  # what the preview area swaps in
    assert "Preview paused: too many updates in a few seconds" in html
    assert "<strong>attention</strong>" not in html  # nothing was rendered


def test_the_allowance_counts_characters_rendered(alice_client, bob):
    long = question(prompt="[" * MAX_TEXT_SECTION_CHARS)
    size = MAX_TEXT_SECTION_CHARS + len("Weights over positions.Says weights")
    allowed = views.PREVIEW_CHARS_PER_WINDOW // size
    assert allowed < views.PREVIEWS_PER_WINDOW
    for _ in range(allowed):
        assert alice_client.post(PREVIEW, long).status_code == 200
    assert alice_client.post(PREVIEW, long).status_code == 429
    # Each user has their own allowance.
    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.post(PREVIEW, long).status_code == 200


def test_text_too_long_to_save_is_neither_rendered_nor_counted(alice_client):
    huge = "*a" * (MAX_TEXT_SECTION_CHARS + 1)
    items = "\n".join(["b" * 5_000] * 13)  # 13 rubric points of 5,000 characters
    for _ in range(views.PREVIEWS_PER_WINDOW):
        response = alice_client.post(PREVIEW, question(prompt=huge, answer=huge, rubric=items))
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count("Too long to preview.") == 3
        assert "<em>" not in html.replace("<em>Too long to preview.</em>", "")


def test_pages_that_show_the_preview_count_too(alice_client):
    for _ in range(views.PREVIEWS_PER_WINDOW):
        alice_client.post(PREVIEW, question())
    # Without JavaScript the Preview button (and a form with errors) shows the page: it still
    # comes, with the form and its errors, but the preview waits.
    response = alice_client.post(NEW, question(action="preview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview paused" in html and 'name="prompt"' in html


def test_the_browser_waits_for_a_pause_in_the_typing_and_shows_the_429():
    template = Path(settings.BASE_DIR, "templates/questions/my_question_form.html").read_text()
    (trigger,) = re.findall(r'hx-trigger="([^"]*)"', template)
    delays = [int(ms) for ms in re.findall(r"delay:(\d+)ms", trigger)]
    assert "input changed" in trigger and delays and min(delays) >= 500
    assert "preview-retry" in trigger and "js/preview.js" in template
    script = Path(settings.BASE_DIR, "static/js/preview.js").read_text()
    assert "429" in script and "shouldSwap = true" in script and "Retry-After" in script
