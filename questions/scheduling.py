"""The FSRS scheduler (py-fsrs) behind practice: review a card, preview intervals, rebuild.

Fuzzing is off so that a card's state is a pure function of its review log: replaying the
log reproduces the stored card exactly (tested), which keeps the log the source of truth.
All datetimes are UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import fsrs
from django.db import IntegrityError, transaction

from questions.models import Card, Question, Rating, Review


def scheduler(desired_retention: float = 0.9) -> fsrs.Scheduler:
    return fsrs.Scheduler(desired_retention=desired_retention, enable_fuzzing=False)


def to_fsrs(card: Card) -> fsrs.Card:
    return fsrs.Card(
        card_id=1,  # py-fsrs ids are only for its own logs; ours is the database row
        state=fsrs.State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due or datetime.now(UTC),
        last_review=card.last_review,
    )


def _copy_onto(card: Card, scheduled: fsrs.Card) -> None:
    card.state = int(scheduled.state)
    card.step = scheduled.step
    card.stability = scheduled.stability
    card.difficulty = scheduled.difficulty
    card.due = scheduled.due
    card.last_review = scheduled.last_review


def review(card: Card, rating: int, now: datetime, desired_retention: float) -> Card:
    """Apply one rating to `card` in place (not saved) and return it."""
    was_review = card.state == Card.State.REVIEW
    scheduled, _ = scheduler(desired_retention).review_card(
        to_fsrs(card), fsrs.Rating(rating), review_datetime=now
    )
    _copy_onto(card, scheduled)
    card.reps += 1
    if was_review and rating == Rating.AGAIN:
        card.lapses += 1
    return card


def preview(card: Card, now: datetime, desired_retention: float) -> dict[int, timedelta]:
    """How long until the card comes back for each rating, without changing it."""
    sched = scheduler(desired_retention)
    current = to_fsrs(card)
    return {
        rating.value: sched.review_card(current, fsrs.Rating(rating.value), review_datetime=now)[
            0
        ].due
        - now
        for rating in Rating
    }


_RETRIEVABILITY = scheduler()  # retrievability does not depend on the desired retention


def retrievability(card: Card, now: datetime) -> float:
    """Predicted probability of recalling the card at `now` (0 for a card never reviewed).

    Reads only the scheduling fields, so a plain row with the same names will do (readiness
    passes `PractisedCard` rows rather than model instances)."""
    if card.reps == 0 or card.stability is None or card.last_review is None:
        return 0.0
    return _RETRIEVABILITY.get_card_retrievability(to_fsrs(card), current_datetime=now)


def rebuild(user, question, reviews: Iterable[Review]) -> Card:
    """Replay a review log, oldest first, into a fresh (unsaved) card."""
    card = Card(user=user, question=question)
    for entry in sorted(reviews, key=lambda r: r.sequence):
        review(card, entry.rating, entry.reviewed_at, entry.desired_retention)
    return card


def humanize(delta: timedelta) -> str:
    """'10 minutes', '3 days', '4 months': how a rating button says when a card returns."""
    minutes = max(1, round(delta.total_seconds() / 60))
    hours, days = minutes / 60, minutes / 1440
    if minutes < 60:
        value, unit = minutes, "minute"
    elif hours < 23.5:
        value, unit = round(hours), "hour"
    elif days < 60:
        value, unit = round(days), "day"
    elif days < 365:
        value, unit = round(days / 30.4), "month"
    else:
        value, unit = round(days / 365, 1), "year"
        value = int(value) if value == int(value) else value
    return f"{value} {unit}{'' if value == 1 else 's'}"


def record_review(
    user,
    question: Question,
    *,
    sequence: int,
    rating: int,
    now: datetime,
    desired_retention: float,
    duration_ms: int | None = None,
    answer: str = "",
    rubric: list[int] | None = None,
    outcome: dict | None = None,
) -> bool:
    """Apply a rating to the user's card and append it to the log, exactly once per sequence.

    Returns False when this sequence was already recorded (a double submit or a second tab).
    The card row is locked for the update, so concurrent ratings cannot lose each other.
    """
    try:
        with transaction.atomic():
            card, _ = Card.objects.select_for_update().get_or_create(user=user, question=question)
            if card.reps != sequence:
                return False
            review(card, rating, now, desired_retention)
            card.save()
            Review.objects.create(
                user=user,
                question=question,
                sequence=sequence,
                rating=rating,
                reviewed_at=now,
                duration_ms=duration_ms,
                rubric_ticked=sorted(set(rubric or [])),
                answer=answer,
                outcome=outcome or {},
                scheduled_due=card.due,
                stability=card.stability,
                difficulty=card.difficulty,
                desired_retention=desired_retention,
            )
    except IntegrityError:
        return False
    return True
