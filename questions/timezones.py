"""Each request runs in the user's time zone, so dates, times and "today" are theirs.

The zone is the one chosen in Settings (Profile.timezone); else the one the browser reported
in the `tz` cookie (static/js/app.js sets it from Intl.DateTimeFormat), when it names a
known zone; else UTC. Django's template filters then show aware datetimes in that zone, and
timezone.localdate() is the user's day.

Signed-in requests read the profile once here (one query) and keep it on the request, so
views that need the settings use profile_for(request) instead of reading them again.
"""

from __future__ import annotations

import zoneinfo

from django.http import HttpRequest
from django.utils import timezone

from questions.models import Profile
from questions.models.profile import known_timezones

COOKIE = "tz"
_PROFILE_ATTR = "_prep_profile"


def _known(name: str) -> str:
    return name if len(name) <= 64 and name in known_timezones() else ""


def browser_zone(request: HttpRequest) -> str:
    """The zone the browser reported, or "" when it sent none or nothing we know."""
    return _known(request.COOKIES.get(COOKIE, ""))


def profile_for(request: HttpRequest) -> Profile:
    """The signed-in user's settings, read at most once per request."""
    profile = getattr(request, _PROFILE_ATTR, None)
    if profile is None:
        profile = Profile.for_user(request.user)
        setattr(request, _PROFILE_ATTR, profile)
    return profile


def zone_name(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        chosen = _known(profile_for(request).timezone)
        if chosen:
            return chosen
    return browser_zone(request) or "UTC"


class TimezoneMiddleware:
    """Activates the user's zone for the whole request (after AuthenticationMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        with timezone.override(zoneinfo.ZoneInfo(zone_name(request))):
            return self.get_response(request)
