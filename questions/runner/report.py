"""What a run produced, read back into a RunResult.

Results come back as data, parsed strictly: the user's code shares the harness' process and
can write anything into the report.
"""

from __future__ import annotations

import json
import math
import re
import signal
from dataclasses import dataclass, field

from questions.runner.limits import Limits, MiB

OUTPUT_CAP = 16_000  # characters of stdout/stderr shown back
RESULTS_CAP = 4_000_000  # bytes of the harness' JSON report read back
MAX_REPORTED_TESTS = 200
NAME_CAP = 200
MESSAGE_CAP = 4000
# A failing test's details (harness.py): the failed assert, what was called, expected, returned
# and printed. The harness keeps each below these; anything longer is not its report.
DETAIL_KEYS = frozenset({
    "assertion", "message", "call", "expected", "got", "left", "right", "tolerance",
    "difference", "printed",
})  # fmt: skip
DETAIL_CAP = 1_000
PRINTED_CAP = 2_200


@dataclass
class TestResult:
    name: str
    passed: bool
    message: str = ""
    ms: float = 0.0
    # Optional, for a failing test: {"assertion": ..., "call": ..., "expected": ..., "got": ...,
    # "tolerance": ..., "printed": ...} (DETAIL_KEYS). Results stored before details have none.
    details: dict[str, str] = field(default_factory=dict)


@dataclass
class RunResult:
    tests: list[TestResult] = field(default_factory=list)
    error: str = ""  # the code could not load, or a limit ended the run
    stdout: str = ""
    stderr: str = ""
    wall_ms: float = 0.0
    mode: str = ""

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def first_failure(self) -> str:
        return next((t.name for t in self.tests if not t.passed), "")

    @property
    def all_passed(self) -> bool:
        return bool(self.tests) and not self.error and self.passed == self.total

    def as_dict(self) -> dict:
        return {
            "passed": self.passed,
            "total": self.total,
            "all_passed": self.all_passed,
            "error": self.error,
            "wall_ms": round(self.wall_ms, 1),
            "tests": [t.__dict__ for t in self.tests],
        }


class InvalidReport(ValueError):
    """The report is not what the harness writes: the user's code wrote something else."""


INVALID_REPORT = "The run produced an invalid report: its results cannot be trusted or shown."
MAX_REPORT_DEPTH = 4  # {"tests": [{..., "details": {...}}]}
# A JSON string, or an unterminated one up to the end (so every scan stays linear).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_EMPTY_PAIR = re.compile(r"\[\]|\{\}")


def _reject_constant(name: str):
    raise InvalidReport(f"{name} is not a number")


def _nesting_within(text: str, limit: int) -> bool:
    """Whether arrays and objects nest at most `limit` deep (and balance), before json.loads:
    each pass removes the innermost empty pairs, so `limit` passes empty a shallow document."""
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    for _ in range(limit):
        brackets = _EMPTY_PAIR.sub("", brackets)
    return not brackets


def _clean_text(value, cap: int) -> str:
    if not isinstance(value, str):
        raise InvalidReport("not a string")
    # PostgreSQL refuses NUL and unpaired surrogates (in text and in jsonb).
    value = value[: cap * 2].replace("\x00", "")
    return value.encode("utf-8", "replace").decode("utf-8")[:cap]


def _details(value) -> dict[str, str]:
    """A test's details: known keys only, each a string within its cap (else not the harness')."""
    if type(value) is not dict or not value.keys() <= DETAIL_KEYS:
        raise InvalidReport("details is not an object of known fields")
    details = {}
    for key, text in value.items():
        cap = PRINTED_CAP if key == "printed" else DETAIL_CAP
        if type(text) is not str or len(text) > cap:
            raise InvalidReport(f"details.{key} is not a string of at most {cap} characters")
        details[key] = _clean_text(text, cap)
    return details


def _number(value) -> float:
    if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
        raise InvalidReport("not a finite, non-negative number")
    return round(float(value), 2)


_FIELDS = {"name", "passed", "message", "ms"}


def parse_report(raw: bytes) -> tuple[list[TestResult], str]:
    """The harness' report as (tests, error), or InvalidReport for anything it would not write."""
    if len(raw) > RESULTS_CAP:
        raise InvalidReport("too large")
    try:
        text = raw.decode("utf-8")
        if not _nesting_within(text, MAX_REPORT_DEPTH):
            raise InvalidReport("nested too deeply")
        report = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeError included
        raise InvalidReport(str(exc)[:100]) from None
    if type(report) is not dict or not {"tests", "error"} <= report.keys() <= {
        "tests",
        "error",
        "load_ms",
    }:
        raise InvalidReport("not a report")
    items, error = report["tests"], report["error"]
    if type(items) is not list or len(items) > MAX_REPORTED_TESTS:
        raise InvalidReport("tests is not a list of at most the allowed length")
    if "load_ms" in report:
        _number(report["load_ms"])
    tests = []
    for item in items:
        if type(item) is not dict or not _FIELDS <= item.keys() <= _FIELDS | {"details"}:
            raise InvalidReport("not a test result")
        if type(item["passed"]) is not bool:
            raise InvalidReport("passed is not a boolean")
        tests.append(
            TestResult(
                _clean_text(item["name"], NAME_CAP),
                item["passed"],
                _clean_text(item["message"], MESSAGE_CAP),
                _number(item["ms"]),
                _details(item["details"]) if "details" in item else {},
            )
        )
    return tests, "" if error is None else _clean_text(error, MESSAGE_CAP)


def _read_capped(handle, cap: int) -> str:
    handle.seek(0)
    data = handle.read(cap + 1)
    text = data[:cap].decode("utf-8", errors="replace")
    return text + ("\n… output truncated" if len(data) > cap else "")


def collect(
    results,
    stdout,
    stderr,
    returncode,
    wall_ms: float,
    current: str,
    limits: Limits,
    *,
    oom: bool = False,
    too_slow: str = "",
) -> RunResult:
    results.seek(0)
    raw = results.read(RESULTS_CAP + 1)
    tests, error, invalid = [], "", False
    if raw:
        try:
            tests, error = parse_report(raw)
        except InvalidReport:
            invalid = True
    err_text = _read_capped(stderr, OUTPUT_CAP)
    if returncode is None:
        error = too_slow or (
            f"Time limit exceeded: the run was stopped after {limits.wall_seconds:g} seconds."
        )
    elif oom:
        error = f"Memory limit exceeded ({limits.total_memory_bytes // MiB} MB for the whole run)."
    elif (
        returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGKILL)
        and not error
    ):
        error = too_slow or (
            f"CPU time limit exceeded ({limits.cpu_seconds} s): is there an infinite loop?"
        )
    elif invalid:
        error = INVALID_REPORT
    elif not raw:
        error = _explain_crash(err_text, limits)
    return RunResult(
        tests=tests,
        error=error,
        stdout=_read_capped(stdout, OUTPUT_CAP),
        stderr=err_text,
        wall_ms=wall_ms,
        mode=current,
    )


def _explain_crash(stderr: str, limits: Limits) -> str:
    memory_mb = limits.memory_bytes // MiB
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
        return f"Memory limit exceeded ({memory_mb} MB)."
    if "No space left on device" in stderr:
        return f"Disk limit exceeded: /tmp holds at most {limits.tmp_bytes // MiB} MB."
    if not stderr:
        return f"The run ended without a result: a limit stopped it (CPU {limits.cpu_seconds} s, memory {memory_mb} MB)."
    return "The run crashed before reporting results. See the error output below."
