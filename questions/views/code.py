"""Coding questions in the browser: keep the user's draft, Run the examples, Submit all tests."""

import time

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from questions import runner, throttle
from questions.models import Card, Draft, Question
from questions.views.bank import _get_question_for_user, render_question_page

MAX_CODE_CHARS = 50_000


def _get_coding_question(request: HttpRequest, slug: str) -> Question:
    question = _get_question_for_user(request, slug)
    if question.kind != Question.Kind.CODING:
        raise Http404("Not a coding question")
    return question


def _submitted_code(request: HttpRequest) -> str:
    # The question page posts `code`; the practice page posts its answer box, `answer`.
    return request.POST.get("code", request.POST.get("answer", ""))


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
    question = _get_coding_question(request, slug)
    code = _submitted_code(request)
    kind = "submit" if request.POST.get("mode") == "submit" else "run"
    context = {"question": question, "run_kind": kind, "runner_mode": runner.mode()}
    status = 200
    if len(code) > MAX_CODE_CHARS:
        context["run_error"] = f"Code is limited to {MAX_CODE_CHARS:,} characters."
        status = 400
    elif refusal := throttle.start_run(request.user.pk, int(time.time() // 60)):
        context["run_error"] = refusal
        status = 429
    else:
        try:
            status = _run_and_record(request, question, code, kind, context)
        finally:
            throttle.finish_run(request.user.pk)
    if request.htmx:
        return render(request, "questions/question_detail.html#run-results", context, status=status)
    # Without JavaScript: the whole question page, with the results and the code kept.
    return render_question_page(request, question, {**context, "code": code}, status=status)


def _run_and_record(
    request: HttpRequest, question: Question, code: str, kind: str, context: dict
) -> int:
    draft, _ = Draft.objects.get_or_create(user=request.user, question=question)
    draft.code = code
    try:
        only = runner.example_test_names(question.test_code) if kind == "run" else None
        result = runner.run(question.language, code, question.test_code, only=only)
    except runner.RunnerDisabled as exc:
        draft.save(update_fields=["code", "updated_at"])
        context["run_error"] = str(exc)
        return 503
    draft.last_run = {"kind": kind, "code_sha": Draft.code_sha(code), "result": result.as_dict()}
    draft.save()
    context["result"] = result
    if kind == "submit" and result.all_passed:
        card, _ = Card.objects.get_or_create(user=request.user, question=question)
        if not card.solved:
            card.solved = True
            card.save(update_fields=["solved"])
    return 200
