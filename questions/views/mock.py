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
from questions import readiness
from questions.models import MockInterview, Profile, Round
from questions.views import mock_debrief, mock_run
from questions.views.mock_access import get_mock_for_user, now_utc


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
        {
            "formats": formats,
            "past": past,
            "selected": request.GET.get("round", ""),
            "now": now_utc(),
        },
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
    mock = mocks.start(request.user, round_, now_utc(), format_key=format_key)
    if mock is None:
        messages.error(
            request, f"There are no questions in {round_.name} to build a mock from yet."
        )
        return redirect("questions:mock_list")
    return redirect("questions:mock_detail", mock_id=mock.pk)


@require_GET
def mock_detail(request: HttpRequest, mock_id: int) -> HttpResponse:
    """The interview while it runs, its debrief once it is over."""
    mock = get_mock_for_user(request, mock_id)
    now = now_utc()
    if mock.is_over(now):
        return mock_debrief.render_debrief(request, mock, now)
    return mock_run.render_run(request, mock, now)
