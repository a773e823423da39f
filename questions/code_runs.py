"""Code runs as queued jobs: the web request enqueues, a runner worker executes, the page polls.

A web worker never waits for user code. `submit` stores a CodeRun and enqueues `execute` on
the task backend (settings.TASKS: the database, drained by `manage.py db_worker` processes on
any machine). Fairness across users:
- each user has at most MAX_PENDING_PER_USER runs queued or running (on top of the per-minute
  throttle), so one user's burst is bounded;
- a run's priority drops with the number its user already has pending, so the queue (highest
  priority first, then oldest) serves every user's first run before anyone's second.

Exactly once: a worker claims a run by moving it from queued to running with the attempt
number it was given, and stores the result only if the run is still at that attempt; so a
task delivered twice, or a slow worker whose run was already retried, records nothing. A
watchdog task, deferred to when the run must have finished, finds runs whose worker died
(still running long after the runner's wall-clock limit): it re-queues them once, then marks
them failed with a message. Queue backends that cannot defer (ImmediateBackend, which runs the
task inside the request) need no watchdog: a run that dies there takes the request with it.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.tasks import default_task_backend
from django.utils import timezone

from questions import review, runner, throttle
from questions.models import Card, CodeRun, Draft, MockItem, Question

logger = logging.getLogger(__name__)

MAX_PENDING_PER_USER = 3
MAX_ATTEMPTS = 2  # the first try and one retry after a worker died
# A run that started longer ago than this has lost its worker: the runner's own wall clock
# (10 s) plus start-up, the report and a generous margin for a loaded machine.
STALE_AFTER = timedelta(seconds=60)
WORKER_DIED = (
    "The runner stopped while running this code, twice. Nothing was recorded: run it again, "
    "and if it keeps happening tell the site's administrator."
)


def submit(
    user, question: Question, code: str, kind: str, mock_item: MockItem | None = None
) -> CodeRun | str:
    """Queue a run of `code`; returns it, or a refusal message (nothing queued).

    A run made in a mock interview belongs to that mock's item and leaves the user's draft alone.
    """
    pending = CodeRun.objects.filter(user=user).pending().count()
    if pending >= MAX_PENDING_PER_USER:
        # Refused before the per-minute count, so a refusal does not spend the user's budget.
        return (
            f"You already have {pending} runs waiting or running. "
            "Wait for one to finish, then try again."
        )
    if refusal := throttle.count_run(user.pk, int(time.time() // 60)):
        return refusal
    run = CodeRun.objects.create(
        user=user, question=question, code=code, kind=kind, mock_item=mock_item
    )
    from questions import tasks  # the task module imports this one

    try:
        tasks.execute_code_run.using(priority=max(-100, -pending)).enqueue(run.pk, 1)
        if default_task_backend.supports_defer:
            _watch(run, after=STALE_AFTER)
    except Exception:
        logger.exception("Could not enqueue code run %s", run.pk)
        CodeRun.objects.filter(pk=run.pk, status=CodeRun.Status.QUEUED).update(
            status=CodeRun.Status.FAILED,
            error="The run could not be queued. Try again in a moment.",
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


def _watch(run: CodeRun, *, after: timedelta) -> None:
    from questions import tasks

    tasks.watch_code_run.using(run_after=timezone.now() + after).enqueue(run.pk)


def execute(run_id: int, attempt: int) -> None:
    """Run one queued CodeRun (the task body). Claims it, runs it, records it, exactly once."""
    now = timezone.now()
    claimed = CodeRun.objects.filter(
        pk=run_id, status=CodeRun.Status.QUEUED, attempts=attempt - 1
    ).update(status=CodeRun.Status.RUNNING, attempts=attempt, started_at=now)
    if not claimed:
        return  # already run, retried elsewhere, or deleted with its user or question
    run = CodeRun.objects.select_related("question").get(pk=run_id)
    question = run.question
    try:
        if run.kind == CodeRun.Kind.CATCH:
            stored = review.check_test(
                question.language, question.starter_code, question.solution_code, run.code,
                complexity=question.complexity,
            ).as_dict()  # fmt: skip
        else:
            only = runner.example_test_names(question.test_code) if run.kind == "run" else None
            result = runner.run(
                question.language, run.code, question.test_code, only=only,
                complexity=question.complexity,
            )  # fmt: skip
            stored = {**result.as_dict(), "stdout": result.stdout, "stderr": result.stderr}
    except runner.RunnerDisabled as exc:
        _finish(run, attempt, status=CodeRun.Status.FAILED, error=str(exc))
        return
    _finish(run, attempt, status=CodeRun.Status.DONE, result=stored)


def result_of(run: CodeRun) -> runner.RunResult | None:
    """A finished Run or Submit's result as the runner reported it (None until it is done)."""
    if run.status != CodeRun.Status.DONE or not run.result or run.kind == CodeRun.Kind.CATCH:
        return None
    stored = run.result
    return runner.RunResult(
        tests=[runner.TestResult(**test) for test in stored["tests"]],
        error=stored["error"],
        stdout=stored.get("stdout", ""),
        stderr=stored.get("stderr", ""),
        wall_ms=stored["wall_ms"],
    )


