"""How ready a user is for each interview round: the one place the formula lives.

For a round, the pool is every question the user can see that is tagged with that round.

- coverage = practised / pool, where practised means reviewed at least once and, for coding
  questions, solved (a Submit passed every test); for review questions, the user's test caught
  the flawed code or their fix passed every test;
- recall(t) = mean over the pool of the FSRS retrievability at time t, counting questions not
  yet practised as 0: the expected share of the pool the user would answer well at t;
- score = 100 * recall at the round's target date (if one is set and ahead), else recall now.
  The target date is the date of the next stage that practises the round in the user's loops
  (questions/stage_plan.py), else the interview date in Settings;
- band: "not started" (nothing practised), "learning" (score < 50), "nearly ready"
  (50 <= score < 80), "ready" (score >= 80).

Queries: a fixed handful, whatever the size of the review log (cards are per question, not
per review, so the Python work is bounded by the bank size).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from questions.content_cache import bank_version
from questions.models import Card, Question, ReadinessSnapshot, Round, Track
from questions.models.question import RUNNABLE_KINDS
from questions.scheduling import retrievability

BANDS = (
    (80, "ready", "Ready"),
    (50, "nearly-ready", "Nearly ready"),
    (0, "learning", "Learning"),
)
READY_AT = 80
TARGET_COVERAGE = 0.8  # a plan aims to have practised this share of each pool


class PractisedCard(NamedTuple):
    question_id: int
    reps: int
    stability: float | None
    difficulty: float | None
    last_review: datetime | None
    due: datetime | None
    state: int
    step: int | None
    solved: bool
    suspended: bool


@dataclass
class RoundReadiness:
    round: Round
    pool: int
    practised: int
    solved_coding: int
    coding_total: int
    due: int
    recall_now: float
    recall_at_date: float | None
    score: float
    band: str
    band_label: str
    target_date: date | None = None  # the day recall_at_date is for (None: no day ahead)

    @property
    def coverage(self) -> float:
        return self.practised / self.pool if self.pool else 0.0

    @property
    def score_rounded(self) -> int:
        return round(self.score)


def band_for(score: float, practised: int) -> tuple[str, str]:
    if practised == 0:
        return "not-started", "Not started"
    for threshold, slug, label in BANDS:
        if score >= threshold:
            return slug, label
    return "learning", "Learning"


def rounds_of_track(track: Track | None) -> list[Round]:
    """A track's rounds in loop order (the masters track when none is chosen)."""
    track = track or Track.objects.filter(slug="masters").first()
    if track is None:
        return list(Round.objects.all())
    return list(track.rounds.order_by("position"))


def track_rounds(profile) -> list[Round]:
    """The rounds of the user's track in loop order."""
    return rounds_of_track(profile.track)


BUILTIN_POOLS_CACHE_SECONDS = 3600


