"""Security properties over every URL: ownership (alice/bob/charlie), CSRF, safe GETs.

Walks the URLconf, so a new URL is covered the day it is added; a URL taking a parameter this
file does not know how to fill makes the test fail until someone teaches it.
"""

import re
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from questions import loops
from questions import mock as mocks
from questions.models import AskedQuestion, CodeRun, Round
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db

SKIP_NAMES = {"password_reset_confirm"}  # uidb64/token: covered by Django's own tests
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def routes():
    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if getattr(entry, "namespace", None) == "admin":
                    continue
                ns = f"{entry.namespace}:" if entry.namespace else ""
                yield from (
                    (ns + name if name and ns and ":" not in name else name, route)
                    for name, route in walk(entry.url_patterns, prefix + str(entry.pattern))
                )
            elif isinstance(entry, URLPattern):
                yield entry.name, prefix + str(entry.pattern)

    return list(walk(get_resolver().url_patterns))


def fill(route: str, values: dict) -> str | None:
    names = [m.group(2) for m in PARAM.finditer(route)]
    if not names:
        return "/" + route
    missing = [n for n in names if n not in values]
    assert not missing, f"teach test_security_matrix how to fill {missing} in {route}"
    return "/" + PARAM.sub(lambda m: str(values[m.group(2)]), route)


def snapshot():
    """Every row of every table the app and auth own, to prove nothing changed."""
    rows = {}
    for model in [
        *apps.get_app_config("questions").get_models(),
        *apps.get_app_config("auth").get_models(),
    ]:
        rows[model._meta.label] = sorted(map(repr, model.objects.values_list()))
    return rows


@pytest.fixture
def alices_things(alice):
    seed_loop()
    question = make_question(
        slug="alice-private",
        owner=alice,
        kind="coding",
        category="coding",
        rounds=["ml-depth"],
        language="python",
        starter="def f():\n    pass\n",
        solution="def f():\n    return 1\n",
        tests="def test_example():\n    assert f() == 1\n",
    )
    mock = mocks.start(alice, Round.objects.get(slug="ml-depth"), datetime.now(UTC))
    run = CodeRun.objects.create(user=alice, question=question, kind="run", code="x = 1")
    loop = loops.create_loop(alice, "Pinterest", loops.default_stages(None))
    stage = loop.stages.first()
    asked = AskedQuestion.objects.create(stage=stage, text="Why L1?")
    return {
        "slug": question.slug,
        "mock_id": mock.pk,
        "position": 0,
        "run_id": run.pk,
        "loop_id": loop.pk,
        "stage_id": stage.pk,
        "asked_id": asked.pk,
    }


def parametrised_routes():
    return [
        (name, route) for name, route in routes() if PARAM.search(route) and name not in SKIP_NAMES
    ]


def test_the_matrix_covers_the_urls_that_take_an_id():
    names = {name for name, _ in parametrised_routes()}
    assert {
        "questions:detail",
        "questions:run",
        "questions:mock_detail",
        "questions:mock_rate",
        "questions:run_status",
    } <= names


def test_charlie_gets_404_on_every_url_of_alices_and_nothing_changes(
    client, alice, charlie, alices_things
):
    client.force_login(charlie)
    before = snapshot()
    for name, route in parametrised_routes():
        url = fill(route, alices_things)
        for method in ("get", "post"):
            response = getattr(client, method)(
                url, {"value": "on", "text": "x", "code": "x", "rating-0": "3"}
            )
            assert response.status_code in (404, 405), (
                f"{method.upper()} {url} ({name}) gave {response.status_code}"
            )
    assert snapshot() == before


def test_alice_reaches_her_own_things_through_the_same_urls(client, alice, alices_things):
    """Guards the matrix above: the ids it uses are real, so its 404s mean something."""
    client.force_login(alice)
    for name, route in parametrised_routes():
        url = fill(route, alices_things)
        response = client.get(url)
        assert response.status_code in (200, 302, 405), (
            f"GET {url} ({name}) gave {response.status_code}"
        )


def test_every_get_leaves_the_database_unchanged(client, alice, alices_things):
    client.force_login(alice)
    client.get("/")  # settle the session row before the snapshot
    before = snapshot()
    for name, route in routes():
        if name in SKIP_NAMES or name == "logout":
            continue
        client.get(fill(route, alices_things))
    assert snapshot() == before


def test_unsafe_methods_without_a_csrf_token_are_refused(alice, alices_things):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    for name, route in routes():
        if name in SKIP_NAMES:
            continue
        response = client.post(fill(route, alices_things), {"value": "on"})
        assert response.status_code in (403, 405), (
            f"POST {route} ({name}) gave {response.status_code}"
        )


def test_htmx_posts_with_the_csrf_header_succeed(alice, alices_things):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    token = (
        client.get(reverse("questions:detail", args=["alice-private"])).cookies["csrftoken"].value
    )
    response = client.post(
        reverse("questions:bookmark", args=["alice-private"]),
        {"value": "on"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 200 and "Bookmarked" in response.content.decode()


def test_session_is_invalidated_at_logout(alice):
    first = Client()
    first.post(reverse("login"), {"username": "alice", "password": "correct horse battery staple"})
    cookie = first.cookies["sessionid"].value
    first.post(reverse("logout"))
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get(reverse("questions:list")).status_code == 302


def test_redirect_after_a_post_never_leaves_the_site(alice_client, alices_things):
    response = alice_client.post(
        reverse("questions:bookmark", args=["alice-private"]),
        {"value": "on", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_hsts_and_secure_cookies_when_https_is_on(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = False
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
