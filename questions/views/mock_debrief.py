"""A mock interview once it is over: the debrief, and the ratings that schedule its questions."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from questions import mock as mocks
from questions import readiness, scheduling
from questions.models import Card, MockInterview, Profile, Rating
from questions.views.mock_access import get_mock_for_user, now_utc, still_visible


def render_debrief(request: HttpRequest, mock: MockInterview, now) -> HttpResponse:
    items, withdrawn = still_visible(
        request,
        list(
            mock.items.select_related("question", "question__category").prefetch_related(
                "question__rubric_points"
            )
        ),
    )
    context = {
        "mock": mock,
        "items": items,
        "withdrawn": withdrawn,
        "format": mocks.format_for(mock.round, mock.format),
        "ratings": list(Rating),
    }
    return render(request, "questions/mock_debrief.html", context)


@require_POST
def mock_rate(request: HttpRequest, mock_id: int) -> HttpResponse:
    mock = get_mock_for_user(request, mock_id)
    now = now_utc()
    if not mock.is_over(now):
        messages.error(request, "Finish the interview before rating it.")
        return redirect("questions:mock_detail", mock_id=mock.pk)
    items, _ = still_visible(request, list(mock.items.select_related("question")))
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
