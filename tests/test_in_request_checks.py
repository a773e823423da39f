"""Reference-solution checks that run inside a web request (saving or importing a coding
question) cannot occupy every web worker: a site-wide slot, a per-user rate, and for imports a
time budget that ends the request's checks well inside the server's request timeout."""

import time

import pytest

from questions import authoring, importing, throttle
from tests.factories import seed_loop
from tests.test_transfer import CODING, make_zip, md

pytestmark = pytest.mark.django_db


def test_while_one_check_runs_site_wide_another_users_check_waits(alice, bob):
    with throttle.in_request_check(alice.pk) as refusal:
        assert refusal is None
        with throttle.in_request_check(bob.pk) as other:
            assert "being checked right now" in other
    with throttle.in_request_check(bob.pk) as after:  # released when the first block ended
        assert after is None


def test_more_slots_when_the_site_has_more_workers(alice, bob, settings):
    settings.IN_REQUEST_CHECKS_AT_ONCE = 2
    with throttle.in_request_check(alice.pk) as first, throttle.in_request_check(bob.pk) as second:
        assert first is None and second is None


def test_a_user_may_start_a_few_checks_a_minute(alice):
    for _ in range(throttle.IN_REQUEST_CHECKS_PER_MINUTE):
        with throttle.in_request_check(alice.pk) as refusal:
            assert refusal is None
    with throttle.in_request_check(alice.pk) as refusal:
        assert "times a minute" in refusal


def test_a_slot_held_by_another_worker_refuses_until_it_is_gone(bob):
    from django.core.cache import cache

    cache.set("check-slot:0", "a dead worker's token", timeout=throttle.CHECK_SLOT_SECONDS)
    with throttle.in_request_check(bob.pk) as refusal:
        assert "being checked" in refusal
    cache.delete("check-slot:0")  # its expiry (CHECK_SLOT_SECONDS) or its release
    with throttle.in_request_check(bob.pk) as refusal:
        assert refusal is None


def test_an_import_stops_checking_when_its_time_budget_is_spent(alice, monkeypatch):
    seed_loop()

    def slow_reference(question):
        time.sleep(0.2)

    monkeypatch.setattr(authoring, "run_reference", slow_reference)
    files = {f"coding/q{i}.md": md(f"q{i}", **CODING) for i in range(5)}
    limits = importing.Limits(check_seconds=0.3)
    plan = importing.read_upload("code.zip", make_zip(files), user=alice, limits=limits)
    assert [str(e) for e in plan.errors] == [
        "upload: only 2 of 5 coding and review questions could be checked in the time one upload "
        "may take; "
        "import the others in a separate file."
    ]
