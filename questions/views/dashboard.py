"""The readiness dashboard: one figure per round, each at its own stage's date, charts, streak,
and the per-stage study plan (questions/stage_plan.py)."""

from datetime import UTC, date, timedelta

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from questions import charts, readiness, stage_plan
from questions.activity import review_activity
from questions.timezones import profile_for

HEATMAP_WEEKS = 53
HEATMAP_CACHE_SECONDS = 3600
HISTORY_DAYS = 90
DUE_DAYS = 14


def streak(days_with_reviews: set[date], today: date) -> int:
    """Consecutive days with at least one review, ending today (or yesterday, if today has
    none yet: a streak is not lost before the day is over)."""
    day = today if today in days_with_reviews else today - timedelta(days=1)
    streak = 0
    while day in days_with_reviews:
        streak += 1
        day -= timedelta(days=1)
    return streak


def _next_action(item: readiness.RoundReadiness) -> str:
    if item.pool == 0:
        return "No questions in this round's pool yet."
    if item.due:
        return f"{item.due} question{'s' if item.due != 1 else ''} due in {item.round.name}."
    if item.coding_total and item.solved_coding < item.coding_total:
        # Coding questions count once Submit passed; review questions once caught or fixed.
        return f"Code to run: {item.solved_coding} of {item.coding_total} solved."
    if item.practised < item.pool:
        return f"{item.pool - item.practised} of {item.pool} questions not practised yet."
    return "Everything practised: keep reviewing what comes due."


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now().astimezone(UTC)
    today = timezone.localdate(now)  # the user's day, in their zone
    user = request.user
    profile = profile_for(request)
    overview = stage_plan.overview(user, profile, now, today, forecast_days=DUE_DAYS)
    items = overview.items
    rounds = [item.round for item in items]
    for item in items:
        item.next_action = _next_action(item)
        if item.target_date:
            item.days_to_target = (item.target_date - today).days

    activity = review_activity(user, today - timedelta(days=7 * HEATMAP_WEEKS), today)
    per_day = activity.per_day
    # The plan's review forecast already counts the cards due per day (overdue ones today).
    due_days = [
        (today + timedelta(days=i), overview.forecast.per_day.get(today + timedelta(days=i), 0))
        for i in range(DUE_DAYS)
    ]
    history = readiness.history(user, rounds, today, HISTORY_DAYS)
    series = [(r.name, history.get(r.pk, [])) for r in rounds]
    context = {
        "profile": profile,
        "items": items,
        "plan": overview.plan,
        "has_loop": bool(overview.stages),
        # A year of cells is the costliest chart, and it only changes with a new review.
        "heatmap": cache.get_or_set(
            f"heatmap:{user.pk}:{today.isoformat()}:{activity.total}",
            lambda: charts.heatmap(per_day, today, HEATMAP_WEEKS),
            timeout=HEATMAP_CACHE_SECONDS,
        ),
        "due_chart": charts.bar_chart(due_days, f"Reviews due in the next {DUE_DAYS} days"),
        "due_days": due_days,
        "history_chart": charts.line_chart(
            series, today - timedelta(days=HISTORY_DAYS), today, "Readiness per round, last 90 days"
        ),
        # The legend gives each round's recall now (the chart's last point is the last day
        # practised), so it is labelled apart from the round figures, which may be for the
        # interview day.
        "series": [
            (index % 7, item.round.name, 100 * item.recall_now if item.practised else None)
            for index, item in enumerate(items)
        ],
        "for_interview_day": any(item.recall_at_date is not None for item in items),
        "streak": streak(set(per_day), today),
        "active_days": len(per_day),
        "total_reviews": activity.total,
        "ready_at": readiness.READY_AT,
        "days_to_interview": (profile.interview_date - today).days
        if profile.interview_date
        else None,
    }
    return render(request, "questions/dashboard.html", context)
