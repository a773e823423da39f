"""`make bench`: seed a database at scale, serve it like production, measure it with wrk.

For each database (SQLite file, local PostgreSQL): migrate, time `loadbank` on the real bank,
seed synthetic data (seed_synthetic), start gunicorn with 2 workers and DEBUG off, then run wrk
several times against each page and keep the median of the runs. Also counts the SQL queries
of each page. Then the code-run queue (bench/queue_load.py): gunicorn again with running code
on and runner workers beside it; a signed-in page quiet and while users keep infinite loops
queued, the throughput of a typical submission, and queue latency. Writes bench/results.md.
Loopback only; every run is bounded in time.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import queue_load
import search_scale

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
WRK_SCRIPT = str(ROOT / "bench" / "wrk.lua")
RESULTS = ROOT / "bench" / "results.md"
RUNNER_LOG = ROOT / "bench" / "bench-runners.log"
PORT = 8791
PASSWORD = "bench-password-not-secret"  # noqa: S105 - synthetic benchmark users
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"

SIGNED_IN_FLOOR = "bare view, signed in (session + user only)"
PAGES = [
    # label, method, path, who ("anon", "heavy" = a seeded user with ~1,000 reviews, "fresh")
    ("bare Django view (ceiling)", "GET", "/bench/bare/", "anon"),
    (SIGNED_IN_FLOOR, "GET", "/bench/bare-signed-in/", "heavy"),
    ("landing page", "GET", "/", "anon"),
    (
        "bank list: filter + search",
        "GET",
        "/bank/?category=recsys&q=synthetic+question+12",
        "heavy",
    ),
    ("question page", "GET", "/q/syn-q-42/", "heavy"),
    ("practice page", "GET", "/practice/session/?scope=all", "heavy"),
    ("dashboard", "GET", "/dashboard/", "heavy"),
    ("post a rating (htmx)", "POST", "/practice/rate/", "fresh"),
]
# Measured again beside runner workers, quiet and under the infinite-loop load (queue step).
QUEUE_PAGES = [("question page", "/q/syn-q-42/"), (SIGNED_IN_FLOOR, "/bench/bare-signed-in/")]

QUERY_COUNT_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(get_user_model().objects.get(username="user-0"))
counts = {}
for path in PATHS:
    client.get(path)  # warm caches: count the steady state, as every later visitor sees it
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    counts[path] = len(queries) if status == 200 else f"HTTP {status}"
print("QUERY_COUNTS " + json.dumps(counts))
"""


def env_for(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        HTTPS="false",
        SECRET_KEY="bench-" + "k" * 50 + "-0123456789abcdef",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PREP_BENCH="true",
        PREP_CODE_RUNNER="off",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
        capture_output=capture,
    )  # fmt: skip
    return result.stdout if capture else ""


def fresh_database(kind: str, name: str = "") -> str:
    suffix = f"_{name}" if name else ""
    if kind == "sqlite":
        path = ROOT / "bench" / f"bench{suffix}.sqlite3"
        for extension in ("", "-wal", "-shm"):
            Path(str(path) + extension).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    database = f"prep_bench{suffix}"
    subprocess.run(
        ["psql", PG_ADMIN, "-q", "-c", f"DROP DATABASE IF EXISTS {database}"], check=True
    )
    subprocess.run(["psql", PG_ADMIN, "-q", "-c", f"CREATE DATABASE {database}"], check=True)
    return f"postgres://postgres@127.0.0.1:5432/{database}"


