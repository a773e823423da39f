"""Composing a timed mock interview: formats are data, questions weighted toward what the user
is weakest on (due first, then lowest predicted recall, then never practised), each main question
with the follow-ups an interviewer would drill down with, and an onsite of several rounds back
to back."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models, transaction

from questions.models import Card, MockInterview, MockItem, Question, Round
from questions.readiness import track_rounds
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


MAX_ANSWER_CHARS = 50_000  # per answer box, test, code or design section

# An onsite: the track's on-site rounds back to back, each with its own format, one clock for
# all. The recruiter and technical screens come before an onsite, so they are not part of it;
# the research presentation is the candidate's own talk, rehearsed on its own.
ONSITE = "onsite"
ONSITE_ROUNDS = ("coding", "ml-depth", "system-design", "research-directions")
ONSITE_FORMAT = MockFormat(
    0, 0, (), "Your track's on-site rounds back to back under one clock.", name="Onsite"
)

# The headings of a design answer, as the bank's model answers use them, so the debrief can hold
# each part of the user's answer against the same part of the model answer and rubric.
DESIGN_SECTIONS = [
    ("requirements", "Requirements and scale"),
    ("metrics", "Problem and metrics"),
    ("data", "Data"),
    ("features", "Features"),
    ("model", "Model"),
    ("serving", "Serving"),
    ("evaluation", "Evaluation"),
    ("monitoring", "Scaling and monitoring"),
    ("tradeoffs", "Trade-offs"),
]

# Follow-ups are asked aloud, so they are questions answered in words or by a pick.
FOLLOW_UP_KINDS = (Question.Kind.FLASHCARD, Question.Kind.CHOICE)
# A design prompt or a spoken question invites a deeper drill-down than a coding problem.
FOLLOW_UPS_PER_KIND = {Question.Kind.DESIGN: 2, Question.Kind.FLASHCARD: 2}
DEFAULT_FOLLOW_UPS = 1
DIFFICULTY_RANK = {"easy": 0, "medium": 1, "hard": 2}


def format_for(round_: Round, key: str = "") -> MockFormat:
    if key == ONSITE:
        return ONSITE_FORMAT
    if key in EXTRA_FORMATS:
        return EXTRA_FORMATS[key][1]
    return FORMATS.get(round_.slug, DEFAULT_FORMAT)


def onsite_rounds(rounds: list[Round]) -> list[Round]:
    """The on-site rounds among a track's `rounds`, in loop order."""
    return [r for r in rounds if r.slug in ONSITE_ROUNDS]


def mock_options(profile) -> list[tuple[str, str, MockFormat]]:
    """What the user can start, as (value posted, name, format): each round of the track, the
    formats within them, then the onsite when the track has at least two on-site rounds."""
    rounds = track_rounds(profile)
    options = [(r.slug, r.name, format_for(r)) for r in rounds]
    slugs = {r.slug for r in rounds}
    options += [(key, fmt.name, fmt) for key, (slug, fmt) in EXTRA_FORMATS.items() if slug in slugs]
    onsite = onsite_rounds(rounds)
    if len(onsite) >= 2:
        formats = [format_for(r) for r in onsite]
        minutes = sum(f.minutes for f in formats)
        names = ", ".join(r.name for r in onsite)
        description = f"{names}: {len(onsite)} rounds back to back, {minutes} minutes in all."
        options.append(
            (
                ONSITE,
                ONSITE_FORMAT.name,
                MockFormat(
                    minutes, sum(f.count for f in formats), (), description, ONSITE_FORMAT.name
                ),
            )
        )
    return options


def start_from_choice(
    user, value: str, profile, now: datetime, rng: random.Random | None = None
) -> MockInterview | str:
    """Start what the user picked on the list page; a message when it cannot be started."""
    if value == ONSITE:
        rounds = onsite_rounds(track_rounds(profile))
        if len(rounds) < 2:
            return "Your track has no onsite of several rounds."
        return start_onsite(user, rounds, now, rng) or "There are no questions for an onsite yet."
    format_key = value if value in EXTRA_FORMATS else ""
    slug = EXTRA_FORMATS[format_key][0] if format_key else value
    round_ = Round.objects.filter(slug=slug).first()
    if round_ is None:
        return "Choose a round for the mock interview."
    return start(user, round_, now, rng, format_key) or (
        f"There are no questions in {round_.name} to build a mock from yet."
    )


def choose_questions(
    user,
    round_: Round,
    now: datetime,
    rng: random.Random,
    format_key: str = "",
    exclude: frozenset[int] = frozenset(),
) -> list[Question]:
    fmt = format_for(round_, format_key)
    pool = Question.objects.visible_to(user).filter(rounds=round_).exclude(pk__in=exclude)
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


