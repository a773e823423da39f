"""The loop tracker: each of the user's loops with its stages as a timeline, their dates and
outcomes, notes and the questions the user was asked.

Every view that takes an id finds the object through one helper per model (`_get_loop`,
`_get_stage`, `_get_asked`), scoped to the signed-in user: anyone else's id is a 404. Changes
are POSTs; with htmx the loop's card is swapped in place (the page's `loop-card` partial),
without it the browser is sent back to the stage on the full page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from questions import loops
from questions.forms_loops import (
    AskedForm,
    LoopForm,
    NewStageForm,
    PracticeRoundForm,
    RenameLoopForm,
    StageForm,
    same_company,
)
from questions.models import AskedQuestion, InterviewLoop, Round, Stage
from questions.readiness import rounds_of_track
from questions.timezones import profile_for

LIST_TEMPLATE = "questions/loop_list.html"
STATUS_TEXT = {
    "not-scheduled": "Not scheduled",
    "waiting": "Done, waiting to hear",
    "passed": "Passed",
    "failed": "Did not pass",
}


def _get_loop(request: HttpRequest, loop_id: int) -> InterviewLoop:
    return get_object_or_404(InterviewLoop, pk=loop_id, user=request.user)


def _get_stage(request: HttpRequest, stage_id: int) -> Stage:
    queryset = Stage.objects.select_related("loop", "round")
    return get_object_or_404(queryset, pk=stage_id, loop__user=request.user)


def _get_asked(request: HttpRequest, asked_id: int) -> AskedQuestion:
    queryset = AskedQuestion.objects.select_related("stage__loop__user", "stage__round", "question")
    return get_object_or_404(queryset, pk=asked_id, stage__loop__user=request.user)


# --- The tracker ------------------------------------------------------------------------------


@require_GET
def loop_list(request: HttpRequest) -> HttpResponse:
    return _tracker(request)


def _tracker(
    request: HttpRequest,
    *,
    only: InterviewLoop | None = None,
    forms: dict | None = None,
    notice: tuple[str, int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole page, or with htmx only the card of `only`. `forms` replaces the empty
    per-loop or per-stage form with a bound one (to show its errors and keep the text);
    `notice` is ("loop" or "stage", id, text): a message shown in that loop or stage."""
    forms = forms or {}
    today = timezone.localdate()
    queryset = loops.loops_for(request.user)
    if only is not None and request.htmx:
        queryset = queryset.filter(pk=only.pk)
    active, archived = [], []
    for item in queryset:
        (archived if item.archived_at else active).append(item)
        _decorate(item, today, forms, notice)
    context = {
        "rounds": list(Round.objects.all()),
        "placeholder_answer": loops.ANSWER_PLACEHOLDER,
    }
    track_rounds = rounds_of_track(profile_for(request).track)
    context["default_round"] = track_rounds[0] if track_rounds else None
    if only is not None and request.htmx:
        if only.archived_at is None and active:
            context["item"] = active[0]
            return render(request, LIST_TEMPLATE + "#loop-card", context, status=status)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("questions:loops")
        return response
    context |= {"active": active, "archived": archived}
    return render(request, LIST_TEMPLATE, context, status=status)


def _decorate(item: InterviewLoop, today, forms: dict, notice) -> None:
    """What the template shows for a loop and each of its stages."""
    stages = list(item.stages.all())
    item.stage_list = stages
    item.next = loops.next_stage(stages)
    item.notice = notice[2] if notice and notice[:2] == ("loop", item.pk) else ""
    item.rename_form = forms.get(("rename", item.pk)) or RenameLoopForm(
        initial={"company": item.company}, loop=item, prefix=f"loop{item.pk}"
    )
    for stage in stages:
        stage.date_text = _date_text(stage.date, today)
        stage.when = loops.when(stage.date, today)
        if stage.status == "scheduled":
            stage.status_text = f"Scheduled for {stage.date_text}"
        else:
            stage.status_text = STATUS_TEXT[stage.status]
        stage.asked_form = forms.get(("asked", stage.pk)) or AskedForm(prefix=f"stage{stage.pk}")
        stage.notice = notice[2] if notice and notice[:2] == ("stage", stage.pk) else ""


def _date_text(date, today) -> str:
    if date is None:
        return ""
    return dateformat.format(date, "j M" if date.year == today.year else "j M Y")


def _done(
    request: HttpRequest, loop: InterviewLoop, message: str, stage: Stage | None = None
) -> HttpResponse:
    """After a change: the loop's card again (htmx), or back to the page at the stage."""
    if request.htmx:
        notice = ("stage", stage.pk, message) if stage else ("loop", loop.pk, message)
        return _tracker(request, only=loop, notice=notice)
    messages.success(request, message)
    url = reverse("questions:loops")
    return redirect(f"{url}#stage-{stage.pk}" if stage else f"{url}#loop-{loop.pk}")


# --- Loops ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def loop_new(request: HttpRequest) -> HttpResponse:
    form = LoopForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        stages = []
        if form.cleaned_data["start"] == "bank":
            stages = loops.default_stages(profile_for(request).track)
        loop = loops.create_loop(request.user, form.cleaned_data["company"], stages)
        messages.success(request, f"Added the {loop.company} loop.")
        return redirect(f"{reverse('questions:loops')}#loop-{loop.pk}")
    status = 400 if form.errors else 200
    return render(request, "questions/loop_new.html", {"form": form}, status=status)


