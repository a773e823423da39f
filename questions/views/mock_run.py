"""A mock interview while it runs: one main question on screen, moving between questions (the
server keeps the time on each), autosave of every kind of answer, follow-ups, Run/Submit inside
the mock, finish.

Every write is a POST from the one form on the page, so the page works without JavaScript (each
button posts the form and the view redirects back); with htmx the same posts swap the question
region, a results block or a save status instead.
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from questions import code_runs, mock_session, runner
from questions import mock as mocks
from questions.models import CodeRun, MockInterview, MockItem, Question
from questions.views.code import requested_kind, results_template, run_state
from questions.views.mock_access import GRACE, get_mock_for_user, now_utc, still_visible

TEMPLATE = "questions/mock_run.html"
LOCKED = "Time is up: answers are locked."


def _items(request: HttpRequest, mock: MockInterview) -> list[MockItem]:
    items = mock.items.select_related("question", "round").prefetch_related("question__choices")
    return still_visible(request, list(items))


def _strip(mock: MockInterview, mains: list[MockItem], current: MockItem | None) -> list[dict]:
    """The progress strip: numbered main questions, grouped by round in an onsite."""
    groups: list[dict] = []
    for number, item in enumerate(mains, start=1):
        name = (item.round or mock.round).name if mock.format == mocks.ONSITE else ""
        if not groups or groups[-1]["name"] != name:
            groups.append({"name": name, "entries": []})
        groups[-1]["entries"].append(
            {
                "number": number,
                "item": item,
                "current": item is current,
                "answered": mock_session.is_answered(item),
            }
        )
    return groups


def _run_block(run: CodeRun | None, kind: str) -> dict:
    """What the shared results partials need to show `run`, or that nothing ran yet."""
    return run_state(run) if run else {"run": None, "run_kind": kind}


def clock(seconds: int) -> str:
    """m:ss, or h:mm:ss from an hour (an onsite runs for hours), as static/js/mock.js shows it."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def run_context(request: HttpRequest, mock: MockInterview, now) -> dict:
    items, withdrawn = _items(request, mock)
    mains = mocks.main_items(items)
    current = next((i for i in mains if i.position == mock.current_position), None)
    if current is None and mains:
        current = mains[0]  # the question on screen left the interview: show the first one
    index = mains.index(current) if current else 0
    follow_ups = mocks.follow_ups_by_parent(items).get(current.pk, []) if current else []
    seconds_left = max(0, int((mock.ends_at - now).total_seconds()))
    seconds_on = mocks.seconds_on(current, mock, now) if current else 0
    context = {
        "mock": mock,
        "format": mocks.format_for(mock.round, mock.format),
        "seconds_left": seconds_left,
        "time_left": clock(seconds_left),
        "seconds_on": seconds_on,
        "time_on": clock(seconds_on),
        "withdrawn": withdrawn,
        "strip": _strip(mock, mains, current),
        "total": len(mains),
        "number": index + 1,
        "current": current,
        "current_round": (current.round or mock.round) if current else None,
        "is_onsite": mock.format == mocks.ONSITE,
        "previous": mains[index - 1] if current and index > 0 else None,
        "next": mains[index + 1] if current and index + 1 < len(mains) else None,
        "follow_ups": follow_ups,
        "runner_mode": runner.mode(),
    }
    if current and current.question.kind == Question.Kind.DESIGN:
        context["sections"] = [
            (key, heading, current.sections.get(key, "")) for key, heading in mocks.DESIGN_SECTIONS
        ]
    if current and current.question.is_runnable:
        # The last Run or Submit (and catch) made on this question, so a reload shows them.
        runs = CodeRun.objects.filter(mock_item=current).order_by("-created_at", "-pk")
        context["fix_run"] = _run_block(runs.exclude(kind=CodeRun.Kind.CATCH).first(), "run")
        if current.question.kind == Question.Kind.REVIEW:
            context["catch_run"] = _run_block(runs.filter(kind=CodeRun.Kind.CATCH).first(), "catch")
    return context


def render_run(request: HttpRequest, mock: MockInterview, now, status: int = 200) -> HttpResponse:
    template = f"{TEMPLATE}#run" if request.htmx else TEMPLATE
    return render(request, template, run_context(request, mock, now), status=status)


def _locked(mock: MockInterview, now) -> bool:
    """Answers are taken until the clock ran out, plus GRACE for saves already on their way."""
    return mock.finished_at is not None or now >= mock.ends_at + GRACE


def _get_item(request: HttpRequest, mock: MockInterview, position: int) -> MockItem:
    """The item at `position` if the user may see it now (a follow-up once it was asked)."""
    item = (
        MockItem.objects.select_related("question", "follow_up_of")
        .filter(
            mock=mock,
            position=position,
            question__in=Question.objects.visible_to(request.user),
        )
        .first()
    )
    if item is None or (item.follow_up_of and item.follow_up_of.follow_ups_shown_at is None):
        raise Http404("No such question in this interview")
    return item


def _save_all(request: HttpRequest, mock: MockInterview) -> str:
    """Save what the form posted for every item the user may see; a message if one failed
    (that item keeps what it had, the others are saved)."""
    failed = ""
    for item in still_visible(request, list(mock.items.select_related("question")))[0]:
        try:
            mock_session.save_posted(item, request.POST)
        except mock_session.AnswerError as error:
            failed = failed or str(error)
    return failed