def _pool_sizes(user, round_ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Questions per round, and coding questions per round, that the user can see.

    The built-in bank's counts are the same for everyone and change only with the bank, so
    they are cached under the bank's version (questions/content_cache.py); the user's own
    and other users' shared questions are counted per request (a small, indexed set).
    """
    Membership = Question.rounds.through
    key = f"readiness:builtin-pools:{bank_version()}"  # recounted when the bank changes
    builtin = cache.get(key)
    if builtin is None:
        builtin = list(
            Membership.objects.filter(question__owner__isnull=True)
            .values("round_id", "question__kind")
            .annotate(n=Count("question_id"))
            .values_list("round_id", "question__kind", "n")
        )
        cache.set(key, builtin, BUILTIN_POOLS_CACHE_SECONDS)
    # The user's own and the shared questions first, from the owner index (the built-in bank
    # has no owner); joining from the memberships instead would visit every built-in one.
    theirs = (
        Question.objects.filter(owner__isnull=False)
        .filter(Q(owner=user) | Q(visibility=Question.Visibility.SHARED))
        .values("pk")
    )
    users = (
        Membership.objects.filter(round_id__in=round_ids, question_id__in=theirs)
        .values("round_id", "question__kind")
        .annotate(n=Count("question_id"))
        .values_list("round_id", "question__kind", "n")
    )
    sizes: dict[int, int] = defaultdict(int)
    coding: dict[int, int] = defaultdict(int)
    for round_id, kind, n in [*builtin, *users]:
        sizes[round_id] += n
        if kind in RUNNABLE_KINDS:
            coding[round_id] += n
    return sizes, coding


def compute(
    user,
    rounds: list[Round],
    now: datetime,
    interview_date: date | None,
    round_dates: dict[int, date | None] | None = None,
) -> list[RoundReadiness]:
    """Readiness per round. Each round's figure is predicted for 09:00 on its own date:
    round_dates[round.pk] when the round is in it (None there: now), else interview_date."""
    round_dates = round_dates or {}
    round_ids = [r.pk for r in rounds]
    sizes, coding_totals = _pool_sizes(user, round_ids)
    # Only the user's own cards come back as rows, so the work grows with what the user
    # practised, not with the size of the bank or of the review log.
    # Plain rows, not model instances: building a few hundred Card objects costs more than
    # the query. A row has what scheduling.retrievability reads from a card.
    cards = {
        row.question_id: row
        for row in map(
            PractisedCard._make,
            Card.objects.filter(user=user, reps__gt=0).values_list(*PractisedCard._fields),
        )
    }
    members: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for round_id, question_id, kind, owner_id, visibility in Question.rounds.through.objects.filter(
        # The ids themselves, not a subquery: PostgreSQL then looks each up by index.
        round_id__in=round_ids,
        question_id__in=list(cards),
    ).values_list(
        "round_id", "question_id", "question__kind", "question__owner_id", "question__visibility"
    ):
        # The same visibility rule as Question.objects.visible_to, applied to the few rows here.
        if owner_id is None or owner_id == user.pk or visibility == Question.Visibility.SHARED:
            members[round_id].append((question_id, kind))

    recall_cache: dict[tuple[int, datetime], float] = {}

    def recall(card: PractisedCard, moment: datetime) -> float:
        key = (card.question_id, moment)
        if key not in recall_cache:
            recall_cache[key] = retrievability(card, moment)
        return recall_cache[key]

    results = []
    for round_ in rounds:
        day = round_dates.get(round_.pk, interview_date)
        target = _target_time(now, day)
        practised = solved = due = 0
        recall_now = recall_target = 0.0
        for question_id, kind in members.get(round_.pk, []):
            card = cards.get(question_id)
            if card is None:  # practised by a concurrent request after the cards were read
                continue
            if not card.suspended and card.due and card.due <= now:
                due += 1
            if kind in RUNNABLE_KINDS and not card.solved:
                continue
            practised += 1
            solved += kind in RUNNABLE_KINDS
            recall_now += recall(card, now)
            if target:
                recall_target += recall(card, target)
        size = sizes.get(round_.pk, 0)
        now_mean = recall_now / size if size else 0.0
        target_mean = recall_target / size if (size and target) else None
        score = 100 * (target_mean if target_mean is not None else now_mean)
        band, label = band_for(score, practised)
        results.append(
            RoundReadiness(
                round_,
                size,
                practised,
                solved,
                coding_totals.get(round_.pk, 0),
                due,
                now_mean,
                target_mean,
                score,
                band,
                label,
                day if target else None,
            )
        )
    return results


def _target_time(now: datetime, interview_date: date | None) -> datetime | None:
    if interview_date is None:
        return None
    # 09:00 on the interview day in the user's zone (the request's, see questions/timezones.py).
    moment = datetime.combine(interview_date, time(9, 0), tzinfo=timezone.get_current_timezone())
    return moment if moment > now else None


def record_snapshots(user, question: Question, now: datetime) -> None:
    """After a rating: store today's readiness for the rounds this question belongs to."""
    rounds = list(question.rounds.all())
    if not rounds:
        return
    day = timezone.localdate(now)  # the user's day, as the history chart reads it
    items = compute(user, rounds, now, None)
    # One upsert statement for all the rounds: insert today's row or overwrite it.
    ReadinessSnapshot.objects.bulk_create(
        [
            ReadinessSnapshot(
                user=user, round=item.round, day=day, score=item.score, coverage=item.coverage
            )
            for item in items
        ],
        update_conflicts=True,
        unique_fields=["user", "round", "day"],
        update_fields=["score", "coverage"],
    )


def history(
    user, rounds: list[Round], today: date, days: int = 90
) -> dict[int, list[tuple[date, float]]]:
    since = today - timedelta(days=days)
    rows = (
        ReadinessSnapshot.objects.filter(Q(user=user) & Q(round__in=rounds) & Q(day__gte=since))
        .order_by("day")
        .values_list("round_id", "day", "score")
    )
    series: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for round_id, day, score in rows:
        series[round_id].append((day, score))
    return series