@require_POST
def loop_rename(request: HttpRequest, loop_id: int) -> HttpResponse:
    loop = _get_loop(request, loop_id)
    form = RenameLoopForm(request.POST, loop=loop, prefix=f"loop{loop.pk}")
    if not form.is_valid():
        return _tracker(request, only=loop, forms={("rename", loop.pk): form}, status=400)
    old = loop.company
    loop.company = form.cleaned_data["company"]
    loop.save(update_fields=["company"])
    return _done(request, loop, f"Renamed {old} to {loop.company}.")


@require_POST
def loop_archive(request: HttpRequest, loop_id: int) -> HttpResponse:
    loop = _get_loop(request, loop_id)
    if request.POST.get("archive") == "0":
        if same_company(request.user.pk, loop.company, exclude=loop):
            messages.error(
                request,
                f"You already have an active {loop.company} loop: rename or archive it first.",
            )
            return redirect(f"{reverse('questions:loops')}#loop-{loop.pk}")
        loop.archived_at = None
        message = f"The {loop.company} loop is active again."
    else:
        loop.archived_at = loop.archived_at or timezone.now()
        message = f"Archived the {loop.company} loop: it no longer counts for your plan."
    loop.save(update_fields=["archived_at"])
    messages.success(request, message)
    return redirect(f"{reverse('questions:loops')}#loop-{loop.pk}")


@require_http_methods(["GET", "POST"])
def loop_delete(request: HttpRequest, loop_id: int) -> HttpResponse:
    loop = _get_loop(request, loop_id)
    if request.method == "POST":
        loop.delete()
        messages.success(request, f"Deleted the {loop.company} loop and its stages.")
        return redirect("questions:loops")
    context = {
        "what": f"the {loop.company} loop",
        "consequence": (
            f"Its {loop.stages.count()} stages, their notes and the questions you wrote down "
            "as asked are deleted. Practice questions made from them stay in My questions."
        ),
        "action": reverse("questions:loop_delete", args=[loop.pk]),
        "button": "Delete the loop",
    }
    return render(request, "questions/loop_confirm_delete.html", context)


# --- Stages -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def stage_new(request: HttpRequest, loop_id: int) -> HttpResponse:
    loop = _get_loop(request, loop_id)
    form = NewStageForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        stage = loops.add_stage(loop, form.save(commit=False))
        messages.success(request, f"Added the stage “{stage.name}”.")
        return redirect(f"{reverse('questions:loops')}#stage-{stage.pk}")
    context = {"form": form, "loop": loop, "stage": None}
    return render(
        request, "questions/loop_stage_form.html", context, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def stage_edit(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _get_stage(request, stage_id)
    form = StageForm(request.POST if request.method == "POST" else None, instance=stage)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved the stage “{stage.name}”.")
        return redirect(f"{reverse('questions:loops')}#stage-{stage.pk}")
    context = {"form": form, "loop": stage.loop, "stage": stage}
    return render(
        request, "questions/loop_stage_form.html", context, status=400 if form.errors else 200
    )


@require_POST
def stage_move(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _get_stage(request, stage_id)
    step = -1 if request.POST.get("direction") == "up" else 1
    moved = loops.move_stage(stage, step)
    where = "up" if step < 0 else "down"
    message = f"Moved “{stage.name}” {where}." if moved else f"“{stage.name}” is already there."
    return _done(request, stage.loop, message, stage)


@require_http_methods(["GET", "POST"])
def stage_delete(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _get_stage(request, stage_id)
    if request.method == "POST":
        stage.delete()
        messages.success(request, f"Deleted the stage “{stage.name}”.")
        return redirect(f"{reverse('questions:loops')}#loop-{stage.loop_id}")
    context = {
        "what": f"the stage “{stage.name}” of the {stage.loop.company} loop",
        "consequence": (
            "Its notes and the questions you wrote down as asked are deleted. Practice "
            "questions made from them stay in My questions."
        ),
        "action": reverse("questions:stage_delete", args=[stage.pk]),
        "button": "Delete the stage",
    }
    return render(request, "questions/loop_confirm_delete.html", context)


# --- Questions I was asked --------------------------------------------------------------------


@require_POST
def asked_add(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _get_stage(request, stage_id)
    form = AskedForm(request.POST, prefix=f"stage{stage.pk}")
    if not form.is_valid():
        return _tracker(request, only=stage.loop, forms={("asked", stage.pk): form}, status=400)
    AskedQuestion.objects.create(stage=stage, text=form.cleaned_data["text"])
    return _done(request, stage.loop, "Added the question you were asked.", stage)


@require_POST
def asked_practice(request: HttpRequest, asked_id: int) -> HttpResponse:
    asked = _get_asked(request, asked_id)
    stage = asked.stage
    form = PracticeRoundForm(request.POST)
    chosen = form.cleaned_data.get("round") if form.is_valid() else None
    try:
        question, made = loops.make_practice_question(
            asked, chosen_round=chosen, track=profile_for(request).track
        )
    except loops.PracticeQuestionError as exc:
        return _refused(request, stage, str(exc))
    if made:
        message = (
            f"Made “{question.title}” a private practice question. Its answer is a "
            "placeholder: edit it to write yours."
        )
    else:
        message = f"It is already in your questions: “{question.title}”."
    return _done(request, stage.loop, message, stage)


@require_POST
def asked_delete(request: HttpRequest, asked_id: int) -> HttpResponse:
    asked = _get_asked(request, asked_id)
    asked.delete()
    return _done(request, asked.stage.loop, "Removed the question.", asked.stage)


def _refused(request: HttpRequest, stage: Stage, message: str) -> HttpResponse:
    if request.htmx:
        return _tracker(request, only=stage.loop, notice=("stage", stage.pk, message), status=400)
    messages.error(request, message)
    return redirect(f"{reverse('questions:loops')}#stage-{stage.pk}")
