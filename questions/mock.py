"""Composing a timed mock interview for a round: formats are data, questions weighted toward
what the user is weakest on (due first, then lowest predicted recall, then never practised)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from questions.models import Card, MockInterview, MockItem, Question, Round
from questions.scheduling import retrievability


@dataclass(frozen=True)
class MockFormat:
    minutes: int
    count: int
    kinds: tuple[str, ...] = ()  # empty: any kind
    description: str = ""
    name: str = ""  # for a format that is not the round's own (the round's name otherwise)


FORMATS = {
    "screen": MockFormat(30, 4, (), "Four behavioural questions in 30 minutes."),
    "technical-screen": MockFormat(
        30, 6, (), "Six fundamentals and statistics questions in 30 minutes."
    ),
    "coding": MockFormat(
        45, 2, ("coding", "review"), "Two coding problems (or AI code to review) in 45 minutes."
    ),
    "ml-depth": MockFormat(45, 6, (), "Six questions across the round's categories in 45 minutes."),
    "system-design": MockFormat(45, 1, ("design",), "One design prompt in 45 minutes."),
    "research-presentation": MockFormat(
        45, 4, (), "Present your work, then four questions a panel would ask, in 45 minutes."
    ),
    "research-directions": MockFormat(
        45, 3, (), "Three research-direction discussions in 45 minutes."
    ),
}
DEFAULT_FORMAT = MockFormat(45, 5, (), "Five questions in 45 minutes.")
# Formats beyond a round's own, by key: the round whose questions they draw on, and the format.
# "AI-assisted coding" is the part of the coding round that asks a candidate to validate
# AI-written code: find the flaw with a test, fix it, explain it.
EXTRA_FORMATS = {
    "ai-coding": (
        "coding",
        MockFormat(
            30,
            3,
            ("review",),
            "Three pieces of AI-written code to catch with a test, fix and explain, in 30 minutes.",
            name="AI-assisted coding",
        ),
    ),
}


def format_for(round_: Round, key: str = "") -> MockFormat:
    if key in EXTRA_FORMATS:
        return EXTRA_FORMATS[key][1]
    return FORMATS.get(round_.slug, DEFAULT_FORMAT)


def choose_questions(
    user, round_: Round, now: datetime, rng: random.Random, format_key: str = ""
) -> list[Question]:
    fmt = format_for(round_, format_key)
    pool = Question.objects.visible_to(user).filter(rounds=round_)
    if fmt.kinds:
        pool = pool.filter(kind__in=fmt.kinds)
    # A suspended question is one the user asked never to see again until they unsuspend it,
    # whether or not they ever reviewed it: a mock honours that like practice does.
    suspended = Card.objects.filter(user=user, suspended=True).values("question_id")
    pool = pool.exclude(pk__in=suspended)
    questions = list(pool.select_related("category"))
    cards = {
        c.question_id: c
        for c in Card.objects.filter(user=user, question__in=[q.pk for q in questions])
    }

    def weakness(question: Question) -> tuple:
        card = cards.get(question.pk)
        if card is None or card.reps == 0:
            return (1, 0.5, rng.random())  # never practised: after due and weak ones
        if card.due and card.due <= now:
            return (0, retrievability(card, now), rng.random())
        return (2, retrievability(card, now), rng.random())

    ranked = sorted(questions, key=weakness)
    # Spread over categories so ML-depth covers deep learning, vision, recsys and NLP.
    chosen, seen_categories = [], set()
    for question in ranked:
        if len(chosen) == fmt.count:
            break
        if question.category_id not in seen_categories or len(seen_categories) >= 4:
            chosen.append(question)
            seen_categories.add(question.category_id)
    for question in ranked:
        if len(chosen) == fmt.count:
            break
        if question not in chosen:
            chosen.append(question)
    return chosen


@transaction.atomic
def start(
    user, round_: Round, now: datetime, rng: random.Random | None = None, format_key: str = ""
) -> MockInterview | None:
    rng = rng or random.Random()  # noqa: S311 - not security
    questions = choose_questions(user, round_, now, rng, format_key)
    if not questions:
        return None
    fmt = format_for(round_, format_key)
    mock = MockInterview.objects.create(
        user=user,
        round=round_,
        format=format_key,
        started_at=now,
        ends_at=now + timedelta(minutes=fmt.minutes),
    )
    MockItem.objects.bulk_create(
        MockItem(mock=mock, question=q, position=i) for i, q in enumerate(questions)
    )
    return mock


def score(ratings: list[int]) -> float:
    """0-100: Again counts 0, Hard 1/3, Good 2/3, Easy 1."""
    return round(100 * sum((r - 1) / 3 for r in ratings) / len(ratings), 1) if ratings else 0.0
