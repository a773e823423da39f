"""`make soak`: concurrent users practise against gunicorn + PostgreSQL while workers are killed.

Each simulated user signs in through the login form and loops: open the practice page, reveal,
rate (htmx), now and then open the dashboard, and now and then submit code on a real bank
coding question (its reference solution, which must pass, or a tempting wrong answer, which
must fail) and poll `/runs/<id>/` until it is over, as the page does. Runner workers
(`manage.py db_worker`) run the code beside gunicorn. Halfway through, one gunicorn worker is
killed with SIGKILL; requests cut off by it are retried with the same form data (ratings are
idempotent by design; a code-run POST is not retried, so a cut-off one may or may not have
queued a run). At the same time one more user submits an infinite loop, and the runner worker
that picked it up is killed with SIGKILL while it runs it: the watchdog must retry that run
once (60 s after it started) and it must then end (done, or failed with the watchdog's
message). At the end every rating the users believe they posted must be in the review log
exactly once, every code run must have ended exactly once with the right verdict (none lost,
none stuck queued or running, none recorded twice), and no request may have failed for good.
Loopback only; bounded in time (the watchdog's wait included). Writes bench/soak.md.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import random
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime

from queue_load import (
    LOOP_CODE,
    TYPICAL_SLUG,
    WRONG_CODE,
    Browser,
    Outcome,
    reset_and_solution,
    start_runner,
    start_runners,
    stop_runners,
    with_runner,
)
from run import GUNICORN, PG_ADMIN, PORT, ROOT, env_for, manage, stop_server

PASSWORD = "soak-password-not-secret"  # noqa: S105 - throwaway users of a throwaway database
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
RESULTS = ROOT / "bench" / "soak.md"
RUNNER_LOG = ROOT / "bench" / "soak-runners.log"
PSQL_DB = "postgres://postgres@127.0.0.1:5432/prep_soak"
RUN_GAP = 10  # seconds at least between one user's code runs: 6 a minute, inside the 12 allowed
RUN_WAIT = 180  # the longest a user polls one run: the watchdog's retry (60 s) twice, and margin
STALE_AFTER = 60  # questions/code_runs.py: when the watchdog retries a run whose worker died


class User(threading.Thread):
    def __init__(
        self,
        name: str,
        deadline: float,
        stats: Counter,
        posted: set,
        lock: threading.Lock,
        seed: int,
        solution: str | None = None,
    ):
        super().__init__(daemon=True)
        self.name_, self.deadline, self.stats, self.posted, self.lock = (
            name,
            deadline,
            stats,
            posted,
            lock,
        )
        self.rng = random.Random(seed)  # noqa: S311 - simulated behaviour
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.base = f"http://127.0.0.1:{PORT}"
        # Code runs go through the same session (cookies) as the rest of the user's requests.
        self.browser = Browser(self.base, name, PASSWORD, jar=self.jar, opener=self.opener)
        self.solution = solution  # None: this user runs no code
        self.runs: list[Outcome] = []
        self.next_run_at = time.monotonic() + self.rng.uniform(2, RUN_GAP)
        self.passing_next = bool(seed % 2)

    def count(self, key: str) -> None:
        with self.lock:
            self.stats[key] += 1

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def call(
        self, path: str, data: dict | None = None, htmx: bool = False, retries: int = 3
    ) -> str:
        """One request; connection failures (a killed worker) are retried with the same data."""
        for attempt in range(retries + 1):
            request = urllib.request.Request(self.base + path)
            if data is not None:
                request.data = urllib.parse.urlencode(data, doseq=True).encode()
                request.add_header("X-CSRFToken", self.csrf())
            if htmx:
                request.add_header("HX-Request", "true")
            try:
                with self.opener.open(request, timeout=30) as response:
                    self.count("requests")
                    return response.read().decode()
            except urllib.error.HTTPError as exc:
                self.count(f"http_{exc.code}")
                raise
            except (
                urllib.error.URLError,
                http.client.HTTPException,
                ConnectionError,
                TimeoutError,
            ):
                self.count("interrupted_then_retried" if attempt < retries else "failed")
                time.sleep(0.2)
        raise RuntimeError(f"{path} failed after {retries} retries")

    def run(self) -> None:
        try:
            self.call("/accounts/login/")
            self.call(
                "/accounts/login/",
                {"username": self.name_, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()},
            )
            while time.monotonic() < self.deadline:
                page = self.call("/practice/session/?scope=all")
                fields = dict(HIDDEN.findall(page))
                if "question" not in fields:
                    self.count("nothing_due")
                    time.sleep(1)
                    continue
                form = {k: fields[k] for k in ("question", "scope", "seq", "started", "shown_at")}
                form["answer"] = "soak answer"
                self.call("/practice/reveal/", form, htmx=True)
                rating = self.rng.choice([1, 2, 3, 3, 4])
                self.call("/practice/rate/", {**form, "rating": rating}, htmx=True)
                with self.lock:
                    self.posted.add((self.name_, form["question"], int(form["seq"])))
                if self.rng.random() < 0.2:
                    self.call("/dashboard/")
                if self.solution and time.monotonic() >= self.next_run_at:
                    self.run_code()
        except Exception as exc:
            self.count("errors")
            self.count(f"error: {type(exc).__name__}: {str(exc)[:80]}")

    def run_code(self) -> None:
        """Submit the passing or the failing solution (alternately) and poll until it is over."""
        kind = "passing" if self.passing_next else "failing"
        self.passing_next = not self.passing_next
        code = self.solution if kind == "passing" else WRONG_CODE
        outcome = self.browser.submit(TYPICAL_SLUG, code, "submit", kind)
        self.runs.append(outcome)
        self.count("code runs submitted")
        if outcome.status == 0:
            self.count("code-run POSTs cut off (not retried)")
        elif outcome.run_id is None and outcome.status != 200:
            self.count(f"code-run POST refused: HTTP {outcome.status}")
        elif not self.browser.wait(outcome, until=time.monotonic() + RUN_WAIT):
            self.count("code runs still pending when the user stopped polling")
        self.next_run_at = time.monotonic() + RUN_GAP + self.rng.uniform(0, RUN_GAP)


def psql(sql: str) -> str:
    return subprocess.run(
        ["psql", PSQL_DB, "-tAc", sql], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()


# Which runner worker is running a code run (its id as start_runners named it), if one is.
RUNNING_ON = (
    "SELECT t.worker_ids, r.status FROM django_tasks_database_dbtaskresult t "
    "JOIN questions_coderun r ON r.id = (t.args_kwargs->'args'->>0)::int "
    "WHERE t.task_path = 'questions.tasks.execute_code_run' AND t.status = 'RUNNING' "
    "AND r.id = :run AND r.status = 'running'"
)


def kill_runner_running(run_id: int, runners: dict, timeout: float) -> dict:
    """Wait until a runner worker is running `run_id`, then SIGKILL that worker. Returns what
    happened: the worker id and pid, the run's status at the kill, or why nothing was killed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = psql(RUNNING_ON.replace(":run", str(int(run_id))))
        if row:
            worker_ids, status = row.split("|")
            worker_id = json.loads(worker_ids)[-1]
            process = runners[worker_id]
            time.sleep(1)  # well inside the run: its sandbox is up and looping
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            return {"worker": worker_id, "pid": process.pid, "status": status, "run": run_id}
        time.sleep(0.1)
    return {"error": f"run {run_id} was not running on any runner within {timeout:.0f} s"}


