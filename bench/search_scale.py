"""Search at 10,000 and at 100,000 questions, side by side (part of `make bench`).

For each database, a database of its own holding only synthetic questions (varied text: a few
common ML words in many questions, most words in few) and one user: seed the smaller size,
measure each search page with wrk, add questions up to the larger size, measure again. The
bank page with a query is what a user sees: ranked matches, highlighted, 25 a page.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "search.md"

SEARCHES = [
    ("a common word", "/bank/?q=regularization"),
    ("two words", "/bank/?q=gradient+ranking"),
    ("a prefix being typed", "/bank/?q=regul"),
    ("a common word, one category", "/bank/?q=model&category=recsys"),
    ("a phrase", "/bank/?q=%22learning+rate%22"),
]
SIZES = (10_000, 100_000)


def measure(kind: str, args, run) -> dict:
    """`run` is bench/run.py's module: its database, server, login and wrk helpers."""
    url = run.fresh_database(kind, name="search")
    env = run.env_for(url)
    run.manage(env, "migrate", "--noinput", "--verbosity", "0")
    run.manage(env, "createcachetable")
    run.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    results: dict[str, dict[int, dict]] = {label: {} for label, _ in SEARCHES}
    seeded = 0
    for size in SIZES:
        print(f"  search at {size:,} questions ({kind})", flush=True)
        run.manage(env, "seed_synthetic", "--questions", str(size - seeded), "--first",
                   str(seeded), "--users", "1" if not seeded else "0", "--reviews", "0",
                   capture=True)  # fmt: skip
        seeded = size
        server = run.start_server(env)
        try:
            cookie, csrf = run.login("user-0")
            for label, path in SEARCHES:
                samples = [run.wrk(path, "GET", cookie, csrf, args) for _ in range(args.runs)]
                results[label][size] = {
                    "rps": statistics.median(s["rps"] for s in samples),
                    "p50": statistics.median(s["p50_us"] for s in samples) / 1000,
                    "p95": statistics.median(s["p95_us"] for s in samples) / 1000,
                    "errors": sum(s["errors"] + s["bad_status"] for s in samples),
                }
        finally:
            run.stop_server(server)
    return results


def write(by_database: dict, args, machine: str) -> None:
    parts = [
        "# prep benchmark: search at scale\n",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine}",
        "- data: synthetic questions only (title, a 40-word prompt, a 120-word answer; a few "
        "common ML words in many questions, most words in few), one signed-in user",
        f"- server: gunicorn, 2 sync workers, DEBUG off; wrk on the same machine (2 threads, "
        f"{args.connections} connections, {args.seconds} s per run); median of {args.runs} runs",
        "- each request is the bank page a user sees: the matches ranked (title, then prompt, "
        "then answer, then bm25 / ts_rank), 25 a page with the count, words marked",
        "",
    ]
    for kind, results in by_database.items():
        parts += [f"## {'SQLite (FTS5)' if kind == 'sqlite' else 'PostgreSQL (tsvector)'}\n"]
        parts.append(markdown(results))
    RESULTS.write_text("\n".join(parts))
    print(RESULTS.read_text())


def markdown(results: dict) -> str:
    small, large = SIZES
    lines = [
        f"| search | req/s at {small:,} | p50 ms | req/s at {large:,} | p50 ms | p95 ms at "
        f"{large:,} | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (label, path), (_, sizes) in zip(SEARCHES, results.items(), strict=True):
        a, b = sizes[small], sizes[large]
        lines.append(
            f"| {label} (`{path}`) | {a['rps']:.0f} | {a['p50']:.1f} | {b['rps']:.0f} | "
            f"{b['p50']:.1f} | {b['p95']:.1f} | {a['errors'] + b['errors']} |"
        )
    return "\n".join(lines) + "\n"
