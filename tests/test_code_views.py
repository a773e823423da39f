"""Coding questions in the browser: drafts, Run and Submit, throttling, ownership."""

import pytest
from django.core.checks import run_checks
from django.urls import reverse

from questions import throttle
from questions.models import Card, Draft
from tests.conftest import needs_bwrap
from tests.factories import make_question, seed_loop

pytestmark = [
    pytest.mark.django_db,
    needs_bwrap,
]

STARTER = 'def double(x):\n    """Return 2 * x."""\n'
RIGHT = "def double(x):\n    return 2 * x\n"
WRONG = "def double(x):\n    return x + 2\n"
TESTS = (
    "def test_example():\n    assert double(2) == 4\n\n"
    "def test_zero():\n    assert double(0) == 0\n\n"
    "def test_negative():\n    assert double(-3) == -6\n"
)


@pytest.fixture(autouse=True)
def coding_question(db, settings):
    settings.PREP_CODE_RUNNER = "bwrap"
    seed_loop()
    return make_question(
        slug="double-it",
        category="coding",
        rounds=["coding"],
        kind="coding",
        language="python",
        starter=STARTER,
        solution=RIGHT,
        tests=TESTS,
    )


def run(client, code, mode="submit", slug="double-it", **headers):
    return client.post(
        reverse("questions:run", args=[slug]), {"code": code, "mode": mode}, headers=headers
    )


def test_run_executes_only_the_example_tests(alice_client):
    response = run(alice_client, WRONG, mode="run", **{"HX-Request": "true"})
    result = response.context["result"]
    assert [t.name for t in result.tests] == ["test_example"]
    assert result.all_passed  # 2 + 2 == 2 * 2: the example alone cannot tell
    assert response.content.decode().lstrip().startswith('<div id="run-results"')


def test_submit_runs_all_tests_shows_first_failure_and_keeps_the_code(alice_client, alice):
    response = run(alice_client, WRONG)
    html = response.content.decode()
    assert "All tests: 1 of 3 passed" in html
    assert "assert double(0) == 0" in html
    assert Draft.objects.get(user=alice).code == WRONG
    page = alice_client.get(reverse("questions:detail", args=["double-it"])).content.decode()
    assert "return x + 2" in page and "Your last code is restored" in page
    assert not Card.objects.filter(user=alice, solved=True).exists()


def test_passing_submit_marks_the_card_solved(alice_client, alice):
    response = run(alice_client, RIGHT)
    assert "3 of 3 passed" in response.content.decode()
    assert Card.objects.get(user=alice).solved


def test_draft_autosave(alice_client, alice):
    response = alice_client.post(
        reverse("questions:draft", args=["double-it"]), {"code": "partial"}
    )
    assert response.status_code == 200 and Draft.objects.get(user=alice).code == "partial"
    too_long = alice_client.post(
        reverse("questions:draft", args=["double-it"]), {"code": "x" * 60_000}
    )
    assert too_long.status_code == 400
    assert Draft.objects.get(user=alice).code == "partial"


def test_runs_are_throttled_per_user(alice_client, bob, client, monkeypatch):
    monkeypatch.setattr(throttle, "RUNS_PER_MINUTE", 2)
    assert run(alice_client, RIGHT).status_code == 200
    assert run(alice_client, RIGHT).status_code == 200
    refused = run(alice_client, RIGHT)
    assert refused.status_code == 429
    assert "2 times a minute" in refused.content.decode()
    client.force_login(bob)
    assert run(client, RIGHT).status_code == 200


def test_off_mode_says_so_and_keeps_the_code(alice_client, alice, settings):
    settings.PREP_CODE_RUNNER = "off"
    response = run(alice_client, RIGHT)
    assert response.status_code == 503
    assert "turned off" in response.content.decode()
    assert Draft.objects.get(user=alice).code == RIGHT


def test_page_says_which_runner_is_active(alice_client, settings):
    html = alice_client.get(reverse("questions:detail", args=["double-it"])).content.decode()
    assert "isolated sandbox" in html
    settings.PREP_CODE_RUNNER = "subprocess"
    html = alice_client.get(reverse("questions:detail", args=["double-it"])).content.decode()
    assert "without a sandbox" in html


def test_not_a_coding_question_is_404(alice_client):
    make_question(slug="flash")
    assert run(alice_client, RIGHT, slug="flash").status_code == 404


def test_charlie_cannot_run_or_save_drafts_on_alices_private_question(client, alice, charlie):
    make_question(
        slug="alice-code",
        owner=alice,
        kind="coding",
        category="coding",
        rounds=["coding"],
        language="python",
        starter=STARTER,
        solution=RIGHT,
        tests=TESTS,
    )
    client.force_login(charlie)
    assert run(client, RIGHT, slug="alice-code").status_code == 404
    assert (
        client.post(reverse("questions:draft", args=["alice-code"]), {"code": "x"}).status_code
        == 404
    )
    assert not Draft.objects.exists() and not Card.objects.exists()


def test_practice_reveal_suggests_a_rating_from_the_submission(alice_client):
    session = alice_client.get(reverse("questions:practice_session"), {"scope": "all"}).context
    assert session["answer"] == STARTER  # a coding card comes back as the starter, not old code
    run(alice_client, RIGHT)
    data = {
        "question": "double-it",
        "scope": "all",
        "seq": 0,
        "started": 0,
        "shown_at": 0,
        "answer": RIGHT,
    }
    html = alice_client.post(reverse("questions:practice_reveal"), data).content.decode()
    assert "passed 3 of 3 tests" in html and "rating-3 rating-suggested" in html
    data["answer"] = RIGHT + "\n# edited after submitting\n"
    html = alice_client.post(reverse("questions:practice_reveal"), data).content.decode()
    assert "not submitted" in html and "rating-suggested" not in html


def test_system_check_warns_about_subprocess_in_production(settings):
    settings.PREP_CODE_RUNNER = "subprocess"
    settings.DEBUG = False
    assert "prep.W001" in [m.id for m in run_checks()]
    settings.PREP_CODE_RUNNER = "bwrap"
    assert "prep.W001" not in [m.id for m in run_checks()]


def test_practice_page_says_how_code_runs_before_anything_ran(alice_client):
    html = alice_client.get(
        reverse("questions:practice_session"), {"scope": "all", "started": 0}
    ).content.decode()
    assert 'id="run-results"' in html
    assert "isolated sandbox" in html and "turned off" not in html


def test_system_check_announces_the_development_fallback_without_a_sandbox(settings):
    settings.PREP_CODE_RUNNER = "subprocess"
    settings.DEBUG = True
    assert "prep.W002" in [m.id for m in run_checks()]