RUNS_CHECK = """
import json
from collections import defaultdict
from django_tasks_db.models import DBTaskResult
from questions.models import Card, CodeRun
tasks = defaultdict(list)
for task in DBTaskResult.objects.filter(task_path="questions.tasks.execute_code_run"):
    tasks[task.args_kwargs["args"][0]].append([task.args_kwargs["args"][1], task.status])
watch = defaultdict(int)
for task in DBTaskResult.objects.filter(task_path="questions.tasks.watch_code_run"):
    watch[task.status] += 1
runs = []
for run in CodeRun.objects.select_related("user", "question").order_by("pk"):
    result = run.result or {}
    runs.append({
        "id": run.pk, "user": run.user.username, "slug": run.question.slug, "code": run.code,
        "status": run.status, "attempts": run.attempts, "error": run.error,
        "passed": result.get("passed"), "total": result.get("total"),
        "all_passed": result.get("all_passed"), "result_error": result.get("error"),
        "wall_ms": result.get("wall_ms"),
        "finished": run.finished_at.timestamp() if run.finished_at else None,
        "tasks": sorted(tasks[run.pk]),
    })
solved = sorted(Card.objects.filter(solved=True, question__slug=SLUG).values_list("user__username", flat=True))
print("RUNS " + json.dumps({"runs": runs, "solved": solved, "watch": watch}))
"""


