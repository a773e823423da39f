"""Code runs as queued jobs (questions/code_runs.py) on the database task backend: enqueued by
the web request, finished by a worker, exactly once; retried once when a worker dies, then
reported; fair across users; and usable without JavaScript."""

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from questions import code_runs, runner
from questions.models import Card, CodeRun, Draft
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db

RIGHT = "def double(x):\n    return 2 * x\n"
WRONG = "def double(x):\n    return x + 2\n"
TESTS = (
    "def test_example():\n    assert double(2) == 4\n\n"
    "def test_negative():\n    assert double(-3) == -6\n"
)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def queued(settings):
    """The production set-up: tasks wait in the database for a worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The sandbox has its own tests; here any real runner will do, and this one needs nothing.
    settings.PREP_CODE_RUNNER = "subprocess"


@pytest.fixture(autouse=True)
def question(db):
    seed_loop()
    return make_question(
        slug="double-it", category="coding", rounds=["coding"], kind="coding",
        language="python", starter="def double(x):\n    pass\n", solution=RIGHT, tests=TESTS,
    )  # fmt: skip


def work_off_the_queue() -> None:
    """One worker runs every task that is due, then stops (as `db_worker --batch` does).

    The worker closes connections it finds outside autocommit, which a test's transaction is:
    that recovery is for a long-lived worker process, not for one sharing this test's."""
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        _one_worker().run()


def _one_worker() -> Worker:
    return Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )  # fmt: skip


def post_run(client, code, mode="submit", **headers):
    return client.post(
        reverse("questions:run", args=["double-it"]), {"code": code, "mode": mode}, headers=headers
    )


def test_a_run_is_queued_by_the_request_and_finished_by_a_worker(alice_client, alice):
    response = post_run(alice_client, RIGHT, **HTMX)
    html = response.content.decode()
    run = CodeRun.objects.get(user=alice)
    assert run.status == "queued" and "Queued" in html
    status_url = reverse("questions:run_status", args=[run.pk])
    assert f'hx-get="{status_url}"' in html and 'hx-trigger="load delay:500ms"' in html
    assert Draft.objects.get(user=alice).code == RIGHT  # kept at once, before any worker

    still = alice_client.get(status_url, headers=HTMX).content.decode()
    assert "Queued" in still and not Card.objects.filter(solved=True).exists()

    work_off_the_queue()
    run.refresh_from_db()
    assert (run.status, run.attempts, run.result["all_passed"]) == ("done", 1, True)
    done = alice_client.get(status_url, headers=HTMX).content.decode()
    assert "All tests: 2 of 2 passed" in done and "hx-get" not in done  # polling stops
    assert Card.objects.get(user=alice).solved
    assert Draft.objects.get(user=alice).last_run["kind"] == "submit"


def test_a_failing_submit_shows_the_failure_and_does_not_solve(alice_client, alice):
    post_run(alice_client, WRONG, **HTMX)
    work_off_the_queue()
    run = CodeRun.objects.get(user=alice)
    html = alice_client.get(reverse("questions:run_status", args=[run.pk]), headers=HTMX)
    assert "All tests: 1 of 2 passed" in html.content.decode()
    assert not Card.objects.filter(user=alice, solved=True).exists()


def test_a_job_delivered_twice_records_once(alice, question):
    run = code_runs.submit(alice, question, RIGHT, "submit")
    code_runs.execute(run.pk, 1)
    run.refresh_from_db()
    finished_at = run.finished_at
    code_runs.execute(run.pk, 1)  # the same task again: nothing to claim
    run.refresh_from_db()
    assert (run.status, run.attempts, run.finished_at) == ("done", 1, finished_at)


def _worker_died_while_running(run: CodeRun) -> None:
    """What a SIGKILLed worker leaves behind: the run and its task marked running, long ago."""
    long_ago = timezone.now() - code_runs.STALE_AFTER - timedelta(seconds=1)
    CodeRun.objects.filter(pk=run.pk).update(
        status="running", attempts=run.attempts + 1, started_at=long_ago
    )
    DBTaskResult.objects.filter(status="READY", task_path__endswith="execute_code_run").update(
        status="RUNNING", started_at=long_ago
    )


def test_a_killed_workers_job_is_retried_once_then_reported(alice_client, alice, question):
    run = code_runs.submit(alice, question, RIGHT, "submit")
    watchdog = DBTaskResult.objects.get(task_path__endswith="watch_code_run")
    assert watchdog.run_after >= timezone.now() + code_runs.STALE_AFTER - timedelta(seconds=5)

    _worker_died_while_running(run)
    code_runs.watch(run.pk)  # the watchdog, when its time comes
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("queued", 1)
    _worker_died_while_running(run)  # the retry's worker dies too
    code_runs.watch(run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == ("failed", 2, code_runs.WORKER_DIED)
    html = alice_client.get(reverse("questions:run_status", args=[run.pk]), headers=HTMX)
    assert "The runner stopped while running this code" in html.content.decode()
    assert "hx-get" not in html.content.decode()
    assert not Card.objects.filter(solved=True).exists()


def test_a_retried_job_finishes_on_another_worker_exactly_once(alice, question):
    run = code_runs.submit(alice, question, RIGHT, "submit")
    _worker_died_while_running(run)
    code_runs.watch(run.pk)
    work_off_the_queue()  # the retry (attempt 2) runs; the lost attempt 1 can no longer record
    code_runs.execute(run.pk, 1)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.result["all_passed"]) == ("done", 2, True)
    assert CodeRun.objects.count() == 1


