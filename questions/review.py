"""Review questions: does the user's test catch the flaw in the AI-written code?

A catching test must fail on the flawed code (the question's `## Given`, stored as its starter)
and pass on the reference solution; both runs happen in the sandbox, each under the same
contract as any test (`from solution import *`, or `QUERY` for SQL). A test that passes on
both misses the bug; one that fails on both would reject correct code too. The fix is graded
like a coding answer, by the question's own hidden tests (questions/code_runs.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from questions import runner

TEST_FUNCTION_RE = re.compile(r"^def test_\w*\s*\(", re.M)

CAUGHT, MISSES, TOO_STRICT, BACKWARDS, NO_TEST = (
    "caught", "misses", "too-strict", "backwards", "no-test",
)  # fmt: skip
MESSAGES = {
    CAUGHT: "Caught: your test fails on the AI's code and passes on a correct solution.",
    MISSES: (
        "Not caught: your test passes on the AI's code too, so it misses the bug. "
        "Test the input the code gets wrong."
    ),
    TOO_STRICT: (
        "Your test fails on a correct solution as well, so it would reject good code too: "
        "check what it expects (or the error it raises)."
    ),
    BACKWARDS: (
        "Backwards: your test passes on the AI's code but fails on a correct solution. "
        "Assert what the task asks for."
    ),
    NO_TEST: "Write your test as a function whose name starts with test_ (none was found).",
}


@dataclass
class CatchResult:
    verdict: str
    on_given: runner.RunResult | None = None
    on_solution: runner.RunResult | None = None

    @property
    def caught(self) -> bool:
        return self.verdict == CAUGHT

    @property
    def message(self) -> str:
        return MESSAGES[self.verdict]

    @property
    def runs(self) -> list[tuple[str, runner.RunResult]]:
        """Each run of the test that happened, with what it ran on, for the page."""
        labelled = (
            ("On the AI's code", self.on_given),
            ("On a correct solution", self.on_solution),
        )
        return [(label, result) for label, result in labelled if result is not None]

    def as_dict(self) -> dict:
        def run_dict(result: runner.RunResult | None) -> dict | None:
            if result is None:
                return None
            return {**result.as_dict(), "stdout": result.stdout, "stderr": result.stderr}

        return {
            "verdict": self.verdict,
            "caught": self.caught,
            "on_given": run_dict(self.on_given),
            "on_solution": run_dict(self.on_solution),
        }

    @classmethod
    def from_dict(cls, stored: dict) -> CatchResult:
        def result(data: dict | None) -> runner.RunResult | None:
            if not data:
                return None
            return runner.RunResult(
                tests=[runner.TestResult(**test) for test in data["tests"]],
                error=data["error"],
                stdout=data.get("stdout", ""),
                stderr=data.get("stderr", ""),
                wall_ms=data["wall_ms"],
            )

        verdict = stored.get("verdict")
        return cls(
            verdict if verdict in MESSAGES else NO_TEST,
            result(stored.get("on_given")),
            result(stored.get("on_solution")),
        )


def check_test(
    language: str, given: str, solution: str, test_code: str, *, complexity: str = ""
) -> CatchResult:
    """Run the user's `test_code` on the flawed code and on the reference solution."""
    if not TEST_FUNCTION_RE.search(test_code):
        return CatchResult(NO_TEST)
    on_given = runner.run(language, given, test_code, complexity=complexity)
    on_solution = runner.run(language, solution, test_code, complexity=complexity)
    if on_solution.all_passed:
        verdict = MISSES if on_given.all_passed else CAUGHT
    else:
        verdict = BACKWARDS if on_given.all_passed else TOO_STRICT
    return CatchResult(verdict, on_given, on_solution)
