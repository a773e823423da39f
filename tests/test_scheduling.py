"""The FSRS wrapper: first reviews, lapses, desired retention, rebuild from the log."""

from datetime import UTC, datetime, timedelta

import fsrs
import pytest

from questions import scheduling
from questions.models import Card, Rating, Review
from tests.factories import make_question, seed_loop

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def fresh() -> Card:
    return Card()


def test_first_good_is_a_learning_step_of_ten_minutes():
    card = scheduling.review(fresh(), Rating.GOOD, T0, 0.9)
    assert card.state == Card.State.LEARNING
    assert card.due - T0 == timedelta(minutes=10)
    assert card.reps == 1 and card.lapses == 0


def test_first_easy_graduates_straight_to_review_in_days():
    card = scheduling.review(fresh(), Rating.EASY, T0, 0.9)
    assert card.state == Card.State.REVIEW
    # py-fsrs default parameters: initial stability for Easy is w[3] = 8.2956 days, and at
    # 90% retention the interval equals the stability, rounded to whole days.
    assert card.due - T0 == timedelta(days=8)


def test_matches_py_fsrs_directly_over_a_sequence():
    reference = fsrs.Scheduler(enable_fuzzing=False)
    ours, theirs, now = fresh(), fsrs.Card(), T0
    for rating in [Rating.GOOD, Rating.GOOD, Rating.GOOD, Rating.HARD, Rating.AGAIN, Rating.GOOD]:
        scheduling.review(ours, rating, now, 0.9)
        theirs, _ = reference.review_card(theirs, fsrs.Rating(rating), review_datetime=now)
        assert ours.due == theirs.due
        assert ours.stability == pytest.approx(theirs.stability)
        now = theirs.due


def graduated() -> tuple[Card, datetime]:
    card, now = fresh(), T0
    for _ in range(3):
        scheduling.review(card, Rating.GOOD, now, 0.9)
        now = card.due
    assert card.state == Card.State.REVIEW
    return card, now


def test_lapse_counts_and_relearns():
    card, now = graduated()
    stability_before = card.stability
    scheduling.review(card, Rating.AGAIN, now, 0.9)
    assert card.lapses == 1
    assert card.state == Card.State.RELEARNING
    assert card.stability < stability_before
    assert card.due - now == timedelta(minutes=10)


def test_higher_desired_retention_brings_cards_back_sooner():
    card, now = graduated()
    relaxed = scheduling.preview(card, now, 0.8)[Rating.GOOD]
    strict = scheduling.preview(card, now, 0.95)[Rating.GOOD]
    assert strict < relaxed


def test_preview_does_not_change_the_card():
    card, now = graduated()
    before = (card.state, card.stability, card.due, card.reps)
    intervals = scheduling.preview(card, now, 0.9)
    assert (card.state, card.stability, card.due, card.reps) == before
    assert (
        intervals[Rating.AGAIN]
        < intervals[Rating.HARD]
        <= intervals[Rating.GOOD]
        < intervals[Rating.EASY]
    )


def test_retrievability_is_zero_for_new_and_decays():
    assert scheduling.retrievability(fresh(), T0) == 0
    card, _now = graduated()
    soon = scheduling.retrievability(card, card.last_review + timedelta(hours=1))
    later = scheduling.retrievability(card, card.last_review + timedelta(days=60))
    assert 0.99 < soon <= 1 and later < soon
    assert scheduling.retrievability(card, card.due) == pytest.approx(0.9, abs=0.02)


@pytest.mark.django_db
def test_card_state_can_be_rebuilt_from_the_review_log(alice):
    seed_loop()
    question = make_question()
    now = T0
    for sequence, (rating, retention) in enumerate(
        [
            (Rating.GOOD, 0.9),
            (Rating.GOOD, 0.9),
            (Rating.EASY, 0.85),
            (Rating.AGAIN, 0.95),
            (Rating.GOOD, 0.9),
        ]
    ):
        assert scheduling.record_review(
            alice, question, sequence=sequence, rating=rating, now=now, desired_retention=retention
        )
        now = Card.objects.get(user=alice, question=question).due + timedelta(hours=3)
    stored = Card.objects.get(user=alice, question=question)
    rebuilt = scheduling.rebuild(
        alice, question, Review.objects.filter(user=alice, question=question)
    )
    for field in (
        "state",
        "step",
        "stability",
        "difficulty",
        "due",
        "last_review",
        "reps",
        "lapses",
    ):
        assert getattr(rebuilt, field) == getattr(stored, field), field


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=20), "1 minute"),
        (timedelta(minutes=10), "10 minutes"),
        (timedelta(hours=5), "5 hours"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=45), "45 days"),
        (timedelta(days=120), "4 months"),
        (timedelta(days=730), "2 years"),
    ],
)
def test_humanize(delta, text):
    assert scheduling.humanize(delta) == text
