"""Each round at its own stage's date, and the study plan that gets every stage ready in time.

Targets. A round's target is the earliest stage not done yet, dated today or later, in the
user's active (not archived) loops, that practises that round. A round whose stages are all done
stops counting: it shows its outcome and is left out of the plan. A round with no such stage
falls back to Profile.interview_date when that is ahead, else to "now" (no date).

The plan. Every round with a target date must have TARGET_COVERAGE of its pool practised by
the end of the day two days before that date: the day before is kept for review. A round
shared by two stages counts for the earlier one. Days are filled one at a time, earliest
deadline first, each with a budget of new questions that is the smaller of the daily
new-question limit (Settings) and what fits into the minutes a day once the day's expected
reviews are done.

The minutes model (round estimates; a plan only needs them about right, and Today shows them as
"about N minutes"):
- a review of a question already learned: MINUTES_PER_REVIEW = 1.5 (recall, reveal, tick the
  rubric, rate; most reviews are flashcards);
- learning a new flashcard, choice or design question: MINUTES_PER_NEW = 4 (read, attempt,
  study the model answer, and FSRS's same-day learning steps);
- learning a new coding or code-review question: MINUTES_PER_NEW_CODE = 15 (write or fix the
  code and run the tests);
- a round's minutes per new question are the mix of those two over its questions still new;
- the expected reviews of a day are the cards already due that day (overdue ones count today)
  plus one for each question the plan learns the day before: a new card's first interval
  after a Good rating is about a day.

Queries: the stages (one), the reviews due per day until the last deadline (one) and the new
questions learned today (one), whatever the number of loops, stages or cards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from questions import readiness
from questions.loops import when
from questions.models import Card, Review, Round, Stage
from questions.models.question import visible_q
from questions.readiness import TARGET_COVERAGE, RoundReadiness

MINUTES_PER_REVIEW = 1.5
MINUTES_PER_NEW = 4
MINUTES_PER_NEW_CODE = 15
MOCK_WINDOW_DAYS = 3  # Today suggests a mock when a stage is this many days away or fewer


def load_stages(user) -> list[Stage]:
    """Every stage of the user's active loops, with its round and loop: one query."""
    return list(
        Stage.objects.filter(loop__user=user, loop__archived_at__isnull=True)
        .select_related("round", "loop")
        .order_by("date", "loop__created_at", "position", "pk")
    )


def upcoming(stages: list[Stage], today: date) -> list[Stage]:
    """Stages not done yet, dated today or later, in date order."""
    return sorted(
        (s for s in stages if not s.is_done and s.date and s.date >= today),
        key=lambda s: (s.date, s.loop.created_at, s.position, s.pk),
    )


def rounds_to_show(track: list[Round], stages: list[Stage]) -> list[Round]:
    """The track's rounds, then any other round a stage of the user's loops practises."""
    seen = {r.pk for r in track}
    extra = {s.round.pk: s.round for s in stages if s.round and s.round.pk not in seen}
    return track + sorted(extra.values(), key=lambda r: (r.position, r.pk))


@dataclass
class RoundTarget:
    round: Round
    date: date | None  # the day readiness is predicted for; None: now
    stage: Stage | None = None  # the stage that date belongs to (None: the interview date)
    done: Stage | None = None  # all its stages done: the last of them
    later: list[Stage] = field(default_factory=list)  # later stages practising the same round

    @property
    def is_done(self) -> bool:
        return self.done is not None


def round_targets(
    rounds: list[Round], stages: list[Stage], today: date, interview_date: date | None
) -> dict[int, RoundTarget]:
    fallback = interview_date if interview_date and interview_date >= today else None
    ahead = upcoming(stages, today)
    targets = {}
    for round_ in rounds:
        own = [s for s in stages if s.round_id == round_.pk]
        next_ones = [s for s in ahead if s.round_id == round_.pk]
        if next_ones:
            first = next_ones[0]
            targets[round_.pk] = RoundTarget(round_, first.date, first, later=next_ones[1:])
        elif own and all(s.is_done for s in own):
            last = max(own, key=lambda s: (s.date or date.min, s.position, s.pk))
            targets[round_.pk] = RoundTarget(round_, None, done=last)
        else:
            targets[round_.pk] = RoundTarget(round_, fallback)
    return targets


def round_dates(targets: dict[int, RoundTarget]) -> dict[int, date | None]:
    """What readiness.compute takes: each round's own date (None for a done round: now)."""
    return {pk: t.date for pk, t in targets.items()}


