"""A mock interview once it is over: the debrief, and the ratings that schedule its questions.

The debrief holds each answer against the model answer and rubric, with what the machine could
grade (questions/mock_grading.py). Rating is one POST for the whole interview: every shown item
(main questions, and the follow-ups the user asked for) needs a rating; each question is then
reviewed by the scheduler exactly once, like a practice review.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from questions import charts, readiness, scheduling
from questions import mock as mocks
from questions import mock_grading as grading
from questions.grading import RATING_HELP
from questions.models import Card, MockInterview, MockItem, Question, Rating
from questions.timezones import profile_for
from questions.views.mock_access import get_mock_for_user, now_utc, still_visible

RATE_EVERY_QUESTION = "Rate every question (Again, Hard, Good or Easy) to finish the debrief."


@dataclass
class Entry:
    """One item as the debrief shows it."""

    item: MockItem
    outcome: grading.Outcome
    seconds: int
    rubric: list
    ticked: set[int]
    ratings: list[dict]
    round: object = None
    choices: list = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    follow_ups: list[Entry] = field(default_factory=list)

    @property
    def time_spent(self) -> str:
        return grading.duration(self.seconds)


def _load(request: HttpRequest, mock: MockInterview) -> tuple[list[MockItem], int]:
    items = list(
        mock.items.select_related("question", "question__category", "round").prefetch_related(
            "question__rubric_points", "question__choices"
        )
    )
    return still_visible(request, items)


def _shown(items: list[MockItem]) -> tuple[list[MockItem], dict[int, list[MockItem]]]:
    """The main items, and for each the follow-ups the user asked for (hidden ones are not
    part of the debrief: never shown, never rated)."""
    main = mocks.main_items(items)
    by_parent = mocks.follow_ups_by_parent(items)
    return main, {m.pk: by_parent.get(m.pk, []) if m.follow_ups_shown_at else [] for m in main}


def _rated(main: list[MockItem], follow_ups: dict[int, list[MockItem]]) -> list[MockItem]:
    return [x for m in main for x in (m, *follow_ups[m.pk])]


def _read_choices(request: HttpRequest, rated: list[MockItem]) -> dict[int, dict]:
    """What the form posted per item position: a rating (or None) and the ticked points."""
    chosen = {}
    for item in rated:
        value = request.POST.get(f"rating-{item.position}", "")
        points = {p.position for p in item.question.rubric_points.all()}
        ticked = {
            int(v) for v in request.POST.getlist(f"rubric-{item.position}") if v.isdigit()
        } & points
        chosen[item.position] = {
            "rating": int(value) if value in {"1", "2", "3", "4"} else None,
            "ticked": ticked,
        }
    return chosen


def _answer_text(item: MockItem) -> str:
    """What the review log keeps as the answer: the code, the design by heading, or the text."""
    kind = item.question.kind
    if kind == Question.Kind.CODING:
        return item.code
    if kind == Question.Kind.DESIGN and item.sections:
        parts = [
            f"## {heading}\n{item.sections[key]}"
            for key, heading in mocks.DESIGN_SECTIONS
            if item.sections.get(key, "").strip()
        ]
        return "\n\n".join([*parts, item.answer] if item.answer.strip() else parts)
    return item.answer


def _debrief(
    request: HttpRequest,
    mock: MockInterview,
    items: list[MockItem],
    withdrawn: int,
    now,
    chosen: dict[int, dict] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    main, follow_ups = _shown(items)
    rated = _rated(main, follow_ups)
    runs = grading.runs_by_item(mock)
    outcomes = {item.pk: grading.grade(item, runs.get(item.pk, [])) for item in rated}
    profile = profile_for(request)
    cards = {
        c.question_id: c
        for c in Card.objects.filter(
            user=request.user, question_id__in={i.question_id for i in rated}
        )
    }

    def entry(item: MockItem) -> Entry:
        outcome = outcomes[item.pk]
        picked = chosen.get(item.position, {}) if chosen else {}
        card = cards.get(item.question_id) or Card(user=request.user, question=item.question)
        intervals = scheduling.preview(card, now, profile.desired_retention)
        return Entry(
            item=item,
            outcome=outcome,
            seconds=mocks.seconds_on(item, mock, now),
            rubric=list(item.question.rubric_points.all()),
            ticked=picked.get("ticked", set(item.rubric_ticked)),
            round=item.round or mock.round,
            choices=list(item.question.choices.all()),
            sections=[
                (heading, item.sections.get(key, "")) for key, heading in mocks.DESIGN_SECTIONS
            ]
            if item.question.kind == Question.Kind.DESIGN
            else [],
            ratings=[
                {
                    "value": rating.value,
                    "label": rating.label,
                    "help": RATING_HELP[rating],
                    "when": scheduling.humanize(intervals[rating.value]),
                    "suggested": rating.value == outcome.suggested,
                    "checked": rating.value == picked.get("rating"),
                }
                for rating in Rating
            ],
        )

    entries = []
    for item in main:
        e = entry(item)
        e.follow_ups = [entry(f) for f in follow_ups[item.pk]]
        entries.append(e)
    rounds = list({e.round.pk: e.round for e in entries}.values()) or [mock.round]
    allowed = grading.seconds_allowed(mock)
    time_chart = charts.time_per_question(
        [
            (f"{i}. {e.item.question.title}", e.seconds, e.time_spent)
            for i, e in enumerate(entries, 1)
        ],
        allowed // len(entries) if entries else None,
        "Time per question",
    )
    context = {
        "mock": mock,
        "entries": entries,
        "withdrawn": withdrawn,
        "onsite": mock.format == mocks.ONSITE,
        "rounds": rounds,
        "error": error,
        "score_explained": grading.SCORE_EXPLAINED,
        "time_used": grading.duration(grading.seconds_used(mock, now)),
        "time_allowed": grading.duration(allowed),
        "time_chart": time_chart,
        "weakest": grading.weakest_points(rated) if mock.rated_at else [],
        "practise_next": grading.practise_next(rated, outcomes, rounds),
        "design_sections": mocks.DESIGN_SECTIONS,
    }
    return render(request, "questions/mock_debrief.html", context, status=status)


def render_debrief(request: HttpRequest, mock: MockInterview, now) -> HttpResponse:
    items, withdrawn = _load(request, mock)
    return _debrief(request, mock, items, withdrawn, now)


@require_POST
def mock_rate(request: HttpRequest, mock_id: int) -> HttpResponse:
    mock = get_mock_for_user(request, mock_id)
    now = now_utc()
    if not mock.is_over(now):
        messages.error(request, "Finish the interview before rating it.")
        return redirect("questions:mock_detail", mock_id=mock.pk)
    if mock.rated_at is not None:
        messages.info(request, "This interview was already rated.")
        return redirect("questions:mock_detail", mock_id=mock.pk)
    items, withdrawn = _load(request, mock)
    main, follow_ups = _shown(items)
    rated = _rated(main, follow_ups)
    if not rated:
        messages.error(request, "None of this interview's questions is available any more.")
        return redirect("questions:mock_detail", mock_id=mock.pk)
    chosen = _read_choices(request, rated)
    if any(chosen[item.position]["rating"] is None for item in rated):
        # Shown again with what the user chose, so no tick or rating is lost.
        return _debrief(
            request, mock, items, withdrawn, now, chosen, RATE_EVERY_QUESTION, status=400
        )
    runs = grading.runs_by_item(mock)
    outcomes = {item.pk: grading.grade(item, runs.get(item.pk, [])) for item in rated}
    for item in rated:
        item.rating = chosen[item.position]["rating"]
        item.rubric_ticked = sorted(chosen[item.position]["ticked"])
    # A question met twice in one interview (a follow-up that is also a main question of another
    # round) is reviewed once, with the lower of its ratings.
    by_question: dict[int, MockItem] = {}
    for item in rated:
        kept = by_question.get(item.question_id)
        if kept is None or item.rating < kept.rating:
            by_question[item.question_id] = item
    retention = profile_for(request).desired_retention
    with transaction.atomic():
        mock = MockInterview.objects.select_for_update().get(pk=mock.pk)
        if mock.rated_at is not None:
            messages.info(request, "This interview was already rated.")
            return redirect("questions:mock_detail", mock_id=mock.pk)
        reps = dict(
            Card.objects.filter(user=request.user, question_id__in=by_question).values_list(
                "question_id", "reps"
            )
        )
        for question_id, item in by_question.items():
            scheduling.record_review(
                request.user,
                item.question,
                sequence=reps.get(question_id, 0),
                rating=item.rating,
                now=now,
                desired_retention=retention,
                duration_ms=mocks.seconds_on(item, mock, now) * 1000 or None,
                answer=_answer_text(item),
                rubric=item.rubric_ticked,
                outcome={"mock_interview": mock.pk, **outcomes[item.pk].data},
            )
        MockItem.objects.bulk_update(rated, ["rating", "rubric_ticked"])
        mock.rated_at = now
        mock.score = grading.mock_score(
            main, outcomes, {item.position: item.rating for item in main}
        )
        mock.save(update_fields=["rated_at", "score"])
    for item in by_question.values():
        readiness.record_snapshots(request.user, item.question, now)
    messages.success(
        request,
        f"Debrief saved: score {mock.score:.0f}/100. Your ratings now schedule these questions.",
    )
    return redirect("questions:mock_detail", mock_id=mock.pk)


def past_mocks(past: list[MockInterview], now) -> SafeString | None:
    """For the list of mocks: each one's time used (set on it), and the rated ones' scores
    over time as a chart (None until one is rated). `past` is newest first."""
    for mock in past:
        mock.time_used = grading.duration(grading.seconds_used(mock, now))
    rated = [m for m in reversed(past) if m.score is not None]
    if not rated:
        return None
    return charts.score_history(
        [(f"{timezone.localtime(m.started_at):%d %b}", m.name, m.score) for m in rated],
        "Mock interview scores over time",
    )