def catch_of(run: CodeRun) -> review.CatchResult | None:
    """A finished catch run's verdict with both runs (None until it is done)."""
    if run.status != CodeRun.Status.DONE or not run.result or run.kind != CodeRun.Kind.CATCH:
        return None
    return review.CatchResult.from_dict(run.result)


def _finish(run: CodeRun, attempt: int, *, status: str, result=None, error: str = "") -> None:
    with transaction.atomic():
        recorded = CodeRun.objects.filter(
            pk=run.pk, status=CodeRun.Status.RUNNING, attempts=attempt
        ).update(status=status, result=result, error=error, finished_at=timezone.now())
        if not recorded or result is None:
            return
        # The user's latest run, for the practice page's suggested rating and the solved flag;
        # a mock's run is kept on its item (CodeRun.mock_item), not in the practice draft.
        if run.mock_item_id is None:
            latest = {"code_sha": Draft.code_sha(run.code), "result": result}
            if run.kind == CodeRun.Kind.CATCH:
                defaults = {"last_catch": latest}
            else:
                defaults = {"last_run": {"kind": run.kind, **latest}}
            Draft.objects.update_or_create(
                user_id=run.user_id, question_id=run.question_id, defaults=defaults
            )
        # A review question counts as practised once the user's test caught the flaw or their
        # fix passed every test; a coding question once its Submit passed.
        if (run.kind == CodeRun.Kind.SUBMIT and result["all_passed"]) or result.get("caught"):
            card, _ = Card.objects.get_or_create(user_id=run.user_id, question_id=run.question_id)
            if not card.solved:
                card.solved = True
                card.save(update_fields=["solved"])


def watch(run_id: int) -> None:
    """The watchdog (a deferred task): retry a run whose worker died, once; then report it."""
    run = CodeRun.objects.filter(pk=run_id).first()
    if run is None or not run.is_pending:
        return
    now = timezone.now()
    if run.status == CodeRun.Status.QUEUED or run.started_at > now - STALE_AFTER:
        # Still waiting in the queue, or started recently: look again when it must be over.
        since = run.started_at if run.status == CodeRun.Status.RUNNING else now
        _watch(run, after=max(since + STALE_AFTER - now, timedelta(seconds=5)))
        return
    from questions import tasks

    with transaction.atomic():
        stale = CodeRun.objects.filter(
            pk=run.pk, status=CodeRun.Status.RUNNING, attempts=run.attempts
        )
        if run.attempts < MAX_ATTEMPTS:
            if stale.update(status=CodeRun.Status.QUEUED, started_at=None):
                logger.warning("Code run %s lost its worker; retrying it once", run.pk)
                tasks.execute_code_run.enqueue(run.pk, run.attempts + 1)
                _watch(run, after=STALE_AFTER)
        elif stale.update(
            status=CodeRun.Status.FAILED, error=WORKER_DIED, finished_at=timezone.now()
        ):
            logger.error("Code run %s lost its worker twice; reported as failed", run.pk)