def start_server(env: dict) -> subprocess.Popen:
    server = subprocess.Popen(
        [GUNICORN, "prep.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/bare/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not start")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def login(username: str) -> tuple[str, str]:
    """Sign in through the real login form; returns (cookie header, csrf token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{PORT}"
    opener.open(f"{base}/accounts/login/")
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    )
    opener.open(
        urllib.request.Request(f"{base}/accounts/login/", data=data.encode(), method="POST")
    )
    if not any(c.name == "sessionid" for c in jar):
        raise SystemExit(f"could not sign in as {username}")
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    return "; ".join(f"{c.name}={c.value}" for c in jar), csrf


def wrk(path: str, method: str, cookie: str, csrf: str, args) -> dict:
    seconds, connections = args.seconds, args.connections
    env = dict(
        os.environ,
        BENCH_COOKIE=cookie,
        BENCH_CSRF=csrf,
        BENCH_METHOD=method,
        BENCH_PATH=path,
        BENCH_QUESTIONS=str(args.questions),
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", WRK_SCRIPT,
         f"http://127.0.0.1:{PORT}{path}"],
        env=env, capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    line = next(line for line in out.splitlines() if line.startswith("{"))
    figures = json.loads(line)
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def create_fresh_users(env: dict, count: int, first: int) -> None:
    """Users who have rated nothing yet: each rating run posts as a new one."""
    script = (
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.hashers import make_password\n"
        f"h = make_password({PASSWORD!r})\n"
        f"get_user_model().objects.bulk_create([get_user_model()(username=f'fresh-{{i}}', password=h) for i in range({first}, {first + count})])\n"
    )
    manage(env, "shell", "-c", script)


def fresh_user_count(env: dict) -> int:
    out = manage(env, "shell", "-c", "from django.contrib.auth import get_user_model\n"
                 "print('COUNT', get_user_model().objects.filter(username__startswith='fresh-').count())", capture=True)  # fmt: skip
    return int(out.split("COUNT", 1)[1])


def database_exists(kind: str) -> bool:
    if kind == "sqlite":
        return (ROOT / "bench" / "bench.sqlite3").exists()
    out = subprocess.run(["psql", PG_ADMIN, "-tAc", "SELECT 1 FROM pg_database WHERE datname = 'prep_bench'"],
                         capture_output=True, text=True).stdout  # fmt: skip
    return out.strip() == "1"


def existing_database(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{ROOT / 'bench' / 'bench.sqlite3'}"
    return "postgres://postgres@127.0.0.1:5432/prep_bench"


def bench_database(kind: str, args) -> dict:
    reuse = args.reuse_data and database_exists(kind)
    url = existing_database(kind) if reuse else fresh_database(kind)
    env = env_for(url)
    print(
        f"== {kind}: {'reuse the seeded data' if reuse else 'migrate, load the bank, seed'}",
        flush=True,
    )
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    timings = {"loadbank_s": None, "reload_s": None, "seed_s": None}
    if not reuse:
        began = time.perf_counter()
        manage(env, "loadbank", capture=True)
        timings["loadbank_s"] = time.perf_counter() - began
        began = time.perf_counter()
        manage(env, "loadbank", capture=True)
        timings["reload_s"] = time.perf_counter() - began
        began = time.perf_counter()
        manage(env, "seed_synthetic", "--questions", str(args.questions), "--users", str(args.users),
               "--reviews", str(args.reviews))  # fmt: skip
        timings["seed_s"] = time.perf_counter() - began
    create_fresh_users(env, args.runs * len(PAGES), first=fresh_user_count(env))
    paths = [p for _, method, p, who in PAGES if method == "GET" and who != "anon"]
    out = manage(env, "shell", "-c", f"PATHS = {paths!r}\n" + QUERY_COUNT_SCRIPT, capture=True)
    query_counts = json.loads(out.split("QUERY_COUNTS ", 1)[1])

    server = start_server(env)
    rows = []
    meter = queue_load.CpuMeter()
    fresh = iter(range(fresh_user_count(env) - args.runs * len(PAGES), 1_000_000))
    try:
        heavy = login("user-0")
        for label, method, path, who in PAGES:
            samples = []
            for _ in range(args.runs):
                cookie, csrf = ("", "")
                if who == "heavy":
                    cookie, csrf = heavy
                elif who == "fresh":
                    cookie, csrf = login(f"fresh-{next(fresh)}")
                samples.append(wrk(path, method, cookie, csrf, args))
            rows.append(
                {
                    "label": label,
                    "signed_in": who != "anon",
                    "rps": statistics.median(s["rps"] for s in samples),
                    "p50": statistics.median(s["p50_us"] for s in samples) / 1000,
                    "p95": statistics.median(s["p95_us"] for s in samples) / 1000,
                    "errors": sum(s["errors"] + s["bad_status"] for s in samples),
                    "requests": sum(s["requests"] for s in samples),
                    "queries": query_counts.get(path, "-")
                    if method == "GET" and who != "anon"
                    else "-",
                }
            )
            print(
                f"  {label}: {rows[-1]['rps']:.0f} req/s, p50 {rows[-1]['p50']:.1f} ms", flush=True
            )
    finally:
        stop_server(server)
    timings["others_cores"] = meter.others_cores()
    queue = None
    if args.runners:
        print(f"  code-run queue: {args.runners} runner worker(s), infinite-loop load", flush=True)
        runner_env = queue_load.with_runner(env)
        server = start_server(runner_env)
        try:
            queue = queue_load.measure_queue(
                env=runner_env, base=f"http://127.0.0.1:{PORT}", manage=manage, wrk=wrk,
                login=login, password=PASSWORD, pages=QUEUE_PAGES, args=args, log=RUNNER_LOG,
            )  # fmt: skip
        finally:
            stop_server(server)
        for page in queue.pages:
            print(f"  {page['label']}: p50 {page['quiet']['p50']:.1f} -> {page['loaded']['p50']:.1f} ms "
                  f"under load; p95 {page['quiet']['p95']:.1f} -> {page['loaded']['p95']:.1f} ms", flush=True)  # fmt: skip
        print(f"  typical submission: {queue.throughput['per_s']:.2f} runs/s; queue latency "
              f"{queue.latency['typical']}", flush=True)  # fmt: skip
    return {"rows": rows, "queue": queue, **timings}


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        )
    mem = next(
        (line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "0"
    )
    return f"{os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def table(result: dict) -> str:
    bare = result["rows"][0]
    floor = next(row for row in result["rows"] if row["label"] == SIGNED_IN_FLOOR)
    lines = [
        "| page | req/s | p50 ms | p95 ms | cost vs bare (req/s) | p50 vs bare "
        "| cost vs signed-in floor | SQL queries | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["rows"]:
        vs_floor = f"{floor['rps'] / row['rps']:.2f}x" if row["signed_in"] else "-"
        lines.append(
            f"| {row['label']} | {row['rps']:.0f} | {row['p50']:.1f} | {row['p95']:.1f} | "
            f"{bare['rps'] / row['rps']:.2f}x | {row['p50'] / bare['p50']:.2f}x | {vs_floor} | "
            f"{row['queries']} | {row['errors']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--reuse-data", action="store_true", help="keep an already seeded database")
    parser.add_argument(
        "--search",
        choices=("also", "only", "skip"),
        default="also",
        help="search at 10,000 and 100,000 questions (bench/search_scale.py, bench/search.md)",
    )
    # The code-run queue step (bench/queue_load.py); --runners 0 skips it.
    parser.add_argument(
        "--runners",
        type=int,
        default=max(1, (os.cpu_count() or 2) // 2),
        help="runner workers beside gunicorn (default: half the cores)",
    )
    parser.add_argument(
        "--runner-nice",
        type=int,
        default=0,
        help="run the runner workers under nice -n N (make serve does not)",
    )
    parser.add_argument("--loop-users", type=int, default=3)
    parser.add_argument("--loops-per-user", type=int, default=2)
    parser.add_argument(
        "--probe-users",
        type=int,
        default=3,
        help="users who submit a typical solution during the loop load",
    )
    parser.add_argument(
        "--probe-every",
        type=float,
        default=6.0,
        help="seconds between one probe user's submissions (12 a minute allowed)",
    )
    parser.add_argument(
        "--batch-users",
        type=int,
        default=30,
        help="users who queue 3 typical submissions each for the throughput",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian package 'wrk').")
    if args.runners and args.users < 100 + args.batch_users:
        raise SystemExit("the queue step signs in as user-10.. and user-100..: --users too small")
    if args.search != "skip":
        search_scale.write(
            {kind: search_scale.measure(kind, args, sys.modules[__name__])
             for kind in args.databases.split(",")},
            args, machine(),
        )  # fmt: skip
        if args.search == "only":
            return
    began, meter = time.monotonic(), queue_load.CpuMeter()
    results = {kind: bench_database(kind, args) for kind in args.databases.split(",")}
    took, others = time.monotonic() - began, meter.others_cores()
    parts = [
        "# prep benchmark\n",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        f"- data: {args.questions:,} synthetic questions + the real bank, {args.users:,} users, "
        f"{args.reviews:,} reviews (`seed_synthetic`)",
        f"- server: gunicorn, 2 sync workers, DEBUG off, whitenoise, on 127.0.0.1; load from wrk "
        f"on the same machine (2 threads, {args.connections} connections, {args.seconds} s per run)",
        f"- figures: median of {args.runs} runs; 'cost vs bare' = bare view req/s / page req/s; "
        "'cost vs signed-in floor' = the same against the signed-in bare view, which does only "
        "what every page behind the login must (read the session and the user)",
        f"- pages as a signed-in user with about {args.reviews // max(args.users, 1):,} reviews "
        "(user-0); ratings by fresh users, each on a question they have not seen",
        f"- the whole bench took {took / 60:.0f} min; other work on the machine (CPU not used by "
        "the bench, its servers or PostgreSQL) used "
        + (f"{others:.2f} cores on average" if others is not None else "an unknown share")
        + " meanwhile: figures taken while it was high are noisy",
        "",
    ]
    for kind, result in results.items():
        parts += [
            f"## {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}\n",
            table(result),
            "",
            (
                f"`loadbank` on the full bank: {result['loadbank_s']:.1f} s first load, "
                f"{result['reload_s']:.1f} s when nothing changed; seeding took {result['seed_s']:.0f} s."
                if result["seed_s"] is not None
                else "Run on data seeded by an earlier run (--reuse-data); see git history for load times."
            ),
            "",
        ]
        if result["others_cores"] is not None:
            parts += [
                f"Other work on the machine used {result['others_cores']:.2f} cores on average "
                "while these pages were measured.",
                "",
            ]
        if result["queue"] is not None:
            parts.append(queue_load.markdown(result["queue"], args))
    RESULTS.write_text("\n".join(parts))
    print(RESULTS.read_text())


if __name__ == "__main__":
    sys.exit(main())
