"""Coding questions in the browser: keep the user's draft; Run the examples or Submit all tests
as a queued job (questions/code_runs.py) whose result the page polls for."""

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from questions import code_runs, runner
from questions.models import CodeRun, Draft, Question
from questions.views.bank import _get_question_for_user, render_question_page

MAX_CODE_CHARS = 50_000
RUN_RESULTS = "questions/question_detail.html#run-results"
# After this long without a result the page says the runners are busy (or none is running).
SLOW_RUN = timedelta(seconds=15)


def _get_coding_question(request: HttpRequest, slug: str) -> Question:
    question = _get_question_for_user(request, slug)
    if question.kind != Question.Kind.CODING:
        raise Http404("Not a coding question")
    return question


def _get_run_for_user(request: HttpRequest, run_id: int) -> CodeRun:
    run = get_object_or_404(
        CodeRun.objects.select_related("question"), pk=run_id, user=request.user
    )
    _get_coding_question(request, run.question.slug)  # the question may have become private
    return run


def _submitted_code(request: HttpRequest) -> str:
    # The question page posts `code`; the practice page posts its answer box, `answer`.
    return request.POST.get("code", request.POST.get("answer", ""))


def _run_context(run: CodeRun) -> dict:
    return {
        "question": run.question,
        "run": run,
        "run_kind": run.kind,
        "result": code_runs.result_of(run),
        "run_waiting_long": run.is_pending and timezone.now() - run.created_at > SLOW_RUN,
        "runner_mode": runner.mode(),
    }


@require_POST
def save_draft(request: HttpRequest, slug: str) -> HttpResponse:
    question = _get_coding_question(request, slug)
    code = _submitted_code(request)
    if len(code) > MAX_CODE_CHARS:
        return HttpResponse(
            f"Not saved: code is limited to {MAX_CODE_CHARS:,} characters.", status=400
        )
    Draft.objects.update_or_create(user=request.user, question=question, defaults={"code": code})
    return HttpResponse("Draft saved.")


@require_POST
def run_code(request: HttpRequest, slug: str) -> HttpResponse:
    """Queue a Run or Submit and answer at once: with the result if a worker was quicker than
    this response (or tasks run in the request), else with a block that polls for it."""
    question = _get_coding_question(request, slug)
    code = _submitted_code(request)
    kind = CodeRun.Kind.SUBMIT if request.POST.get("mode") == "submit" else CodeRun.Kind.RUN
    context = {"question": question, "run_kind": kind, "runner_mode": runner.mode()}
    status = 200
    if len(code) > MAX_CODE_CHARS:
        context["run_error"] = f"Code is limited to {MAX_CODE_CHARS:,} characters."
        status = 400
    else:
        # The code is kept as the draft whatever happens to the run.
        Draft.objects.update_or_create(
            user=request.user, question=question, defaults={"code": code}
        )
        if runner.mode() not in {"bwrap", "subprocess"}:
            context["run_error"] = "Running code is turned off on this server."
            status = 503
        elif isinstance(outcome := code_runs.submit(request.user, question, code, kind), str):
            context["run_error"] = outcome
            status = 429
        else:
            context = _run_context(outcome)
            if outcome.is_pending and not request.htmx:
                # Without JavaScript: a page that refreshes itself until the result is in.
                return redirect("questions:run_status", run_id=outcome.pk)
    if request.htmx:
        return render(request, RUN_RESULTS, context, status=status)
    # Without JavaScript: the whole question page, with the results and the code kept.
    return render_question_page(request, question, {**context, "code": code}, status=status)


@require_GET
def run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    """A run's state: the polled block (htmx), or a page that refreshes until it is done."""
    run = _get_run_for_user(request, run_id)
    context = _run_context(run)
    if request.htmx:
        return render(request, RUN_RESULTS, context)
    return render(request, "questions/code_run.html", context)
