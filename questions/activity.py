"""Reviews per day, for the dashboard's calendar, streak and totals.

A review is only ever written at the moment it happens, so once a day is over its count is
final. The counts of the days before today (and their total) are cached per user and day;
each request then only counts today's reviews, an indexed range of a few rows. The first
visit of a day reads the year from the review log once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from questions.models import Review

CACHE_SECONDS = 26 * 3600  # outlives its day a little; the key names the day anyway


@dataclass
class Activity:
    per_day: dict[date, int]  # reviews per day since `since`, today included
    total: int  # every review the user ever made


def _midnight(day: date) -> datetime:
    # Range filters on the raw timestamp (not __date) so the (user, reviewed_at) index is used.
    # Days are the user's: midnight in the active time zone (questions/timezones.py).
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _finished_days(user, since: date, today: date) -> tuple[dict[date, int], int]:
    zone = timezone.get_current_timezone_name()
    key = f"activity:{user.pk}:{zone}:{since.isoformat()}:{today.isoformat()}"
    cached = cache.get(key)
    if cached is None:
        before_today = Review.objects.filter(user=user, reviewed_at__lt=_midnight(today))
        per_day = dict(
            before_today.filter(reviewed_at__gte=_midnight(since))
            .annotate(day=TruncDate("reviewed_at", tzinfo=timezone.get_current_timezone()))
            .values("day")
            .annotate(n=Count("id"))
            .values_list("day", "n")
        )
        cached = (per_day, before_today.count())
        cache.set(key, cached, CACHE_SECONDS)
    return cached


def review_activity(user, since: date, today: date) -> Activity:
    per_day, total_before = _finished_days(user, since, today)
    today_count = Review.objects.filter(user=user, reviewed_at__gte=_midnight(today)).count()
    per_day = dict(per_day)
    if today_count:
        per_day[today] = today_count
    return Activity(per_day, total_before + today_count)
