"""Timed mock interviews: start, answer under a countdown (autosaved), debrief and rate.

The server holds the start and end times, so a reload keeps the clock; an interview is over
when finished or when its time ran out (derived on read: GET never writes). Ratings given in
the debrief go through the scheduler like any practice review and count for readiness.
"""

from datetime import UTC, timedelta

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from questions import mock as mocks
from questions import readiness, scheduling
from questions.models import Card, MockInterview, MockItem, Profile, Question, Rating, Round

# Autosaves already in flight when the clock hits zero still count.
GRACE = timedelta(seconds=30)
MAX_ANSWER_CHARS = 50_000


def _now():
    return timezone.now().astimezone(UTC)


def _get_mock_for_user(request: HttpRequest, mock_id: int) -> MockInterview:
    return get_object_or_404(
        MockInterview.objects.select_related("round"), pk=mock_id, user=request.user
    )


def _still_visible(request: HttpRequest, items: list[MockItem]) -> tuple[list[MockItem], int]:
    """The items whose question the user may still see, and how many were withdrawn.

    A mock keeps its questions by reference, and another user's shared question can become
    private after the mock began: from then on it is neither shown, answered nor rated here.
    """
    visible = set(
        Question.objects.visible_to(request.user)
        .filter(pk__in=[item.question_id for item in items])
        .values_list("pk", flat=True)
    )
    kept = [item for item in items if item.question_id in visible]
    return kept, len(items) - len(kept)


@require_GET
def mock_list(request: HttpRequest) -> HttpResponse:
    profile = Profile.for_user(request.user)
    rounds = readiness.track_rounds(profile)
    # (value posted, name, format): each round of the track, then the formats within them.
    formats = [(r.slug, r.name, mocks.format_for(r)) for r in rounds]
    slugs = {r.slug for r in rounds}
    formats += [
        (key, fmt.name, fmt) for key, (slug, fmt) in mocks.EXTRA_FORMATS.items() if slug in slugs
    ]
    past = MockInterview.objects.filter(user=request.user).select_related("round")[:50]
    return render(
        request,
        "questions/mock_list.html",
        {"formats": formats, "past": past, "selected": request.GET.get("round", ""), "now": _now()},
    )


@require_POST
def mock_start(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.get("round", "")
    format_key = chosen if chosen in mocks.EXTRA_FORMATS else ""
    slug = mocks.EXTRA_FORMATS[format_key][0] if format_key else chosen
    round_ = Round.objects.filter(slug=slug).first()
    if round_ is None:
        messages.error(request, "Choose a round for the mock interview.")
        return redirect("questions:mock_list")
    mock = mocks.start(request.user, round_, _now(), format_key=format_key)
    if mock is None:
        messages.error(
            request, f"There are no questions in {round_.name} to build a mock from yet."
        )
        return redirect("questions:mock_list")
    return redirect("questions:mock_detail", mock_id=mock.pk)


@require_GET
def mock_detail(request: HttpRequest, mock_id: int) -> HttpResponse:
    mock = _get_mock_for_user(request, mock_id)
    now = _now()
    items, withdrawn = _still_visible(
        request,
        list(
            mock.items.select_related("question", "question__category").prefetch_related(
                "question__rubric_points"
            )
        ),
    )
    over = mock.is_over(now)
    context = {
        "mock": mock,
        "items": items,
        "withdrawn": withdrawn,
        "over": over,
        "format": mocks.format_for(mock.round, mock.format),
        "seconds_left": max(0, int((mock.ends_at - now).total_seconds())),
        "ratings": list(Rating),
    }
    return render(
        request, "questions/mock_debrief.html" if over else "questions/mock_run.html", context
    )


def _locked(mock: MockInterview) -> bool:
    return mock.finished_at is not None or _now() >= mock.ends_at + GRACE


@require_POST
def mock_answer(request: HttpRequest, mock_id: int, position: int) -> HttpResponse:
    mock = _get_mock_for_user(request, mock_id)
    if _locked(mock):
        return HttpResponse("Time is up: answers are locked.", status=409)
    answer = request.POST.get(f"answer-{position}", "")
    if len(answer) > MAX_ANSWER_CHARS:
        return HttpResponse(
            f"Not saved: answers are limited to {MAX_ANSWER_CHARS:,} characters.", status=400
        )
    still_visible = Question.objects.visible_to(request.user)
    if not MockItem.objects.filter(mock=mock, position=position, question__in=still_visible).update(
        answer=answer
    ):
        raise Http404("No such question in this interview")
    return HttpResponse(f"Saved at {timezone.localtime():%H:%M:%S}")


@require_POST
def mock_finish(request: HttpRequest, mock_id: int) -> HttpResponse:
    mock = _get_mock_for_user(request, mock_id)
    now = _now()
    with transaction.atomic():
        mock = MockInterview.objects.select_for_update().get(pk=mock.pk)
        if not _locked(mock):
            for item in _still_visible(request, list(mock.items.all()))[0]:
                answer = request.POST.get(f"answer-{item.position}")
                if answer is not None and len(answer) <= MAX_ANSWER_CHARS and answer != item.answer:
                    item.answer = answer
                    item.save(update_fields=["answer"])
        if mock.finished_at is None:
            mock.finished_at = min(now, mock.ends_at)
            mock.save(update_fields=["finished_at"])
    return redirect("questions:mock_detail", mock_id=mock.pk)


@require_POST
def mock_rate(request: HttpRequest, mock_id: int) -> HttpResponse:
    mock = _get_mock_for_user(request, mock_id)
    now = _now()
    if not mock.is_over(now):
        messages.error(request, "Finish the interview before rating it.")
        return redirect("questions:mock_detail", mock_id=mock.pk)
    items, _ = _still_visible(request, list(mock.items.select_related("question")))
    if not items:
        messages.error(request, "None of this interview's questions is available any more.")
        return redirect("questions:mock_detail", mock_id=mock.pk)
    ratings = {}
    for item in items:
        value = request.POST.get(f"rating-{item.position}", "")
        if value not in {"1", "2", "3", "4"}:
            messages.error(
                request, "Rate every question (Again, Hard, Good or Easy) to finish the debrief."
            )
            return redirect("questions:mock_detail", mock_id=mock.pk)
        ratings[item.position] = int(value)
    retention = Profile.for_user(request.user).desired_retention
    with transaction.atomic():
        mock = MockInterview.objects.select_for_update().get(pk=mock.pk)
        if mock.rated_at is not None:
            messages.info(request, "This interview was already rated.")
            return redirect("questions:mock_detail", mock_id=mock.pk)
        for item in items:
            card = Card.objects.filter(user=request.user, question=item.question).first()
            scheduling.record_review(
                request.user,
                item.question,
                sequence=card.reps if card else 0,
                rating=ratings[item.position],
                now=now,
                desired_retention=retention,
                answer=item.answer,
                outcome={"mock_interview": mock.pk},
            )
            item.rating = ratings[item.position]
            item.save(update_fields=["rating"])
        mock.rated_at = now
        mock.score = mocks.score(list(ratings.values()))
        mock.save(update_fields=["rated_at", "score"])
    for item in items:
        readiness.record_snapshots(request.user, item.question, now)
    messages.success(
        request,
        f"Debrief saved: score {mock.score:.0f}/100. Your ratings now schedule these questions.",
    )
    return redirect("questions:mock_detail", mock_id=mock.pk)
