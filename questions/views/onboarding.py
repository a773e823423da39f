"""The welcome steps after sign-up: track, the company's stages with their dates, minutes a day.

Reachable again at /welcome/: a user who already has a loop is offered to add another one.
"Update stages" (or changing the track, with htmx) refills the stages from the bank's loop for
the chosen track and keeps what was typed for the rounds both lists share; it writes nothing.
"""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from questions import loops
from questions.forms_loops import (
    OnboardingForm,
    StageRowFormSet,
    stage_rows_initial,
)
from questions.models import InterviewLoop, Profile, Track
from questions.timezones import profile_for

TEMPLATE = "questions/onboarding.html"
PREFIX = "stages"


@require_http_methods(["GET", "POST"])
def onboarding(request: HttpRequest) -> HttpResponse:
    profile = profile_for(request)
    existing = list(InterviewLoop.objects.filter(user=request.user, archived_at__isnull=True))
    action = request.POST.get("action", "save")
    if request.method == "GET":
        track = profile.track or Track.objects.filter(slug="masters").first()
        form = OnboardingForm(
            initial={
                "track": track,
                "company": "" if existing else loops.DEFAULT_COMPANY,
                "minutes_per_day": profile.minutes_per_day,
            },
            user=request.user,
        )
        formset = StageRowFormSet(
            prefix=PREFIX, initial=stage_rows_initial(loops.default_stages(track))
        )
        return _page(request, form, formset, existing)
    if action == "skip":
        _finish(profile)
        messages.success(request, "You can set up your loop any time from the Loop page.")
        return redirect("home")
    if action == "update":
        return _updated_stages(request, existing)
    form = OnboardingForm(request.POST, user=request.user)
    formset = StageRowFormSet(request.POST, prefix=PREFIX)
    if not (form.is_valid() and formset.is_valid()):
        return _page(request, form, formset, existing, status=400)
    with transaction.atomic():
        profile.track = form.cleaned_data["track"]
        profile.minutes_per_day = form.cleaned_data["minutes_per_day"]
        loop = loops.create_loop(request.user, form.cleaned_data["company"], formset.drafts())
        _finish(profile)
    messages.success(request, f"Saved your {loop.company} loop. Here is what to do today.")
    return redirect("home")


def _finish(profile: Profile) -> None:
    if profile.onboarded_at is None:
        profile.onboarded_at = timezone.now()
    profile.save()


def _updated_stages(request: HttpRequest, existing: list) -> HttpResponse:
    """The stages of the newly chosen track; what was typed for a round in both is kept."""
    track = Track.objects.filter(slug=request.POST.get("track", "")).first()
    typed = {}
    try:
        count = min(int(request.POST.get(f"{PREFIX}-TOTAL_FORMS", 0)), 20)
    except ValueError:
        count = 0
    for i in range(count):
        row = {
            name: request.POST.get(f"{PREFIX}-{i}-{name}", "")
            for name in ("name", "round", "date", "outcome")
        }
        if row["round"]:
            typed.setdefault(row["round"], row)
    rows = []
    for row in stage_rows_initial(loops.default_stages(track)):
        rows.append(typed.get(row["round"], row))
    form = OnboardingForm(
        initial={
            "track": track,
            "company": request.POST.get("company", ""),
            "minutes_per_day": request.POST.get("minutes_per_day", ""),
        },
        user=request.user,
    )
    formset = StageRowFormSet(prefix=PREFIX, initial=rows)
    if request.htmx:
        return render(request, TEMPLATE + "#stages", {"formset": formset})
    return _page(request, form, formset, existing)


def _page(request, form, formset, existing, status: int = 200) -> HttpResponse:
    context = {"form": form, "formset": formset, "existing": existing}
    return render(request, TEMPLATE, context, status=status)
