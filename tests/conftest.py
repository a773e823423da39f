"""Shared fixtures: three users (alice owns things, bob is another user, charlie must never see
alice's things) and the browser harness (Playwright driving the system Chromium)."""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside
# one unless told that this is deliberate (test process only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PREP_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery staple"

# Sandbox tests skip without bubblewrap, except in CI (PREP_REQUIRE_SANDBOX=1), where they run
# and fail loudly instead.
needs_bwrap = pytest.mark.skipif(
    not shutil.which("bwrap") and os.environ.get("PREP_REQUIRE_SANDBOX") != "1",
    reason="bubblewrap (bwrap) is not installed",
)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Tasks (code runs, mail) run inside the request, so a test sees their effect at once;
    # tests/test_code_runs.py drives the database queue and its workers explicitly.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    from django.core.cache import cache

    cache.clear()


def _make_user(django_user_model, name):
    return django_user_model.objects.create_user(name, f"{name}@example.com", PASSWORD)


@pytest.fixture
def alice(db, django_user_model):
    return _make_user(django_user_model, "alice")


@pytest.fixture
def bob(db, django_user_model):
    return _make_user(django_user_model, "bob")


@pytest.fixture
def charlie(db, django_user_model):
    return _make_user(django_user_model, "charlie")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


# --- Browser harness -------------------------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    # Without Chromium, browser tests skip with the reason shown, unless PREP_REQUIRE_BROWSER=1
    # (CI), where they run and fail on the missing executable.
    if os.path.exists(CHROMIUM) or os.environ.get("PREP_REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (Debian package 'chromium')")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which(CHROMIUM) or CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def logged_in_page(page, live_server, alice):
    """A browser page signed in as alice through the real login form."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def code_editor(page, textarea: str):
    """The code editor (CodeMirror) that shows the textarea matching `textarea`."""
    return page.locator(f"{textarea} + .code-editor .cm-content")


def set_code(page, textarea: str, code: str) -> None:
    """Replace the code in the editor over `textarea`, as a paste would."""
    editor = code_editor(page, textarea)
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(code)


# --- URL coverage ------------------------------------------------------------------------------
# Every URL pattern must be requested by at least one test. Recorded for Django test-client
# requests; enforced at the end of a full run when PREP_URL_COVERAGE=1 (CI sets it).

REQUESTED_URL_NAMES: set[str] = set()


@pytest.fixture(autouse=True)
def _record_requested_urls(monkeypatch):
    from django.test.client import Client
    from django.urls import Resolver404, resolve

    original = Client.request

    def request(self, **environ):
        try:
            match = resolve(environ.get("PATH_INFO", "/"))
            REQUESTED_URL_NAMES.add(match.view_name)
        except Resolver404:
            pass
        return original(self, **environ)

    monkeypatch.setattr(Client, "request", request)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("PREP_URL_COVERAGE") != "1" or exitstatus != 0:
        return
    from django.urls import URLPattern, URLResolver, get_resolver

    def names(patterns, namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace != "admin":
                    yield from names(
                        entry.url_patterns, f"{entry.namespace}:" if entry.namespace else namespace
                    )
            elif isinstance(entry, URLPattern) and entry.name:
                yield namespace + entry.name

    missing = sorted(set(names(get_resolver().url_patterns)) - REQUESTED_URL_NAMES)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if missing:
        reporter.write_line(f"URL coverage FAILED: no test requests {', '.join(missing)}", red=True)
        session.exitstatus = 1
    else:
        reporter.write_line(
            f"URL coverage: every named URL was requested by a test ({len(REQUESTED_URL_NAMES)})."
        )
