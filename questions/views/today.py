"""Today: the home page of a signed-in user. What to do now, in order: the reviews due, the
plan's new questions for the next stage, and a mock when a stage is a few days away; how long
that takes against the minutes a day, the streak, and the next stage. GET only, writes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, timedelta
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from questions import mock as mocks
from questions import stage_plan
from questions.activity import review_activity
from questions.loops import when
from questions.queue import practice_url
from questions.readiness import TARGET_COVERAGE
from questions.timezones import profile_for
from questions.views.dashboard import HEATMAP_WEEKS, streak


@dataclass
class Action:
    kind: str  # "reviews", "new" or "mock"
    title: str
    detail: str
    minutes: int
    label: str  # the button's text
    url: str


def _actions(overview: stage_plan.Overview, today) -> list[Action]:
    actions = []
    due = overview.forecast.due_now
    if due:
        actions.append(
            Action(
                "reviews",
                f"{due} review{'s' if due != 1 else ''} due",
                "Questions you learned that are about to slip: these come first.",
                math.ceil(due * stage_plan.MINUTES_PER_REVIEW),
                "Start reviews",
                practice_url("due"),
            )
        )
    for row in overview.plan.today if overview.plan else []:
        actions.append(
            Action(
                "new",
                f"{row.today} new from {row.round.name}",
                f"For {row.name} on {row.date.day} {row.date:%b} ({when(row.date, today)}): "
                f"{row.to_learn} still to learn for {TARGET_COVERAGE:.0%} of the round.",
                math.ceil(row.today * row.minutes_per_new),
                f"Learn {row.today} new for {row.name}",
                practice_url(f"round:{row.round.slug}"),
            )
        )
    suggested = set()
    for stage in overview.upcoming:
        days = (stage.date - today).days
        if days > stage_plan.MOCK_WINDOW_DAYS or not stage.round or stage.round.pk in suggested:
            continue
        suggested.add(stage.round.pk)
        minutes = mocks.format_for(stage.round).minutes
        actions.append(
            Action(
                "mock",
                f"Your {stage.name} stage is {when(stage.date, today)}: run a mock",
                f"A timed {stage.round.name} mock, {minutes} minutes, as the round is run.",
                minutes,
                "Choose the mock",
                reverse("questions:mock_list") + "?" + urlencode({"round": stage.round.slug}),
            )
        )
    return actions


@require_GET
def today_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now().astimezone(UTC)
    today = timezone.localdate(now)
    user = request.user
    profile = profile_for(request)
    overview = stage_plan.overview(user, profile, now, today)
    actions = _actions(overview, today)
    # The same span as the dashboard's calendar, so both read the same cached days.
    activity = review_activity(user, today - timedelta(days=7 * HEATMAP_WEEKS), today)
    upcoming = overview.upcoming
    next_stage = upcoming[0] if upcoming else None
    total = sum(a.minutes for a in actions)
    return render(
        request,
        "questions/today.html",
        {
            "profile": profile,
            "actions": actions,
            "total_minutes": total,
            "over_budget": total > profile.minutes_per_day,
            "plan": overview.plan,
            "has_loop": bool(overview.stages),
            "next_stage": next_stage,
            "next_stage_days": (next_stage.date - today).days if next_stage else None,
            "streak": streak(set(activity.per_day), today),
            "reviewed_today": activity.per_day.get(today, 0),
            "learned_today": overview.learned_today,
            "new_left_today": max(0, profile.new_per_day - overview.learned_today),
            "total_reviews": activity.total,
        },
    )