@dataclass
class ReviewForecast:
    due_now: int  # what a "due" practice session would show now
    per_day: dict[date, int]  # expected reviews per day already scheduled (overdue on today)


def forecast_reviews(user, now: datetime, today: date, until: date) -> ReviewForecast:
    """Reviews due now, and already scheduled per day from today to `until`: one query."""
    zone = timezone.get_current_timezone()
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    rows = (
        Card.objects.filter(
            visible_q(user, via="question__"), user=user, suspended=False, reps__gt=0, due__lt=end
        )
        .annotate(day=TruncDate("due", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"), now=Count("id", filter=Q(due__lte=now)))
        .values_list("day", "n", "now")
    )
    per_day: dict[date, int] = {}
    due_now = 0
    for day, n, n_now in rows:
        due_now += n_now
        key = max(day, today)
        per_day[key] = per_day.get(key, 0) + n
    return ReviewForecast(due_now, per_day)


def learned_today(user, now: datetime) -> int:
    """New questions already learned today (the user's day): the queue's own count."""
    midnight = datetime.combine(timezone.localdate(now), time.min, timezone.get_current_timezone())
    return Review.objects.filter(user=user, sequence=0, reviewed_at__gte=midnight).count()


def minutes_per_new(item: RoundReadiness) -> float:
    """The mix of a round's questions still new: coding ones take longer to learn."""
    code_left = max(0, item.coding_total - item.solved_coding)
    other_left = max(0, (item.pool - item.coding_total) - (item.practised - item.solved_coding))
    if code_left + other_left == 0:
        return MINUTES_PER_NEW
    return (code_left * MINUTES_PER_NEW_CODE + other_left * MINUTES_PER_NEW) / (
        code_left + other_left
    )


def to_learn(item: RoundReadiness) -> int:
    # The epsilon keeps 0.8 x 15 = 12.000000000000002 at 12.
    return max(0, math.ceil(TARGET_COVERAGE * item.pool - 1e-9) - item.practised)


@dataclass
class PlanRow:
    """One round toward its own date (a stage's, or the interview date when it has none)."""

    round: Round
    stage: Stage | None
    date: date
    days_left: int  # calendar days until the date
    learning_days: int  # days to learn new questions: today up to two days before the date
    to_learn: int
    per_day_needed: int
    minutes_per_new: float
    later: list[Stage]
    scheduled: int = 0  # new questions the schedule fits in before the deadline
    today: int = 0  # of which today
    at_risk: bool = False
    reason: str = ""

    @property
    def name(self) -> str:
        return self.stage.name if self.stage else f"{self.round.name} (your interview date)"

    @property
    def last_learning_day(self) -> date:
        return self.date - timedelta(days=2)

    @property
    def short(self) -> int:
        return self.to_learn - self.scheduled


@dataclass
class StagePlan:
    rows: list[PlanRow]
    new_per_day: int
    minutes_per_day: int
    learned_today: int
    reviews_today: int  # expected reviews today (due now and later today)
    # Per day of the schedule: (new questions allowed, minutes free after the reviews).
    budgets: dict[date, tuple[int, float]] = field(default_factory=dict)

    @property
    def at_risk(self) -> list[PlanRow]:
        return [r for r in self.rows if r.at_risk]

    @property
    def today(self) -> list[PlanRow]:
        """The rows with new questions to learn today, earliest deadline first."""
        return [r for r in self.rows if r.today]


def build(
    items: list[RoundReadiness],
    targets: dict[int, RoundTarget],
    profile,
    today: date,
    forecast: ReviewForecast,
    already_learned: int,
) -> StagePlan | None:
    """The per-stage plan; None when no round has a date ahead (nothing to plan toward)."""
    rows = []
    for item in items:
        target = targets.get(item.round.pk)
        if target is None or target.date is None or target.is_done:
            continue
        days_left = (target.date - today).days
        learning = max(0, days_left - 1)
        need = to_learn(item)
        rows.append(
            PlanRow(
                item.round,
                target.stage,
                target.date,
                days_left,
                learning,
                need,
                math.ceil(need / learning) if learning else need,
                minutes_per_new(item),
                target.later,
            )
        )
    if not rows:
        return None
    rows.sort(key=lambda r: (r.date, r.round.position, r.round.pk))
    plan = StagePlan(
        rows,
        profile.new_per_day,
        profile.minutes_per_day,
        already_learned,
        forecast.per_day.get(today, 0),
    )
    _schedule(plan, today, forecast)
    for index, row in enumerate(rows):
        _judge(row, rows[:index], plan, today)
    return plan


def _schedule(plan: StagePlan, today: date, forecast: ReviewForecast) -> None:
    """Earliest deadline first, day by day, within each day's budget of count and minutes."""
    jobs = [r for r in plan.rows if r.to_learn and r.learning_days]
    if not jobs:
        return
    last = max(r.last_learning_day for r in jobs)
    remaining = {id(r): r.to_learn for r in jobs}
    learned_yesterday = 0
    day = today
    while day <= last:
        reviews = forecast.per_day.get(day, 0) + learned_yesterday
        count = max(0, plan.new_per_day - (plan.learned_today if day == today else 0))
        minutes = max(0.0, plan.minutes_per_day - reviews * MINUTES_PER_REVIEW)
        plan.budgets[day] = (count, minutes)
        learned = 0
        for row in jobs:
            if day > row.last_learning_day or not remaining[id(row)]:
                continue
            n = min(remaining[id(row)], count, _fit(minutes, row.minutes_per_new))
            if n <= 0:
                continue
            remaining[id(row)] -= n
            row.scheduled += n
            count -= n
            minutes -= n * row.minutes_per_new
            learned += n
            if day == today:
                row.today = n
        learned_yesterday = learned
        day += timedelta(days=1)


def _fit(minutes: float, each: float) -> int:
    return math.floor(minutes / each + 1e-9)


def _judge(row: PlanRow, earlier: list[PlanRow], plan: StagePlan, today: date) -> None:
    """At risk when the schedule leaves some of the row's questions new: say why."""
    if not row.short:
        return
    row.at_risk = True
    new = f"{row.short} question{'s are' if row.short != 1 else ' is'} still new"
    if not row.learning_days:
        if row.stage:
            row.reason = f"Your {row.stage.name} stage is {when(row.date, today)} and {new}."
        else:
            row.reason = f"Your interview is {when(row.date, today)} and {new} in {row.round.name}."
        return
    # The rows due earlier learn on the same days first, so they count in what is needed.
    sharing = [r for r in earlier if r.learning_days and r.to_learn]
    needed = math.ceil((row.to_learn + sum(r.to_learn for r in sharing)) / row.learning_days)
    days = [today + timedelta(days=i) for i in range(row.learning_days)]
    counts = [plan.budgets[d][0] for d in days]
    fits = [
        min(c, _fit(plan.budgets[d][1], row.minutes_per_new))
        for c, d in zip(counts, days, strict=True)
    ]
    budget = sum(fits) // len(fits)
    with_earlier = f" with {', '.join(r.name for r in sharing)} first" if sharing else ""
    binding = (
        f"{plan.minutes_per_day} minutes a day, less the reviews"
        if fits != counts
        else f"your limit of {plan.new_per_day} new a day"
    )
    row.reason = (
        f"It needs {needed} new a day{with_earlier}, your budget is {budget} ({binding}): "
        f"{row.short} of {row.to_learn} will still be new on {row.date.day} {row.date:%b}."
    )


@dataclass
class Overview:
    """What the dashboard and Today read: the rounds, each at its own date, and the plan."""

    stages: list[Stage]
    items: list[RoundReadiness]  # each with .target (its RoundTarget)
    plan: StagePlan | None
    forecast: ReviewForecast
    learned_today: int
    today: date

    @property
    def upcoming(self) -> list[Stage]:
        return upcoming(self.stages, self.today)


def overview(user, profile, now: datetime, today: date, forecast_days: int = 1) -> Overview:
    """Readiness per round at its stage's date and the per-stage plan: a fixed handful of
    queries whatever the number of loops, stages, cards or reviews. The review forecast covers
    the days up to the last target date, and at least `forecast_days` from today."""
    stages = load_stages(user)
    rounds = rounds_to_show(readiness.track_rounds(profile), stages)
    targets = round_targets(rounds, stages, today, profile.interview_date)
    items = readiness.compute(user, rounds, now, profile.interview_date, round_dates(targets))
    for entry in items:
        entry.target = targets[entry.round.pk]
    until = max((t.date for t in targets.values() if t.date), default=today)
    until = max(until, today + timedelta(days=forecast_days - 1))
    forecast = forecast_reviews(user, now, today, until)
    learned = learned_today(user, now)
    plan = build(items, targets, profile, today, forecast, learned)
    return Overview(stages, items, plan, forecast, learned, today)
