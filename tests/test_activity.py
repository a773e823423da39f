"""Reviews per day for the dashboard: finished days from the cache, today counted live."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questions import scheduling
from questions.activity import review_activity
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 20)
SINCE = TODAY - timedelta(days=371)


@pytest.fixture(autouse=True)
def loop(db):
    seed_loop()


def review_at(user, question, moment: datetime, sequence: int):
    assert scheduling.record_review(
        user, question, sequence=sequence, rating=3, now=moment, desired_retention=0.9
    )


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_counts_per_day_and_in_total(alice, bob):
    question, other = make_question(), make_question()
    review_at(alice, question, at(TODAY - timedelta(days=400)), 0)  # before the calendar
    review_at(alice, question, at(TODAY - timedelta(days=2), 9), 1)
    review_at(alice, other, at(TODAY - timedelta(days=2), 23), 0)
    review_at(alice, question, at(TODAY, 0), 2)
    review_at(bob, question, at(TODAY - timedelta(days=1)), 0)  # someone else's
    activity = review_activity(alice, SINCE, TODAY)
    assert activity.per_day == {TODAY - timedelta(days=2): 2, TODAY: 1}
    assert activity.total == 4


def test_todays_reviews_count_at_once_and_finished_days_come_from_the_cache(alice):
    question = make_question()
    review_at(alice, question, at(TODAY - timedelta(days=1)), 0)
    assert review_activity(alice, SINCE, TODAY).total == 1  # fills the cache for the day
    review_at(alice, question, at(TODAY, 8), 1)
    with CaptureQueriesContext(connection) as queries:
        activity = review_activity(alice, SINCE, TODAY)
    assert activity.per_day == {TODAY - timedelta(days=1): 1, TODAY: 1}
    assert activity.total == 2
    assert len([q for q in queries if "questions_review" in q["sql"]]) == 1  # today only


def test_a_new_day_reads_the_log_again(alice):
    question = make_question()
    review_at(alice, question, at(TODAY), 0)
    assert review_activity(alice, SINCE, TODAY).per_day == {TODAY: 1}
    tomorrow = TODAY + timedelta(days=1)
    assert review_activity(alice, SINCE + timedelta(days=1), tomorrow).per_day == {TODAY: 1}


def test_the_dashboard_shows_a_rating_made_a_moment_ago(alice, alice_client):
    question = make_question()
    page = alice_client.get(reverse("questions:dashboard")).content.decode()
    assert "0 reviews on 0 days" in page
    review_at(alice, question, datetime.now(UTC), 0)
    page = alice_client.get(reverse("questions:dashboard")).content.decode()
    assert "1 review on 1 day" in page
