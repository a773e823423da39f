"""Dates and times in the user's zone: Settings over the browser's cookie over UTC, bogus
names ignored or refused, times printed with their abbreviation, and days that begin at the
user's midnight."""

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from questions import scheduling
from questions.activity import review_activity
from questions.models import Card, Profile
from questions.timezones import TimezoneMiddleware
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db
SETTINGS = reverse("questions:settings")
SESSION = reverse("questions:practice_session")


def zone_seen(user, cookie=None) -> str:
    """The zone a view sees when `user` asks, with the browser's `tz` cookie if given."""
    request = RequestFactory().get("/")
    request.user = user
    if cookie is not None:
        request.COOKIES["tz"] = cookie
    middleware = TimezoneMiddleware(lambda r: HttpResponse(timezone.get_current_timezone_name()))
    return middleware(request).content.decode()


def test_the_zone_in_settings_wins_over_the_browser(alice):
    Profile.objects.create(user=alice, timezone="Asia/Tokyo")
    assert zone_seen(alice, cookie="Europe/Paris") == "Asia/Tokyo"


def test_without_a_zone_in_settings_the_browser_zone_is_used(alice):
    assert zone_seen(alice, cookie="Europe/Paris") == "Europe/Paris"
    Profile.objects.create(user=alice)  # saved settings, zone left empty
    assert zone_seen(alice, cookie="America/Sao_Paulo") == "America/Sao_Paulo"


def test_without_either_it_is_utc(alice):
    assert zone_seen(alice) == "UTC"
    assert zone_seen(AnonymousUser()) == "UTC"


def test_signed_out_pages_follow_the_browser_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert zone_seen(AnonymousUser(), cookie="Asia/Kolkata") == "Asia/Kolkata"


@pytest.mark.parametrize(
    "cookie",
    ["Mars/Olympus_Mons", "../../etc/passwd", "europe/paris", "Europe/Paris\x00", "A" * 5000, ""],
)
def test_a_bogus_browser_zone_is_ignored(alice, cookie):
    assert zone_seen(alice, cookie=cookie) == "UTC"


def test_a_stored_zone_no_longer_known_falls_back_to_the_browser(alice):
    # Saved without validation (e.g. a zone later dropped from the tz database).
    Profile.objects.bulk_create([Profile(user=alice, timezone="Atlantis/Capital")])
    assert zone_seen(alice, cookie="Europe/Paris") == "Europe/Paris"


def test_the_profile_is_read_once_per_request(alice, django_assert_num_queries):
    Profile.objects.create(user=alice, timezone="Asia/Tokyo")
    with django_assert_num_queries(1):
        assert zone_seen(alice) == "Asia/Tokyo"


def test_the_zone_ends_with_the_request(alice):
    Profile.objects.create(user=alice, timezone="Asia/Tokyo")
    zone_seen(alice)
    assert timezone.get_current_timezone_name() == "UTC"


def test_settings_pages_read_the_profile_once(alice_client, alice, django_assert_num_queries):
    Profile.objects.create(user=alice, timezone="Asia/Tokyo")
    alice_client.get(SETTINGS)
    with django_assert_num_queries(4):  # session, user, profile, tracks for the select
        alice_client.get(SETTINGS)


# --- Settings ----------------------------------------------------------------------------------


def test_settings_saves_a_zone(alice_client, alice):
    data = {
        "desired_retention": "0.9",
        "new_per_day": "10",
        "minutes_per_day": "30",
        "timezone": " Asia/Tokyo ",
    }
    response = alice_client.post(SETTINGS, data)
    assert response.status_code == 302
    assert Profile.objects.get(user=alice).timezone == "Asia/Tokyo"


