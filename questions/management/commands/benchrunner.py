"""Measure the code runner: sandbox overhead and a typical question end to end (medians).

A benchmark, not a test: it prints figures for the README and release notes.
"""

import statistics
import time

from django.core.management.base import BaseCommand

from questions import runner
from questions.loader import DEFAULT_BANK, read_bank


class Command(BaseCommand):
    help = "Time the code runner: empty run (sandbox overhead) and real bank questions."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=15)

    def handle(self, *args, repeat, **options):
        _, parsed = read_bank(DEFAULT_BANK)
        coding = [q for q, _ in parsed if q.kind == "coding"]
        samples = {
            "empty test (sandbox overhead)": (
                "python",
                "X = 1\n",
                "def test_example():\n    pass\n",
            ),
        }
        for slug in ("two-sum-indices", "stable-softmax", "sql-top-pin-per-board"):
            q = next((q for q in coding if q.slug == slug), None)
            if q:
                samples[f"{slug} (all tests)"] = (q.language, q.solution, q.tests)
        self.stdout.write(f"runner mode: {runner.mode()}; {repeat} runs each; median (min-max) ms")
        for label, (language, code, tests) in samples.items():
            walls = []
            for _ in range(repeat):
                started = time.perf_counter()
                result = runner.run(language, code, tests)
                walls.append((time.perf_counter() - started) * 1000)
                assert result.all_passed, (label, result.error, result.tests)
            self.stdout.write(
                f"  {label}: {statistics.median(walls):.0f} ({min(walls):.0f}-{max(walls):.0f})"
            )