def check_runs(
    env: dict, users: list, looper: Outcome | None, killed: dict, solution: str
) -> tuple[list[str], list[str]]:
    """Every code run the users submitted against the database: (report lines, problems)."""
    out = manage(env, "shell", "-c", f"SLUG = {TYPICAL_SLUG!r}\n" + RUNS_CHECK, capture=True)
    data = json.loads(out.split("RUNS ", 1)[1])
    runs = {run["id"]: run for run in data["runs"]}
    code_kind = {solution: "passing", WRONG_CODE: "failing", LOOP_CODE: "loop"}
    problems = []
    submitted = [(user.name_, o) for user in users for o in user.runs]
    if looper is not None:
        submitted.append(("soak-loop", looper))
    known = {o.run_id: (name, o) for name, o in submitted if o.run_id is not None}
    cut_off = Counter((name, o.kind) for name, o in submitted if o.status == 0)
    refused = [o for _, o in submitted if o.status not in (0, 200)]
    unclaimed = Counter()
    killed_id = killed.get("run")
    for run in runs.values():
        kind = code_kind.get(run["code"], "unknown code")
        where = f"run {run['id']} ({run['user']}, {kind})"
        if run["id"] in known:
            name, outcome = known[run["id"]]
            if (name, outcome.kind) != (run["user"], kind):
                problems.append(f"{where}: the user submitted {outcome.kind} as {name}")
        else:
            unclaimed[(run["user"], kind)] += 1  # a POST cut off by the gunicorn kill, or lost
        if run["status"] in ("queued", "running"):
            problems.append(f"{where}: still {run['status']} at the end")
            continue
        # Exactly once: one execute task per attempt, and one attempt unless its worker died.
        attempts = [a for a, _ in run["tasks"]]
        if attempts != list(range(1, run["attempts"] + 1)):
            problems.append(f"{where}: attempts {run['attempts']} but execute tasks {run['tasks']}")
        if run["id"] == killed_id:
            retried_done = run["status"] == "done" and run["attempts"] == 2
            watchdog_failed = run["status"] == "failed" and "runner stopped" in run["error"]
            if not (retried_done or watchdog_failed):
                problems.append(f"{where}: its worker was killed, but it ended {run['status']} "
                                f"after {run['attempts']} attempts ({run['error'][:80]!r})")  # fmt: skip
            continue
        if run["attempts"] != 1:
            problems.append(f"{where}: {run['attempts']} attempts, but no worker of it died")
        if run["status"] != "done":
            problems.append(f"{where}: {run['status']} ({run['error'][:80]!r})")
        elif kind == "passing" and not run["all_passed"]:
            problems.append(
                f"{where}: the reference solution did not pass ({run['passed']} of {run['total']}; {(run['result_error'] or '')[:80]!r})"
            )
        elif kind == "failing" and (run["all_passed"] or run["result_error"]):
            problems.append(
                f"{where}: the wrong answer should fail its tests, got {run['passed']} of {run['total']} ({(run['result_error'] or '')[:80]!r})"
            )
        # What the user saw is what is stored: not recorded again after they read it.
        if run["id"] in known:
            outcome = known[run["id"]][1]
            seen = outcome.verdict
            stored = (run["passed"], run["total"], run["wall_ms"])
            if outcome.final is None:
                problems.append(f"{where}: the user never saw it finish")
            elif kind in ("passing", "failing") and (
                seen is None or seen[:2] != stored[:2] or abs(seen[2] - stored[2]) > 1
            ):
                problems.append(f"{where}: the page showed {seen}, the database holds {stored}")
            elif outcome.seen_done_at and run["finished"] > outcome.seen_done_at.timestamp():
                problems.append(f"{where}: recorded again after the user saw its result")
    for (name, kind), n in unclaimed.items():
        if n > cut_off[(name, kind)]:
            problems.append(
                f"{n - cut_off[(name, kind)]} {kind} run(s) of {name} that no POST answered for"
            )
    for run_id in set(known) - set(runs):
        problems.append(f"run {run_id}: the user was told it was queued; it is not in the database")
    passing_users = {
        run["user"]
        for run in runs.values()
        if code_kind.get(run["code"]) == "passing" and run["all_passed"]
    }
    if missing := passing_users - set(data["solved"]):
        problems.append(f"passed a Submit but the card is not solved: {sorted(missing)}")
    by_kind = Counter(code_kind.get(run["code"], "unknown code") for run in runs.values())
    by_end = Counter(f"{run['status']}, {run['attempts']} attempt(s)" for run in runs.values())
    lines = [
        f"- code runs submitted through `POST /q/{TYPICAL_SLUG}/run/`: {len(submitted)} "
        f"({dict(Counter(o.kind for _, o in submitted))}); in the database: {len(runs)} "
        f"({dict(by_kind)}); ended: {dict(by_end)}",
        f"- code-run POSTs cut off by the gunicorn kill: {sum(cut_off.values())}; refused: "
        f"{len(refused)}; runs in the database that no POST answered for: {sum(unclaimed.values())}",
        f"- watchdog tasks: {dict(data['watch'])} (READY: deferred to a minute after their run "
        "was queued, not yet due when the soak ended; those runs were over)",
        "- checked for every run: it ended (none queued or running); one execute task per attempt, "
        "and one attempt unless its worker was killed; the reference solution passed and the wrong "
        "answer failed its tests; the verdict the page showed (passed, total, ms) is the one stored, "
        "stored before the user saw it (not recorded again); every run in the database answers a "
        "POST (or a POST cut off by the kill); a passing Submit marks the user's card solved",
    ]
    if looper is not None and looper.run_id in runs:
        run = runs[looper.run_id]
        lines.append(
            f"- the killed run ({looper.run_id}): {run['status']} after {run['attempts']} attempts, "
            f"execute tasks (attempt, task status) {run['tasks']}{stale_note(run)}; the page "
            f"showed {looper.message.split(' tests.py')[0]!r} {looper_seen(looper, killed)}"
        )
    return lines, problems