def _back(request: HttpRequest, mock: MockInterview, fragment: str = "") -> HttpResponse:
    url = reverse("questions:mock_detail", args=[mock.pk]) + fragment
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _refused(request: HttpRequest, mock: MockInterview, message: str, status: int):
    """A move or reveal that cannot be done: the message, and nothing on the page lost."""
    if request.htmx:
        return retarget(reswap(HttpResponse(message, status=status), "innerHTML"), "#mock-error")
    messages.error(request, message)
    return _back(request, mock)


@require_POST
def mock_answer(request: HttpRequest, mock_id: int, position: int) -> HttpResponse:
    """Autosave: the posted fields of the item at `position` (the form posts them all)."""
    mock = get_mock_for_user(request, mock_id)
    item = _get_item(request, mock, position)
    if _locked(mock, now_utc()):
        return HttpResponse(LOCKED, status=409)
    try:
        mock_session.save_posted(item, request.POST)
    except mock_session.AnswerError as error:
        return HttpResponse(str(error), status=400)
    return HttpResponse(f"Saved at {timezone.localtime():%H:%M:%S}")


@require_POST
def mock_move(request: HttpRequest, mock_id: int) -> HttpResponse:
    """Previous, Next or a step of the strip: save the question being left, then move."""
    mock = get_mock_for_user(request, mock_id)
    now = now_utc()
    items = still_visible(request, list(mock.items.filter(follow_up_of__isnull=True)))[0]
    to = request.POST.get("to", "")
    if not to.isdigit() or int(to) not in {item.position for item in items}:
        raise Http404("No such question in this interview")
    if _locked(mock, now):
        return _refused(request, mock, LOCKED, 409)
    if error := _save_all(request, mock):
        return _refused(request, mock, error, 400)
    if mock.is_over(now):  # the clock ran out while the answers were on their way
        return _back(request, mock)
    mock = mock_session.move_to(mock, int(to), now)
    if request.htmx:
        return render_run(request, mock, now)
    return redirect("questions:mock_detail", mock_id=mock.pk)


@require_POST
def mock_follow_ups(request: HttpRequest, mock_id: int, position: int) -> HttpResponse:
    """ "Ask me the follow-up questions": show the follow-ups of the main question at `position`."""
    mock = get_mock_for_user(request, mock_id)
    now = now_utc()
    item = _get_item(request, mock, position)
    if item.follow_up_of_id is not None or not item.follow_ups.exists():
        raise Http404("This question has no follow-up questions")
    if _locked(mock, now):
        return _refused(request, mock, LOCKED, 409)
    if error := _save_all(request, mock):
        return _refused(request, mock, error, 400)
    if item.follow_ups_shown_at is None:
        MockItem.objects.filter(pk=item.pk, follow_ups_shown_at__isnull=True).update(
            follow_ups_shown_at=now
        )
    if request.htmx and not mock.is_over(now) and mock.current_position == position:
        return render(request, f"{TEMPLATE}#follow-ups", run_context(request, mock, now))
    return _back(request, mock, f"#follow-ups-{position}")


@require_POST
def mock_run_code(request: HttpRequest, mock_id: int, position: int) -> HttpResponse:
    """Run (examples), Submit (all tests) or check a catching test, inside the mock: the code is
    saved on the item and the run belongs to it; the user's practice draft is left alone."""
    mock = get_mock_for_user(request, mock_id)
    now = now_utc()
    item = _get_item(request, mock, position)
    question = item.question
    if item.follow_up_of_id is not None or not question.is_runnable:
        raise Http404("Not a coding question of this interview")
    kind = requested_kind(request, question)
    context = {"question": question, "run_kind": kind, "runner_mode": runner.mode()}
    status = 200
    if _locked(mock, now):
        context["run_error"], status = LOCKED, 409
    else:
        try:
            mock_session.save_posted(item, request.POST)
        except mock_session.AnswerError as error:
            context["run_error"], status = str(error), 400
    if status == 200:
        code = item.test_code if kind == CodeRun.Kind.CATCH else item.code
        if not code.strip():
            code = question.starter_code if kind != CodeRun.Kind.CATCH else ""
        if runner.mode() not in {"bwrap", "subprocess"}:
            context["run_error"], status = "Running code is turned off on this server.", 503
        elif not code.strip():
            context["run_error"], status = "Write a test first, then check it.", 400
        elif isinstance(outcome := code_runs.submit(request.user, question, code, kind, item), str):
            context["run_error"], status = outcome, 429
        else:
            context.update(run_state(outcome))
    if request.htmx:
        return render(request, results_template(kind), context, status=status)
    if status != 200:
        messages.error(request, context["run_error"])
    anchor = "#catch-results" if kind == CodeRun.Kind.CATCH else "#run-results"
    return _back(request, mock, anchor)


@require_POST
def mock_finish(request: HttpRequest, mock_id: int) -> HttpResponse:
    """Finish (or the clock reached zero): keep what the form posted, close the open interval."""
    mock = get_mock_for_user(request, mock_id)
    now = now_utc()
    with transaction.atomic():
        mock = MockInterview.objects.select_for_update().get(pk=mock.pk)
        if not _locked(mock, now) and (error := _save_all(request, mock)):
            messages.warning(request, f"{error} The rest of your answers were kept.")
        mock_session.finish(mock, now)
    return redirect("questions:mock_detail", mock_id=mock.pk)
