"""Timed mock interviews: start, answer under a countdown (autosaved), debrief and rate.

The server holds the start and end times, so a reload keeps the clock; an interview is over
when finished or when its time ran out (derived on read: GET never writes). Ratings given in
the debrief go through the scheduler like any practice review and count for readiness.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from questions import mock as mocks
from questions.models import MockInterview
from questions.timezones import profile_for
from questions.views import mock_debrief, mock_run
from questions.views.mock_access import get_mock_for_user, now_utc


@require_GET
def mock_list(request: HttpRequest) -> HttpResponse:
    profile = profile_for(request)
    past = list(MockInterview.objects.filter(user=request.user).select_related("round")[:50])
    now = now_utc()
    return render(
        request,
        "questions/mock_list.html",
        {
            "formats": mocks.mock_options(profile),
            "past": past,
            "score_chart": mock_debrief.past_mocks(past, now),
            "selected": request.GET.get("round", ""),
            "now": now,
        },
    )


@require_POST
def mock_start(request: HttpRequest) -> HttpResponse:
    profile = profile_for(request)
    started = mocks.start_from_choice(
        request.user, request.POST.get("round", ""), profile, now_utc()
    )
    if isinstance(started, str):
        messages.error(request, started)
        return redirect("questions:mock_list")
    return redirect("questions:mock_detail", mock_id=started.pk)


@require_GET
def mock_detail(request: HttpRequest, mock_id: int) -> HttpResponse:
    """The interview while it runs, its debrief once it is over."""
    mock = get_mock_for_user(request, mock_id)
    now = now_utc()
    if mock.is_over(now):
        return mock_debrief.render_debrief(request, mock, now)
    return mock_run.render_run(request, mock, now)