def test_the_watchdog_leaves_a_run_that_is_waiting_or_just_started(alice, question):
    run = code_runs.submit(alice, question, RIGHT, "submit")
    code_runs.watch(run.pk)  # still queued: it only looks again later
    CodeRun.objects.filter(pk=run.pk).update(
        status="running", attempts=1, started_at=timezone.now()
    )
    code_runs.watch(run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("running", 1)
    assert DBTaskResult.objects.filter(task_path__endswith="watch_code_run").count() == 3


def test_one_users_burst_does_not_delay_another_users_run(client, alice, bob, monkeypatch):
    order = []
    real_run = runner.run

    def recording_run(language, code, *args, **kwargs):
        order.append(code.splitlines()[0])
        return real_run(language, code, *args, **kwargs)

    monkeypatch.setattr(runner, "run", recording_run)
    client.force_login(alice)
    for n in range(3):
        post_run(client, f"# alice {n}\n" + RIGHT, **HTMX)
    refused = post_run(client, "# alice 3\n" + RIGHT, **HTMX)
    assert refused.status_code == 429 and "3 runs waiting" in refused.content.decode()
    client.force_login(bob)
    post_run(client, "# bob 0\n" + RIGHT, **HTMX)

    work_off_the_queue()
    # Everyone's first run before anyone's second: bob waits for one of alice's, not three.
    assert order == ["# alice 0", "# bob 0", "# alice 1", "# alice 2"]


def test_without_javascript_the_run_page_refreshes_until_the_result_is_in(alice_client, alice):
    response = post_run(alice_client, RIGHT)
    run = CodeRun.objects.get(user=alice)
    status_url = reverse("questions:run_status", args=[run.pk])
    assert response.status_code == 302 and response["Location"] == status_url
    waiting = alice_client.get(status_url).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in waiting
    assert "refreshes by itself" in waiting
    work_off_the_queue()
    page = alice_client.get(status_url).content.decode()
    assert "All tests: 2 of 2 passed" in page and 'http-equiv="refresh"' not in page
    assert reverse("questions:detail", args=["double-it"]) in page


def test_a_turned_off_runner_is_reported_by_the_worker(alice_client, alice, settings):
    post_run(alice_client, RIGHT, **HTMX)
    settings.PREP_CODE_RUNNER = "off"  # e.g. the worker machine has no sandbox
    work_off_the_queue()
    run = CodeRun.objects.get(user=alice)
    assert run.status == "failed" and "turned off" in run.error


def test_others_cannot_see_a_run_and_a_withdrawn_question_hides_it(client, alice, charlie):
    shared = make_question(
        owner=charlie, visibility="shared", slug="charlies", kind="coding", category="coding",
        language="python", starter="", solution=RIGHT, tests=TESTS,
    )  # fmt: skip
    mine = code_runs.submit(alice, shared, RIGHT, "run")
    client.force_login(charlie)
    assert client.get(reverse("questions:run_status", args=[mine.pk])).status_code == 404
    client.force_login(alice)
    assert client.get(reverse("questions:run_status", args=[mine.pk])).status_code == 200
    shared.visibility = "private"
    shared.save()
    assert client.get(reverse("questions:run_status", args=[mine.pk])).status_code == 404


def test_a_too_slow_solution_is_told_it_is_too_slow_for_the_required_complexity():
    slow = "def double(x):\n    while True:\n        pass\n"
    result = runner.run(
        "python", slow, TESTS, complexity="O(1)", limits=runner.Limits(cpu_seconds=1)
    )
    assert not result.all_passed
    assert result.error.startswith("Too slow for the required O(1): the code ran out of CPU time")
    assert result.tests[0].message.startswith("Too slow for the required O(1)")
    plain = runner.run("python", slow, TESTS, limits=runner.Limits(cpu_seconds=1))
    assert "Too slow" not in plain.error and "CPU time limit" in plain.error


def test_an_infinite_loop_outside_any_function_is_explained_as_such():
    result = runner.run(
        "python", "while True:\n    pass\n", TESTS, limits=runner.Limits(cpu_seconds=1)
    )
    assert "CPU time limit exceeded while loading your code" in result.error
    assert "CpuLimitExceeded" not in result.error