def choose_follow_ups(
    user, questions: list[Question], rng: random.Random
) -> dict[int, list[Question]]:
    """For each main question, the questions an interviewer would drill down with next: asked
    aloud (flashcard or choice), sharing the most tags (else the category), as hard or harder,
    none of them a main question or used twice. Two queries whatever the pool size."""
    main_ids = {q.pk for q in questions}
    tags_of: dict[int, set[int]] = {}
    for question_id, tag_id in Question.tags.through.objects.filter(
        question_id__in=main_ids
    ).values_list("question_id", "tag_id"):
        tags_of.setdefault(question_id, set()).add(tag_id)
    all_tags = set().union(*tags_of.values()) if tags_of else set()
    suspended = Card.objects.filter(user=user, suspended=True).values("question_id")
    candidates = list(
        Question.objects.visible_to(user)
        .filter(kind__in=FOLLOW_UP_KINDS)
        .filter(
            models.Q(tags__in=all_tags) | models.Q(category__in={q.category_id for q in questions})
        )
        .exclude(pk__in=main_ids)
        .exclude(pk__in=suspended)
        .distinct()
        .prefetch_related("tags")
    )
    candidate_tags = {c.pk: {t.pk for t in c.tags.all()} for c in candidates}
    used: set[int] = set()
    chosen: dict[int, list[Question]] = {}
    for question in questions:
        floor = DIFFICULTY_RANK.get(question.difficulty, 0)
        tags = tags_of.get(question.pk, set())
        ranked = []
        for c in candidates:
            shared = len(tags & candidate_tags[c.pk])
            same_category = c.category_id == question.category_id
            level = DIFFICULTY_RANK.get(c.difficulty, 0)
            if c.pk in used or level < floor or not (shared or same_category):
                continue
            ranked.append(((-shared, not same_category, level == floor, rng.random()), c))
        ranked.sort(key=lambda pair: pair[0])
        wanted = FOLLOW_UPS_PER_KIND.get(question.kind, DEFAULT_FOLLOW_UPS)
        chosen[question.pk] = [c for _, c in ranked[:wanted]]
        used.update(c.pk for c in chosen[question.pk])
    return chosen


def _create(
    user,
    round_: Round,
    format_key: str,
    now: datetime,
    minutes: int,
    sections: list[tuple[Round | None, list[Question]]],
    rng: random.Random,
) -> MockInterview:
    """The mock with its main questions in order (positions 0..n-1), then their follow-ups."""
    mock = MockInterview.objects.create(
        user=user,
        round=round_,
        format=format_key,
        started_at=now,
        ends_at=now + timedelta(minutes=minutes),
        current_position=0,
        current_since=now,
    )
    main = [
        MockItem(mock=mock, question=q, position=i, round=section_round)
        for i, (section_round, q) in enumerate(
            (section_round, q) for section_round, qs in sections for q in qs
        )
    ]
    MockItem.objects.bulk_create(main)
    follow_ups = choose_follow_ups(user, [item.question for item in main], rng)
    position = len(main)
    extra = []
    for item in main:
        for question in follow_ups[item.question.pk]:
            extra.append(
                MockItem(
                    mock=mock,
                    question=question,
                    position=position,
                    round=item.round,
                    follow_up_of=item,
                )
            )
            position += 1
    MockItem.objects.bulk_create(extra)
    return mock


@transaction.atomic
def start(
    user, round_: Round, now: datetime, rng: random.Random | None = None, format_key: str = ""
) -> MockInterview | None:
    rng = rng or random.Random()  # noqa: S311 - not security
    questions = choose_questions(user, round_, now, rng, format_key)
    if not questions:
        return None
    fmt = format_for(round_, format_key)
    return _create(user, round_, format_key, now, fmt.minutes, [(None, questions)], rng)


@transaction.atomic
def start_onsite(
    user, rounds: list[Round], now: datetime, rng: random.Random | None = None
) -> MockInterview | None:
    """Each round's own format in turn, no question twice (a question can serve two rounds)."""
    rng = rng or random.Random()  # noqa: S311 - not security
    sections, taken, minutes = [], set(), 0
    for round_ in rounds:
        questions = choose_questions(user, round_, now, rng, exclude=frozenset(taken))
        if questions:
            sections.append((round_, questions))
            taken.update(q.pk for q in questions)
            minutes += format_for(round_).minutes
    if not sections:
        return None
    return _create(user, sections[0][0], ONSITE, now, minutes, sections, rng)


def main_items(items: list[MockItem]) -> list[MockItem]:
    return [item for item in items if item.follow_up_of_id is None]


def follow_ups_by_parent(items: list[MockItem]) -> dict[int, list[MockItem]]:
    grouped: dict[int, list[MockItem]] = {}
    for item in items:
        if item.follow_up_of_id is not None:
            grouped.setdefault(item.follow_up_of_id, []).append(item)
    return grouped


def seconds_on(item: MockItem, mock: MockInterview, now: datetime) -> int:
    """Time on a question: what was closed when the user moved on, plus the open interval if it
    is the question on screen (a follow-up's time is its main question's: they share a screen).
    The open interval ends when the mock was finished or ran out, whichever came first."""
    seconds = item.seconds_spent
    if (
        item.follow_up_of_id is None
        and item.position == mock.current_position
        and mock.current_since is not None
    ):
        end = mock.clock_stopped_at(now)
        seconds += max(0, int((end - mock.current_since).total_seconds()))
    return seconds
