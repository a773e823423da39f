"""App-wide security properties: login required everywhere but an explicit allow-list, headers."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Pages meant to be public. Everything else must send an anonymous visitor to log in.
PUBLIC = {
    "home",
    "login",
    "signup",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if getattr(entry, "namespace", None) == "admin":
                continue  # the admin has its own staff login, tested below
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def _example_path(route: str) -> str:
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:slug:|str:|path:)?(\w+)>", r"x", route)
    return "/" + route.lstrip("^").rstrip("$")


def test_every_non_public_url_redirects_anonymous_visitors_to_login(client):
    checked = 0
    for route, name in _walk(get_resolver().url_patterns):
        if name in PUBLIC:
            continue
        path = _example_path(route)
        response = client.get(path)
        assert response.status_code == 302, f"{path} ({name}) answered {response.status_code}"
        assert response["Location"].startswith("/accounts/login/"), path
        checked += 1
    assert checked >= 2


def test_admin_requires_staff_login(client, alice_client):
    assert client.get("/admin/").status_code == 302
    assert alice_client.get("/admin/").status_code == 302


def test_security_headers_on_pages(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts(client, alice_client):
    for c in (client, alice_client):
        html = c.get("/").content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, tag
        assert not re.search(r"\son\w+=", html)


def test_unsafe_methods_need_csrf_token(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/accounts/logout/").status_code == 403
