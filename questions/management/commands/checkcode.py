"""Run bank coding and review questions' code through the sandbox (CI: make check-bank).

For each coding question file: the reference solution must pass every test, the starter must
fail one, and every wrong answer must fail one; for a review question the flawed code (its
'## Given') takes the starter's place. Prints each verdict with its time, so authors
can size complexity tests (the reference well under a second, a too-slow answer past the CPU
limit). Exits non-zero on any problem. Reads files; writes nothing.

`--jobs N` checks N questions at a time (each run is a sandboxed subprocess, so threads are
enough); the report keeps the files' order. CI runs the whole bank this way (make check-bank).
"""

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions import runner
from questions.authoring import what_is_wrong
from questions.bankfile import RUNNABLE_KINDS, BankFormatError, parse
from questions.loader import DEFAULT_BANK


class Command(BaseCommand):
    help = "Check coding and review questions' reference, starter or given code, and wrong answers."

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", help="question files or folders (default: the whole bank)"
        )
        parser.add_argument(
            "--jobs", type=int, default=1, help="questions checked at a time (default 1)"
        )

    def handle(self, *args, paths, jobs, **options):
        files = []
        for raw in paths or [str(DEFAULT_BANK)]:
            path = Path(raw)
            files += sorted(path.rglob("*.md")) if path.is_dir() else [path]
        problems = 0
        runnable = []
        for path in files:
            try:
                question = parse(path.read_text(encoding="utf-8"), str(path))
            except BankFormatError as exc:
                self.stderr.write(str(exc))
                problems += 1
                continue
            if question.kind in RUNNABLE_KINDS:
                runnable.append((path, question))
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for lines, found in pool.map(lambda pair: self._check(*pair), runnable):
                self.stdout.write("\n".join(lines))
                problems += found
        if problems:
            raise CommandError(f"{problems} problem(s) found.")
        self.stdout.write(
            "Every reference passes; every starter, given code and wrong answer fails."
        )

    def _check(self, path: Path, question) -> tuple[list[str], int]:
        """The report lines for one question, and how many of its checks failed."""
        lines, problems = [], 0
        start = "given code" if question.kind == "review" else "starter"
        runs = [("reference", question.solution, True), (start, question.starter, False)]
        runs += [
            (f"wrong answer {n} ({what_is_wrong(code, question.language)})", code, False)
            for n, code in enumerate(question.wrong_answers, start=1)
        ]
        for label, code, should_pass in runs:
            began = time.perf_counter()
            result = runner.run(
                question.language, code, question.tests, complexity=question.complexity
            )
            seconds = time.perf_counter() - began
            ok = result.all_passed == should_pass
            problems += not ok
            verdict = "passes" if result.all_passed else "fails"
            detail = "" if result.all_passed else f": {_first_problem(result)}"
            lines.append(
                f"{'ok  ' if ok else 'BAD '} {path.name}: {label} {verdict} "
                f"({result.passed}/{result.total}, {seconds:.2f} s){detail}"
            )
        return lines, problems


def _first_problem(result) -> str:
    if result.error:
        return " ".join(result.error.split())[:120]
    failed = next((t for t in result.tests if not t.passed), None)
    return f"{failed.name}: {' '.join(failed.message.split())[:100]}" if failed else ""