def stale_note(run: dict) -> str:
    stale = [attempt for attempt, status in run["tasks"] if status == "RUNNING"]
    if not stale:
        return ""
    return (f" (attempt {stale} stays RUNNING in the task table: its worker died, and "
            "django-tasks-db never reclaims a task)")  # fmt: skip


def looper_seen(looper: Outcome, killed: dict) -> str:
    if looper.seen_done_at is None or "at" not in killed:
        return "(never finished for the user)"
    return f"{looper.seen_done_at.timestamp() - killed['at']:.0f} s after the kill"


def runner_kill_line(killed: dict) -> str:
    if "error" in killed:
        return f"NOT DONE: {killed['error']}"
    return (f"{killed['worker']} (pid {killed['pid']}) at {killed['after_s']:.0f} s, while run "
            f"{killed['run']} was {killed['status']}; a replacement worker started 2 s later")  # fmt: skip


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--runners", type=int, default=2, help="runner workers (code runs)")
    parser.add_argument("--coders", type=int, default=8, help="how many of the users run code")
    args = parser.parse_args()

    subprocess.run(["psql", PG_ADMIN, "-q", "-c", "DROP DATABASE IF EXISTS prep_soak"], check=True)
    subprocess.run(["psql", PG_ADMIN, "-q", "-c", "CREATE DATABASE prep_soak"], check=True)
    env = env_for("postgres://postgres@127.0.0.1:5432/prep_soak")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "loadbank", capture=True)
    env = with_runner(env)
    solution = reset_and_solution(manage, env, TYPICAL_SLUG)
    manage(env, "shell", "-c", (
        "from django.contrib.auth import get_user_model\n"
        "from questions.models import Profile\n"
        f"for name in [f'soak-{{i}}' for i in range({args.users})] + ['soak-loop']:\n"
        f"    u = get_user_model().objects.create_user(name, password={PASSWORD!r})\n"
        "    Profile.objects.create(user=u, new_per_day=200)\n"
    ))  # fmt: skip
    RUNNER_LOG.unlink(missing_ok=True)

    server = subprocess.Popen(
        [GUNICORN, "prep.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    runners = start_runners(env, args.runners, RUNNER_LOG, prefix="soak-runner")
    time.sleep(3)
    stats, posted, lock = Counter(), set(), threading.Lock()
    deadline = time.monotonic() + args.seconds
    users = [
        User(f"soak-{i}", deadline, stats, posted, lock, seed=i,
             solution=solution if i < args.coders else None)
        for i in range(args.users)
    ]  # fmt: skip
    started = time.monotonic()
    killed_runner: dict = {}
    looper, killed = None, []
    try:
        for user in users:
            user.start()
        # One user queues an infinite loop just before the kills; its runner is killed mid-run.
        time.sleep(max(0, args.seconds / 2 - 3))
        loop_user = Browser(f"http://127.0.0.1:{PORT}", "soak-loop", PASSWORD)
        loop_user.sign_in()
        looper = loop_user.submit(TYPICAL_SLUG, LOOP_CODE, "run", "loop")
        time.sleep(max(0, started + args.seconds / 2 - time.monotonic()))
        killed = worker_pids(server.pid)[:1]
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        if looper.run_id is not None:
            killed_runner = kill_runner_running(looper.run_id, runners, timeout=30)
            killed_runner["at"] = datetime.now(UTC).timestamp()
            killed_runner["after_s"] = time.monotonic() - started
            if "worker" in killed_runner:
                # As a supervisor would: a new runner worker takes the dead one's place.
                time.sleep(2)
                runners["soak-runner-replacement"] = start_runner(
                    env, "soak-runner-replacement", RUNNER_LOG
                )
        else:
            killed_runner = {"error": f"the infinite loop was not queued (HTTP {looper.status})"}
        # The killed run: the watchdog retries it STALE_AFTER after it started, then it runs
        # (up to its 10 s wall clock) and the page shows the result. Bounded: two watchdog
        # rounds and margin.
        if looper.run_id is not None:
            loop_user.wait(looper, until=time.monotonic() + 2 * STALE_AFTER + 40)
        for user in users:
            user.join(timeout=args.seconds + RUN_WAIT + 30)
        # Anything still queued or running gets a bounded chance to end before the check.
        settle_until = time.monotonic() + 60
        while (
            time.monotonic() < settle_until
            and psql("SELECT count(*) FROM questions_coderun WHERE status IN ('queued', 'running')")
            != "0"
        ):
            time.sleep(1)
        elapsed = time.monotonic() - started
    finally:
        stop_server(server)
        stop_runners(runners)
    run_lines, run_problems = check_runs(env, users, looper, killed_runner, solution)

    check = manage(env, "shell", "-c", (
        "import json\n"
        "from django.db.models import Count\n"
        "from questions.models import Review\n"
        "rows = list(Review.objects.values_list('user__username', 'question__slug', 'sequence'))\n"
        "dupes = Review.objects.values('user', 'question', 'sequence').annotate(n=Count('id')).filter(n__gt=1).count()\n"
        "print('LOG ' + json.dumps({'rows': rows, 'dupes': dupes}))\n"
    ), capture=True)  # fmt: skip
    log = json.loads(check.split("LOG ", 1)[1])
    in_log = {(u, q, s) for u, q, s in log["rows"]}
    lost = posted - in_log
    unexpected = in_log - posted
    report = [
        "# prep soak and fault test\n",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; gunicorn 2 workers + {args.runners} runner "
        f"workers (`db_worker`, PREP_CODE_RUNNER=bwrap) + PostgreSQL, DEBUG off",
        f"- {args.users} simulated users for {args.seconds} s of practice ({elapsed:.0f} s in all, "
        f"with the wait for the watchdog); {args.coders} of them also submit code, at most every "
        f"{RUN_GAP}-{2 * RUN_GAP} s; one gunicorn worker killed with SIGKILL at {args.seconds / 2:.0f} s (pid {killed})",
        f"- runner worker killed with SIGKILL while running an infinite loop: {runner_kill_line(killed_runner)}",
        f"- requests completed: {stats['requests']}; ratings posted: {len(posted)} "
        f"({len(posted) / elapsed:.1f}/s); review log rows: {len(log['rows'])}",
        f"- requests cut off by the kill and retried: {stats['interrupted_then_retried']}; failed for good: {stats['failed']}",
        f"- errors: {stats['errors']}; HTTP 5xx: {sum(v for k, v in stats.items() if k.startswith('http_5'))}",
        f"- ratings lost: {len(lost)}; duplicated: {log['dupes']}; in the log but not posted by a user: {len(unexpected)}",
    ]
    report += [f"  - {k}: {v}" for k, v in stats.items() if k.startswith("error:")]
    report += ["", "## Code runs", "", *run_lines]
    report += [
        f"- {k}: {v}" for k, v in stats.items() if k.startswith("code") and "submitted" not in k
    ]
    if "error" in killed_runner:
        run_problems.append(f"runner kill: {killed_runner['error']}")
    report += [f"- problems: {len(run_problems)}"] + [f"  - {p}" for p in run_problems]
    ok = not (
        stats["errors"] or stats["failed"] or lost or log["dupes"] or unexpected or run_problems
    )
    report.append(f"\n**{'PASS' if ok else 'FAIL'}**\n")
    RESULTS.write_text("\n".join(report))
    print(RESULTS.read_text())
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
