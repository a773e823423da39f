"""Coding and review questions in the browser: keep the user's draft; Run the examples, Submit
all tests, or (review questions) check a test against the flawed code, each as a queued job
(questions/code_runs.py) whose result the page polls for."""

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
CATCH_RESULTS = "questions/question_detail.html#catch-results"
# After this long without a result the page says the runners are busy (or none is running).
SLOW_RUN = timedelta(seconds=15)


def _get_coding_question(request: HttpRequest, slug: str) -> Question:
    question = _get_question_for_user(request, slug)
    if not question.is_runnable:
        raise Http404("Not a coding or review question")
    return question


def _get_run_for_user(request: HttpRequest, run_id: int) -> CodeRun:
    run = get_object_or_404(
        CodeRun.objects.select_related("question"), pk=run_id, user=request.user
    )
    _get_coding_question(request, run.question.slug)  # the question may have become private
    return run


def _submitted_code(request: HttpRequest, kind: str = CodeRun.Kind.RUN) -> str:
    if kind == CodeRun.Kind.CATCH:
        return request.POST.get("test_code", "")
    # The question page posts `code`; the practice page posts its answer box, `answer` (or,
    # for a review question, whose answer box holds the explanation, `code`).
    return request.POST.get("code", request.POST.get("answer", ""))


def requested_kind(request: HttpRequest, question: Question) -> str:
    """Run, Submit or (review questions) catch, from the posted `mode`."""
    mode = request.POST.get("mode")
    if mode == "catch" and question.kind == Question.Kind.REVIEW:
        return CodeRun.Kind.CATCH
    return CodeRun.Kind.SUBMIT if mode == "submit" else CodeRun.Kind.RUN


def results_template(kind: str) -> str:
    """The shared block that shows a run of `kind` (polled while it waits)."""
    return CATCH_RESULTS if kind == CodeRun.Kind.CATCH else RUN_RESULTS


def run_state(run: CodeRun) -> dict:
    """What the shared results blocks need to show `run`: its result or catch verdict, and
    whether it has waited long enough to say the runners are busy."""
    return {
        "run": run,
        "run_kind": run.kind,
        "result": code_runs.result_of(run),
        "catch": code_runs.catch_of(run),
        "run_waiting_long": run.is_pending and timezone.now() - run.created_at > SLOW_RUN,
    }


def _run_context(run: CodeRun) -> dict:
    return {"question": run.question, **run_state(run), "runner_mode": runner.mode()}


@require_POST
def save_draft(request: HttpRequest, slug: str) -> HttpResponse:
    """Autosave of the code box, or of a review question's test box (`test_code`)."""
    question = _get_coding_question(request, slug)
    is_test = "test_code" in request.POST and question.kind == Question.Kind.REVIEW
    field = "test_code" if is_test else "code"
    code = _submitted_code(request, CodeRun.Kind.CATCH if is_test else CodeRun.Kind.RUN)
    if len(code) > MAX_CODE_CHARS:
        return HttpResponse(
            f"Not saved: code is limited to {MAX_CODE_CHARS:,} characters.", status=400
        )
    Draft.objects.update_or_create(user=request.user, question=question, defaults={field: code})
    return HttpResponse("Test saved." if is_test else "Draft saved.")


@require_POST
def run_code(request: HttpRequest, slug: str) -> HttpResponse:
    """Queue a Run or Submit and answer at once: with the result if a worker was quicker than
    this response (or tasks run in the request), else with a block that polls for it."""
    question = _get_coding_question(request, slug)
    kind = requested_kind(request, question)
    code = _submitted_code(request, kind)
    context = {"question": question, "run_kind": kind, "runner_mode": runner.mode()}
    status = 200
    if len(code) > MAX_CODE_CHARS:
        context["run_error"] = f"Code is limited to {MAX_CODE_CHARS:,} characters."
        status = 400
    else:
        # The code is kept as the draft whatever happens to the run.
        field = "test_code" if kind == CodeRun.Kind.CATCH else "code"
        Draft.objects.update_or_create(user=request.user, question=question, defaults={field: code})
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
        return render(request, results_template(kind), context, status=status)
    # Without JavaScript: the whole question page, with the results and the code kept.
    kept = {"test_code": code} if kind == CodeRun.Kind.CATCH else {"code": code}
    return render_question_page(request, question, {**context, **kept}, status=status)


@require_GET
def run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    """A run's state: the polled block (htmx), or a page that refreshes until it is done."""
    run = _get_run_for_user(request, run_id)
    context = _run_context(run)
    if request.htmx:
        return render(request, results_template(run.kind), context)
    return render(request, "questions/code_run.html", context)
