"""`make soak`: concurrent users practise against gunicorn + PostgreSQL while a worker is killed.

Each simulated user signs in through the login form and loops: open the practice page, reveal,
rate (htmx), now and then open the dashboard. Halfway through, one gunicorn worker is killed
with SIGKILL; requests cut off by it are retried with the same form data (ratings are
idempotent by design). At the end every rating the users believe they posted must be in the
review log exactly once, and no request may have failed for good. Loopback only; bounded in
time. Writes bench/soak.md.
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

from run import GUNICORN, PG_ADMIN, PORT, ROOT, env_for, manage, stop_server

PASSWORD = "soak-password-not-secret"  # noqa: S105 - throwaway users of a throwaway database
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
RESULTS = ROOT / "bench" / "soak.md"


class User(threading.Thread):
    def __init__(
        self,
        name: str,
        deadline: float,
        stats: Counter,
        posted: set,
        lock: threading.Lock,
        seed: int,
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
        except Exception as exc:
            self.count("errors")
            self.count(f"error: {type(exc).__name__}: {str(exc)[:80]}")


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=120)
    args = parser.parse_args()

    subprocess.run(["psql", PG_ADMIN, "-q", "-c", "DROP DATABASE IF EXISTS prep_soak"], check=True)
    subprocess.run(["psql", PG_ADMIN, "-q", "-c", "CREATE DATABASE prep_soak"], check=True)
    env = env_for("postgres://postgres@127.0.0.1:5432/prep_soak")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "loadbank", capture=True)
    manage(env, "shell", "-c", (
        "from django.contrib.auth import get_user_model\n"
        "from questions.models import Profile\n"
        f"for i in range({args.users}):\n"
        f"    u = get_user_model().objects.create_user(f'soak-{{i}}', password={PASSWORD!r})\n"
        "    Profile.objects.create(user=u, new_per_day=200)\n"
    ))  # fmt: skip

    server = subprocess.Popen(
        [GUNICORN, "prep.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    time.sleep(3)
    stats, posted, lock = Counter(), set(), threading.Lock()
    deadline = time.monotonic() + args.seconds
    users = [User(f"soak-{i}", deadline, stats, posted, lock, seed=i) for i in range(args.users)]
    started = time.monotonic()
    for user in users:
        user.start()
    time.sleep(args.seconds / 2)
    killed = worker_pids(server.pid)[:1]
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    for user in users:
        user.join(timeout=args.seconds + 60)
    elapsed = time.monotonic() - started
    stop_server(server)

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
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; gunicorn 2 workers + PostgreSQL, DEBUG off",
        f"- {args.users} simulated users for {elapsed:.0f} s; one worker killed with SIGKILL at {args.seconds / 2:.0f} s (pid {killed})",
        f"- requests completed: {stats['requests']}; ratings posted: {len(posted)} "
        f"({len(posted) / elapsed:.1f}/s); review log rows: {len(log['rows'])}",
        f"- requests cut off by the kill and retried: {stats['interrupted_then_retried']}; failed for good: {stats['failed']}",
        f"- errors: {stats['errors']}; HTTP 5xx: {sum(v for k, v in stats.items() if k.startswith('http_5'))}",
        f"- ratings lost: {len(lost)}; duplicated: {log['dupes']}; in the log but not posted by a user: {len(unexpected)}",
    ]
    report += [f"  - {k}: {v}" for k, v in stats.items() if k.startswith("error:")]
    ok = not (stats["errors"] or stats["failed"] or lost or log["dupes"] or unexpected)
    report.append(f"\n**{'PASS' if ok else 'FAIL'}**\n")
    RESULTS.write_text("\n".join(report))
    print(RESULTS.read_text())
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
