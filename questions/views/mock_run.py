"""A mock interview while it runs: the question on screen, autosave, finish."""

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from questions import mock as mocks
from questions.models import MockInterview, MockItem, Question, Rating
from questions.views.mock_access import (
    GRACE,
    MAX_ANSWER_CHARS,
    get_mock_for_user,
    now_utc,
    still_visible,
)


def render_run(request: HttpRequest, mock: MockInterview, now) -> HttpResponse:
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
        "seconds_left": max(0, int((mock.ends_at - now).total_seconds())),
        "ratings": list(Rating),
    }
    return render(request, "questions/mock_run.html", context)


def _locked(mock: MockInterview) -> bool:
    return mock.finished_at is not None or now_utc() >= mock.ends_at + GRACE


@require_POST
def mock_answer(request: HttpRequest, mock_id: int, position: int) -> HttpResponse:
    mock = get_mock_for_user(request, mock_id)
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
    mock = get_mock_for_user(request, mock_id)
    now = now_utc()
    with transaction.atomic():
        mock = MockInterview.objects.select_for_update().get(pk=mock.pk)
        if not _locked(mock):
            for item in still_visible(request, list(mock.items.all()))[0]:
                answer = request.POST.get(f"answer-{item.position}")
                if answer is not None and len(answer) <= MAX_ANSWER_CHARS and answer != item.answer:
                    item.answer = answer
                    item.save(update_fields=["answer"])
        if mock.finished_at is None:
            mock.finished_at = min(now, mock.ends_at)
            mock.save(update_fields=["finished_at"])
    return redirect("questions:mock_detail", mock_id=mock.pk)
