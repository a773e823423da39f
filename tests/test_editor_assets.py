"""The code editor's assets: only pages with code load it; the CSP admits its own <style>
element by a per-response nonce (never 'unsafe-inline')."""

import re

import pytest
from django.urls import reverse

from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db


def test_a_coding_page_loads_the_editor_with_a_fresh_nonce(alice_client):
    seed_loop()
    make_question(slug="code-q", kind="coding", category="coding", rounds=["coding"],
                  language="sql", starter="SELECT 1;", solution="SELECT 1;",
                  tests="def test_example():\n    pass\n")  # fmt: skip
    nonces = []
    for _ in range(2):
        response = alice_client.get(reverse("questions:detail", args=["code-q"]))
        policy = response.headers["Content-Security-Policy"]
        match = re.search(r"style-src 'self' 'nonce-([^']+)'", policy)
        assert match and "unsafe-inline" not in policy
        html = response.content.decode()
        assert f'src="/static/js/editor.js" defer nonce="{match.group(1)}"' in html
        # Without JavaScript it is a plain textarea holding the code, in the form.
        assert re.search(r'<textarea id="code" name="code" class="code" data-language="sql"', html)
        nonces.append(match.group(1))
    assert nonces[0] != nonces[1]


def test_pages_without_code_do_not_load_the_editor(alice_client):
    seed_loop()
    make_question(slug="card-q")
    for url in (reverse("questions:detail", args=["card-q"]), reverse("questions:list")):
        response = alice_client.get(url)
        assert "editor.js" not in response.content.decode()
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