def test_settings_refuses_a_bogus_zone_and_keeps_what_was_typed(alice_client, alice):
    Profile.objects.create(user=alice, timezone="Europe/London", new_per_day=10)
    data = {"desired_retention": "0.85", "new_per_day": "17", "timezone": "Mars/Olympus"}
    response = alice_client.post(SETTINGS, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "“Mars/Olympus” is not a time zone name such as Europe/London." in html
    assert 'value="Mars/Olympus"' in html and 'value="17"' in html and 'value="0.85"' in html
    profile = Profile.objects.get(user=alice)
    assert (profile.timezone, profile.new_per_day) == ("Europe/London", 10)


def test_settings_offers_the_known_zones_and_names_the_browsers(alice_client):
    alice_client.cookies["tz"] = "Europe/Paris"
    html = alice_client.get(SETTINGS).content.decode()
    assert 'list="timezone-names"' in html and '<option value="Asia/Tokyo">' in html
    assert "it says Europe/Paris." in html


def test_settings_says_utc_until_the_browser_has_said(alice_client):
    html = alice_client.get(SETTINGS).content.decode()
    assert "times are in UTC" in html and "it says" not in html


# --- Times shown -------------------------------------------------------------------------------


@pytest.fixture
def due_card(alice):
    seed_loop()
    question = make_question(slug="tz-card", title="Timed")
    scheduling.record_review(
        alice,
        question,
        sequence=0,
        rating=3,
        now=timezone.now() - timedelta(minutes=1),
        desired_retention=0.9,
    )
    due = datetime(2030, 1, 5, 3, 30, tzinfo=UTC)
    Card.objects.filter(user=alice, question=question).update(due=due)
    return question


def test_the_question_page_shows_the_next_review_in_tokyo_time(alice_client, alice, due_card):
    Profile.objects.create(user=alice, timezone="Asia/Tokyo")
    html = alice_client.get(reverse("questions:detail", args=["tz-card"])).content.decode()
    assert "next review 5 Jan, 12:30 JST." in html  # 03:30 UTC is 12:30 at +09:00
    assert "UTC" not in html


def test_the_practice_summary_shows_the_next_review_in_the_browsers_zone(alice_client, due_card):
    alice_client.cookies["tz"] = "America/New_York"
    html = alice_client.get(SESSION, {"scope": "all", "started": 0}).content.decode()
    assert "Your next review is due 4 Jan, 22:30 EST." in html


# --- Days --------------------------------------------------------------------------------------

# 20:00 UTC on 10 March is 05:00 on 11 March in Tokyo: Tokyo's day began at 15:00 UTC.
NOW = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize(("zone", "new_left"), [("Asia/Tokyo", 1), ("UTC", 0)])
def test_the_daily_new_limit_starts_at_the_users_midnight(alice_client, alice, zone, new_left):
    seed_loop()
    Profile.objects.create(user=alice, new_per_day=1, timezone=zone)
    first = make_question(slug="yesterday-in-tokyo", difficulty="easy")
    make_question(slug="waiting", difficulty="hard")
    # 14:00 UTC: 23:00 on 10 March in Tokyo (yesterday there), but today in UTC.
    at = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    scheduling.record_review(alice, first, sequence=0, rating=4, now=at, desired_retention=0.9)
    context = alice_client.get(SESSION, {"scope": "all", "started": 0}).context
    assert context["queue"].new_left_today == new_left
    assert (context.get("question") is not None) == bool(new_left)


def test_reviews_per_day_follow_the_users_day(alice):
    seed_loop()
    question = make_question()
    at = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # 01:00 on 11 March in Tokyo
    scheduling.record_review(alice, question, sequence=0, rating=3, now=at, desired_retention=0.9)
    since = date(2026, 1, 1)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        assert review_activity(alice, since, date(2026, 3, 11)).per_day == {date(2026, 3, 11): 1}
    assert review_activity(alice, since, date(2026, 3, 10)).per_day == {date(2026, 3, 10): 1}


def test_the_interview_moment_and_snapshot_days_are_in_the_users_zone(alice):
    from questions import readiness
    from questions.models import ReadinessSnapshot

    seed_loop()
    question = make_question(rounds=["technical-screen"])
    evening_utc = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        # 09:00 in Tokyo is midnight UTC.
        moment = readiness._target_time(evening_utc, date(2027, 1, 10))
        assert moment == datetime(2027, 1, 10, 0, 0, tzinfo=UTC)
        readiness.record_snapshots(alice, question, evening_utc)
    # 20:00 UTC on the 2nd is 05:00 on the 3rd in Tokyo: the snapshot is that day's.
    assert ReadinessSnapshot.objects.get(user=alice).day == date(2026, 12, 3)
