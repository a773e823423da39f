"""Code runs under load, for `make bench` and `make soak`: runner workers, users who run code.

Code runs are queued jobs (questions/code_runs.py): `POST /q/<slug>/run/` stores a CodeRun and
enqueues a task; runner workers (`manage.py db_worker`) execute it; the page polls
`GET /runs/<id>/` (htmx) until the block stops polling. This module drives that from outside,
through the real HTTP endpoints only:

- `start_runners` / `stop_runners`: runner workers beside gunicorn, as prep/serve.py starts them;
- `Browser`: one signed-in user (login form, CSRF cookie, htmx headers), who submits code and
  polls for the result as the page does (every 0.5 s);
- `LoopLoad`: users who each keep N infinite-loop runs queued at all times, re-submitting as
  theirs finish; `Probe`: users who submit a typical solution now and then and wait for it;
- `measure_queue`: the bench step built from those (page latency quiet and under the loop load,
  throughput of a typical submission, queue latency), whose figures bench/run.py reports.

Nothing here reads the database directly except through `manage.py shell -c` scripts at the
end (timestamps for queue latency), as bench/run.py does for query counts. Loopback only;
every loop is bounded in count and in time.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# As prep/serve.py starts them: poll often, since queue latency is what users notice.
RUNNER_COMMAND = [PYTHON, "manage.py", "db_worker", "--interval", "0.25", "--no-reload"]

LOOP_CODE = "while True:\n    pass\n"
# A real bank coding question; its reference solution is the typical submission (read from the
# database as loadbank stored it), and a tempting wrong answer (max - min, which ignores the
# order of days; the question's own Answer section names it) is the failing one.
TYPICAL_SLUG = "max-profit-single-trade"
WRONG_CODE = (
    "def max_profit(prices: list[int]) -> int:\n"
    "    return max(prices, default=0) - min(prices, default=0)\n"
)

RUN_ID = re.compile(r'hx-get="/runs/(\d+)/"')
VERDICT = re.compile(
    r"(?:Examples|All tests): (\d+) of (\d+) passed\s*<span class=\"muted\">· (\d+) ms"
)
ALERT = re.compile(
    r'<p class="(?:run-verdict verdict-wrong|form-errors)" role="(?:alert|status)">(.*?)</p>', re.S
)
POLL_EVERY = 0.5  # the block's hx-trigger="load delay:500ms"
LOOP_SECONDS = 6  # an infinite loop's turn on a runner: the 5 s CPU limit and start-up


class CpuMeter:
    """How much CPU other work on the machine used while the bench ran (a shared machine makes
    a benchmark noisy; this says how noisy): the machine's busy time (/proc/stat) minus what
    this process, its descendants (gunicorn, runner workers and their sandboxes, wrk) and the
    PostgreSQL server used. Ours is sampled per process every 0.5 s, because a sandbox's CPU
    time never reaches its parents' cutime (bubblewrap's PID namespace), so a process of ours
    that lives less than that (a typical run's sandbox) counts as other work. Linux only."""

    INTERVAL = 0.5

    def __init__(self) -> None:
        self.me, self.ticks, self.ours, self.ours_ticks = os.getpid(), {}, set(), 0
        self.busy_start = self._busy()
        self.began = time.monotonic()
        self.stop = threading.Event()
        self._sample(first=True)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _busy() -> int | None:
        try:
            with open("/proc/stat") as stat:
                fields = [int(v) for v in stat.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        return sum(fields) - fields[3] - fields[4]  # all but idle and iowait

    def _sample(self, first: bool = False) -> None:
        procs = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    text = f.read()
                comm = text[text.index("(") + 1 : text.rindex(")")]
                rest = text[text.rindex(")") + 2 :].split()
                procs[int(entry.name)] = (int(rest[1]), comm, int(rest[11]) + int(rest[12]))
            except (OSError, ValueError, IndexError):
                continue  # exited meanwhile
        for pid, (_ppid, comm, ticks) in procs.items():
            if pid not in self.ours:
                ancestor, depth = pid, 0
                while ancestor not in (self.me, 0, 1) and ancestor in procs and depth < 64:
                    ancestor, depth = procs[ancestor][0], depth + 1
                if ancestor == self.me or comm.startswith(("postgres", "postmaster")):
                    self.ours.add(pid)
            # A process first seen after the start began meanwhile: all its time is new.
            before = self.ticks.get(pid, ticks if first else 0)
            if pid in self.ours:
                self.ours_ticks += max(0, ticks - before)
            self.ticks[pid] = ticks

    def _run(self) -> None:
        while not self.stop.wait(self.INTERVAL):
            self._sample()

    def others_cores(self) -> float | None:
        """Cores' worth of CPU used by other work since the meter started (and stop it)."""
        self.stop.set()
        self.thread.join(timeout=5)
        self._sample()
        busy, seconds = self._busy(), time.monotonic() - self.began
        if busy is None or self.busy_start is None or seconds <= 0:
            return None
        other = (busy - self.busy_start) - self.ours_ticks
        return max(0.0, other / os.sysconf("SC_CLK_TCK") / seconds)


def with_runner(env: dict) -> dict:
    """The bench environment with running code on, in bubblewrap (web and runner workers)."""
    return {**env, "PREP_CODE_RUNNER": "bwrap"}


def start_runners(
    env: dict, count: int, log: Path, prefix: str = "bench-runner", nice: int = 0
) -> dict:
    """Start `count` runner workers, each with a known worker id; returns {worker id: Popen}.
    `nice` > 0 runs them (and the code they run) at a lower CPU priority than the web workers,
    an experiment: prep/serve.py starts them at the same priority (nice 0)."""
    runners = {}
    for i in range(count):
        runners[f"{prefix}-{i}"] = start_runner(env, f"{prefix}-{i}", log, nice)
    return runners


def start_runner(env: dict, worker_id: str, log: Path, nice: int = 0) -> subprocess.Popen:
    prefix = ["nice", "-n", str(nice)] if nice else []
    with open(log, "a") as out:
        return subprocess.Popen(
            [*prefix, *RUNNER_COMMAND, "--worker-id", worker_id], cwd=ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def stop_runners(runners: dict) -> None:
    """SIGTERM (a worker finishes its current task, at most one run's 10 s), then SIGKILL."""
    for process in runners.values():
        if process.poll() is None:
            process.terminate()
    for process in runners.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class Outcome:
    """What a user saw of one run: how the POST answered, then the final block."""

    kind: str  # a label: "loop", "typical", "passing", "failing"
    status: int  # HTTP status of the POST (0: the connection was cut off)
    run_id: int | None = None
    final: str | None = None  # the last block seen (None: never saw it finish)
    seen_done_at: datetime | None = None
    submitted_at: float = 0.0

    @property
    def verdict(self) -> tuple[int, int, int] | None:
        """(passed, total, wall ms) as the page shows it, or None (an error or not done)."""
        match = VERDICT.search(self.final or "")
        return tuple(int(g) for g in match.groups()) if match else None

    @property
    def message(self) -> str:
        match = ALERT.search(self.final or "")
        return " ".join(match.group(1).split())[:160] if match else ""


class Browser:
    """One signed-in user over HTTP, with the cookies and headers the real page sends."""

    def __init__(self, base: str, username: str, password: str, timeout: float = 30,
                 jar: http.cookiejar.CookieJar | None = None, opener=None):  # fmt: skip
        self.base, self.username, self.password, self.timeout = base, username, password, timeout
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = opener or urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar)
        )

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(self, path: str, data: dict | None = None, htmx: bool = False) -> tuple[int, str]:
        """(status, body); an HTTP error status is returned, not raised. Connection errors
        raise (OSError, http.client.HTTPException): callers decide whether a retry is safe."""
        request = urllib.request.Request(self.base + path)
        if data is not None:
            request.data = urllib.parse.urlencode(data).encode()
            request.add_header("X-CSRFToken", self.csrf())
        if htmx:
            request.add_header("HX-Request", "true")
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def sign_in(self) -> None:
        self.request("/accounts/login/")
        self.request(
            "/accounts/login/",
            {"username": self.username, "password": self.password, "csrfmiddlewaretoken": self.csrf()},
        )  # fmt: skip
        if not any(c.name == "sessionid" for c in self.jar):
            raise RuntimeError(f"could not sign in as {self.username}")

    def submit(self, slug: str, code: str, mode: str, kind: str) -> Outcome:
        """POST the code as the page's Run/Submit buttons do. Not retried: a POST cut off may
        or may not have queued a run (status 0 says so)."""
        outcome = Outcome(kind=kind, status=0, submitted_at=time.monotonic())
        try:
            outcome.status, body = self.request(
                f"/q/{slug}/run/", {"code": code, "mode": mode}, htmx=True
            )
        except (OSError, http.client.HTTPException):
            return outcome
        if match := RUN_ID.search(body):
            outcome.run_id = int(match.group(1))
        elif outcome.status == 200:
            outcome.final, outcome.seen_done_at = body, datetime.now(UTC)  # already done
        else:
            outcome.final = body  # refused: nothing was queued
        return outcome

    def poll_once(self, outcome: Outcome) -> bool:
        """One poll of a pending run; True once it is over. Polls are safe to retry."""
        try:
            status, body = self.request(f"/runs/{outcome.run_id}/", htmx=True)
        except (OSError, http.client.HTTPException):
            return False
        if status == 200 and not RUN_ID.search(body):
            outcome.final, outcome.seen_done_at = body, datetime.now(UTC)
            return True
        return False

    def wait(self, outcome: Outcome, until: float, stop: threading.Event | None = None) -> bool:
        """Poll as the page does until the run is over or `until` (monotonic) passes."""
        if outcome.run_id is None:
            return outcome.final is not None
        while time.monotonic() < until and not (stop and stop.is_set()):
            time.sleep(POLL_EVERY)
            if self.poll_once(outcome):
                return True
        return False


def wait_all(pairs: list[tuple[Browser, Outcome]], until: float) -> None:
    """Poll many pending runs, each as its page would (every 0.5 s), until all are over."""
    pending = [(b, o) for b, o in pairs if o.run_id is not None and o.final is None]
    while pending and time.monotonic() < until:
        time.sleep(POLL_EVERY)
        pending = [(b, o) for b, o in pending if not b.poll_once(o)]


class LoopLoad(threading.Thread):
    """One user who keeps `per_user` infinite-loop runs pending at all times until stopped:
    submit until that many are pending, poll them, re-submit as they finish."""

    def __init__(self, browser: Browser, slug: str, per_user: int, stop: threading.Event,
                 deadline: float, stats: Counter, lock: threading.Lock):  # fmt: skip
        super().__init__(daemon=True)
        self.browser, self.slug, self.per_user = browser, slug, per_user
        self.stop, self.deadline, self.stats, self.lock = stop, deadline, stats, lock
        self.outcomes: list[Outcome] = []
        self.pending: list[Outcome] = []

    def count(self, key: str) -> None:
        with self.lock:
            self.stats[key] += 1

    def run(self) -> None:
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            while len(self.pending) < self.per_user and not self.stop.is_set():
                outcome = self.browser.submit(self.slug, LOOP_CODE, "run", "loop")
                self.outcomes.append(outcome)
                if outcome.run_id is not None:
                    self.pending.append(outcome)
                    self.count("loop runs queued")
                else:
                    self.count(f"loop POST answered {outcome.status} without queueing")
                    time.sleep(2)  # refused (throttle, limit): try again a little later
                    break
            time.sleep(POLL_EVERY)
            for outcome in list(self.pending):
                if self.browser.poll_once(outcome):
                    self.pending.remove(outcome)

    def pending_count(self) -> int:
        return len(self.pending)


class Probe(threading.Thread):
    """A user who submits the typical solution, waits for its result, and repeats no more
    often than every `every` seconds (inside the 12-a-minute throttle)."""

    def __init__(self, browser: Browser, slug: str, code: str, every: float,
                 stop: threading.Event, deadline: float):  # fmt: skip
        super().__init__(daemon=True)
        self.browser, self.slug, self.code, self.every = browser, slug, code, every
        self.stop, self.deadline = stop, deadline
        self.outcomes: list[Outcome] = []

    def run(self) -> None:
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            began = time.monotonic()
            outcome = self.browser.submit(self.slug, self.code, "submit", "typical")
            self.outcomes.append(outcome)
            self.browser.wait(outcome, until=self.deadline + 120)
            self.stop.wait(max(0.0, self.every - (time.monotonic() - began)))


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


RUNS_SCRIPT = """
import json
from questions.models import CodeRun
rows = []
for run in CodeRun.objects.filter(pk__in=IDS).select_related("user"):
    result = run.result or {}
    rows.append({
        "id": run.pk, "user": run.user.username, "status": run.status, "attempts": run.attempts,
        "queue_s": (run.started_at - run.created_at).total_seconds() if run.started_at else None,
        "total_s": (run.finished_at - run.created_at).total_seconds() if run.finished_at else None,
        "created": run.created_at.timestamp(), "finished": run.finished_at.timestamp() if run.finished_at else None,
        "wall_ms": result.get("wall_ms"),
    })
print("RUNS " + json.dumps(rows))
"""

RESET_SCRIPT = """
import json
from django.core.cache import cache
from django_tasks_db.models import DBTaskResult
from questions.models import CodeRun, Question
# A throwaway benchmark database: runs and tasks left by an earlier (perhaps interrupted) bench
# would otherwise be picked up by the runners, and its throttle counters still count.
CodeRun.objects.all().delete()
DBTaskResult.objects.all().delete()
cache.clear()
question = Question.objects.get(slug=SLUG)
print("QUESTION " + json.dumps({"kind": question.kind, "solution": question.solution_code}))
"""


def read_runs(manage, env: dict, ids: list[int]) -> dict[int, dict]:
    out = manage(env, "shell", "-c", f"IDS = {sorted(set(ids))!r}\n" + RUNS_SCRIPT, capture=True)
    return {row["id"]: row for row in json.loads(out.split("RUNS ", 1)[1])}


def reset_and_solution(manage, env: dict, slug: str) -> str:
    out = manage(env, "shell", "-c", f"SLUG = {slug!r}\n" + RESET_SCRIPT, capture=True)
    question = json.loads(out.split("QUESTION ", 1)[1])
    if question["kind"] != "coding" or not question["solution"].strip():
        raise SystemExit(f"{slug} is not a coding question with a reference solution")
    return question["solution"]


@dataclass
class QueueFigures:
    runners: int
    cores: int
    nice: int = 0
    pages: list = field(default_factory=list)  # dicts: label, quiet/loaded p50/p95, errors
    throughput: dict = field(default_factory=dict)
    latency: dict = field(default_factory=dict)
    load: dict = field(default_factory=dict)
    others: dict = field(default_factory=dict)  # phase: cores used by other work (CpuMeter)


def _median_figures(samples: list[dict]) -> dict:
    return {
        "p50": statistics.median(s["p50_us"] for s in samples) / 1000,
        "p95": statistics.median(s["p95_us"] for s in samples) / 1000,
        "rps": statistics.median(s["requests"] / (s["duration_us"] / 1e6) for s in samples),
        "errors": sum(s["errors"] + s["bad_status"] for s in samples),
    }


def measure_queue(*, env: dict, base: str, manage, wrk, login, password: str, pages: list,
                  args, log: Path) -> QueueFigures:  # fmt: skip
    """The queue step of one database, with gunicorn already serving `env` (runner on) at
    `base`: start runner workers; measure `pages` quiet; time a batch of typical submissions;
    then 3 users keep 2 infinite loops queued each while other users submit typical code, and
    the pages are measured again; finally read the runs' timestamps from the database."""
    solution = reset_and_solution(manage, env, TYPICAL_SLUG)
    figures = QueueFigures(runners=args.runners, cores=os.cpu_count() or 1, nice=args.runner_nice)
    heavy = login("user-0")
    runners = start_runners(env, args.runners, log, nice=args.runner_nice)
    try:
        time.sleep(2)  # the workers' start-up (and their random start delay of up to 1 s)
        quiet = {label: [] for label, _ in pages}
        loaded = {label: [] for label, _ in pages}
        meter = CpuMeter()
        for label, path in pages:
            for _ in range(args.runs):
                quiet[label].append(wrk(path, "GET", *heavy, args))
        figures.others["quiet before"] = meter.others_cores()

        # Throughput: a batch of typical submissions from users who each queue their 3.
        batch_users = [Browser(base, f"user-{100 + i}", password) for i in range(args.batch_users)]
        for browser in batch_users:
            browser.sign_in()
        began = time.monotonic()
        batch = [
            browser.submit(TYPICAL_SLUG, solution, "submit", "typical")
            for _ in range(3)
            for browser in batch_users
        ]
        enqueued_s = time.monotonic() - began
        wait_all(
            list(zip(batch_users * 3, batch, strict=True)), time.monotonic() + 120 + 5 * len(batch)
        )
        http_s = time.monotonic() - began

        # The loop load: 3 users x 2 infinite loops queued at all times, and probes.
        stop, lock, stats = threading.Event(), threading.Lock(), Counter()
        deadline = time.monotonic() + 60 + 2 * len(pages) * args.runs * (args.seconds + 15)
        loopers = []
        for i in range(args.loop_users):
            browser = Browser(base, f"user-{10 + i}", password)
            browser.sign_in()
            loopers.append(
                LoopLoad(browser, TYPICAL_SLUG, args.loops_per_user, stop, deadline, stats, lock)
            )
        probes = []
        for i in range(args.probe_users):
            browser = Browser(base, f"user-{20 + i}", password)
            browser.sign_in()
            probes.append(Probe(browser, TYPICAL_SLUG, solution, args.probe_every, stop, deadline))
        load_began = time.monotonic()
        for thread in loopers:
            thread.start()
        # Steady state: every loop user has its runs pending, and the first ones (queued at the
        # top priority, before any user had one pending) have had their turn.
        settle_until = time.monotonic() + 30
        while (
            time.monotonic() < settle_until
            and sum(t.pending_count() for t in loopers) < len(loopers) * args.loops_per_user
        ):
            time.sleep(0.2)
        time.sleep(LOOP_SECONDS * args.loop_users / args.runners)
        for thread in probes:
            thread.start()
            time.sleep(args.probe_every / max(1, len(probes)))  # spread the probes out
        try:
            meter = CpuMeter()
            for label, path in pages:
                for _ in range(args.runs):
                    loaded[label].append(wrk(path, "GET", *heavy, args))
            figures.others["loaded"] = meter.others_cores()
        finally:
            stop.set()
        load_s = time.monotonic() - load_began
        for thread in loopers + probes:
            thread.join(timeout=60)
        # Let what is still queued run, so that every run of the load has a start time.
        drain_until = (
            time.monotonic() + 30 + 12 * args.loop_users * args.loops_per_user / args.runners
        )
        wait_all([(t.browser, o) for t in loopers for o in t.pending], drain_until)
        # Quiet again (drift on a shared machine shows up in both halves of the quiet figures).
        meter = CpuMeter()
        for label, path in pages:
            for _ in range(args.runs):
                quiet[label].append(wrk(path, "GET", *heavy, args))
        figures.others["quiet after"] = meter.others_cores()
    finally:
        stop_runners(runners)

    loop_outcomes = [o for t in loopers for o in t.outcomes]
    probe_outcomes = [o for t in probes for o in t.outcomes]
    ids = [o.run_id for o in batch + loop_outcomes + probe_outcomes if o.run_id is not None]
    rows = read_runs(manage, env, ids)

    for label, _ in pages:
        q, lo = _median_figures(quiet[label]), _median_figures(loaded[label])
        figures.pages.append({"label": label, "quiet": q, "loaded": lo})

    batch_rows = [rows[o.run_id] for o in batch if o.run_id in rows]
    done = [r for r in batch_rows if r["status"] == "done"]
    passed = sum(1 for o in batch if o.verdict and o.verdict[0] == o.verdict[1])
    if done:
        first_created = min(r["created"] for r in batch_rows)
        last_finished = max(r["finished"] for r in done)
        db_s = last_finished - first_created
    else:
        db_s = float("nan")
    figures.throughput = {
        "runs": len(batch),
        "users": len(batch_users),
        "done": len(done),
        "passed": passed,
        "enqueue_s": enqueued_s,
        "http_s": http_s,
        "db_s": db_s,
        "per_s": len(done) / db_s if done else 0.0,
        "per_core": len(done) / db_s / min(args.runners, figures.cores) if done else 0.0,
        "wall_ms": statistics.median(r["wall_ms"] for r in done if r["wall_ms"]) if done else None,
        "refused": sum(1 for o in batch if o.run_id is None and o.status != 200),
    }

    def latency(outcomes):
        values = [
            rows[o.run_id]["queue_s"]
            for o in outcomes
            if o.run_id in rows and rows[o.run_id]["queue_s"] is not None
        ]
        if not values:
            return {"n": 0}
        return {
            "n": len(values),
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "max": max(values),
        }

    figures.latency = {"typical": latency(probe_outcomes), "loop": latency(loop_outcomes)}
    never_started = [
        o.run_id
        for o in loop_outcomes + probe_outcomes
        if o.run_id in rows and rows[o.run_id]["queue_s"] is None
    ]
    figures.load = {
        "seconds": load_s,
        "loop_users": args.loop_users,
        "loops_per_user": args.loops_per_user,
        "loop_runs": sum(1 for o in loop_outcomes if o.run_id is not None),
        "loop_done": sum(
            1 for o in loop_outcomes if o.run_id in rows and rows[o.run_id]["status"] == "done"
        ),
        "loop_messages": Counter(o.message.split(" tests.py")[0] for o in loop_outcomes if o.final),
        "probe_users": args.probe_users,
        "probe_runs": sum(1 for o in probe_outcomes if o.run_id is not None),
        "probe_passed": sum(
            1 for o in probe_outcomes if o.verdict and o.verdict[0] == o.verdict[1]
        ),
        "never_started": len(never_started),
        "refusals": {k: v for k, v in stats.items() if "without" in k},
    }
    return figures


def markdown(figures: QueueFigures, args) -> str:
    """The queue section of one database in bench/results.md."""
    t, lat, load = figures.throughput, figures.latency, figures.load
    lines = [
        f"### Code runs (queued jobs): {figures.runners} runner worker"
        f"{'s' if figures.runners != 1 else ''} beside gunicorn, {figures.cores} cores\n",
        f"gunicorn (2 workers) and {figures.runners} `db_worker --interval 0.25` runner "
        f"process{'es' if figures.runners != 1 else ''} with `PREP_CODE_RUNNER=bwrap`"
        f"{f' under `nice -n {figures.nice}`' if figures.nice else ' (same CPU priority as gunicorn, as `make serve`)'}, on the "
        f"same {figures.cores} cores as wrk. Page figures: wrk as above (median of {args.runs}), "
        "with the runners idle (before and after the load), and while "
        f"{load['loop_users']} users each keep {load['loops_per_user']} `while True: pass` runs "
        "queued at all times through `POST /q/<slug>/run/` (re-submitting as theirs finish; each "
        f"is stopped by the 5 s CPU limit) and {load['probe_users']} other users submit a "
        f"typical solution every {args.probe_every:.0f} s; everyone polls `/runs/<id>/` every "
        "0.5 s as the page does. Goal: loaded within 1.5x of quiet.\n",
        "| page | quiet p50 ms | quiet p95 ms | loaded p50 ms | loaded p95 ms | p50 loaded/quiet "
        "| p95 loaded/quiet | req/s quiet → loaded | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page in figures.pages:
        q, lo = page["quiet"], page["loaded"]
        lines.append(
            f"| {page['label']} | {q['p50']:.1f} | {q['p95']:.1f} | {lo['p50']:.1f} | "
            f"{lo['p95']:.1f} | {lo['p50'] / q['p50']:.2f}x | {lo['p95'] / q['p95']:.2f}x | "
            f"{q['rps']:.0f} → {lo['rps']:.0f} | {q['errors'] + lo['errors']} |"
        )
    lines.append("")
    wall = f"{t['wall_ms']:.0f} ms" if t["wall_ms"] else "-"
    lines.append(
        f"- Throughput, typical submission (Submit of `{TYPICAL_SLUG}`'s reference solution, "
        f"all its tests; runners otherwise idle): {t['runs']} runs queued through HTTP by "
        f"{t['users']} users (3 each, the most one may have pending) in {t['enqueue_s']:.1f} s; "
        f"{t['done']} done ({t['passed']} passed, as the page showed them) "
        f"{t['db_s']:.1f} s after the first was queued (database timestamps; "
        f"{t['http_s']:.1f} s until the last poll saw it): **{t['per_s']:.1f} runs/s, "
        f"{t['per_core']:.1f} per runner core**; median time in the sandbox {wall} a run."
    )
    typical, loop = lat["typical"], lat["loop"]

    def fmt(figs):
        if not figs["n"]:
            return "none started"
        return (f"p50 **{figs['p50']:.2f} s**, p95 **{figs['p95']:.2f} s**, max {figs['max']:.2f} s "
                f"({figs['n']} runs)")  # fmt: skip

    lines.append(
        "- Queue latency under the loop load (enqueue to start, `started_at - created_at`): "
        f"typical submissions by the other users: {fmt(typical)}; the infinite loops "
        f"themselves: {fmt(loop)}."
    )
    messages = ", ".join(
        f"{k or 'no message'} x{v}" for k, v in load["loop_messages"].most_common()
    )
    refusals = ", ".join(f"{k}: {v}" for k, v in load["refusals"].items()) or "none"
    lines.append(
        f"- The load ran {load['seconds']:.0f} s: {load['loop_runs']} loop runs queued "
        f"({load['loop_done']} done; the page said: {messages or '-'}), {load['probe_runs']} "
        f"typical runs ({load['probe_passed']} passed); runs never started: "
        f"{load['never_started']}; POSTs refused: {refusals}."
    )
    others = ", ".join(
        f"{phase} {cores:.2f}" for phase, cores in figures.others.items() if cores is not None
    )
    lines.append(
        "- Other work on the machine (CPU not used by the bench, its servers or PostgreSQL), in "
        f"cores, while the pages were measured: {others or 'not measured'}."
    )
    lines.append("")
    return "\n".join(lines)
