"""Run a user's code against a question's tests in a separate, locked-down process.

The web process never imports or executes user code. It writes the code, the tests and a
small harness into a fresh temporary folder and starts the harness in a new process:

- `bwrap` (default where bubblewrap is installed): namespaces, a read-only system, nothing of
  the host's files or environment but what the run needs, and a seccomp filter (`sandbox`,
  `seccomp`). The harness then drops to a user id of its own (if started as root) and applies
  rlimits before the user's code runs.
- `subprocess`: the same harness and rlimits, a scrubbed environment, no namespaces. For one
  person on their own machine only (a system check warns when DEBUG is off).
- `off`: running code is disabled.

Where the server may create cgroups, each run gets its own, capping the whole run
(`cgroups`); elsewhere the run gets fewer and smaller processes (`limits`). Results come back
as data, parsed strictly (`report`). This module is the package's API and runs those steps in
order; `harness.py` is what runs inside the new process, standard library only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings

from questions.runner import cgroups, report, sandbox
from questions.runner.cgroups import cgroup_support
from questions.runner.limits import Limits, RunnerDisabled, without_cgroup
from questions.runner.report import RunResult, TestResult
from questions.runner.seccomp import seccomp_program

__all__ = [
    "Limits",
    "RunResult",
    "RunnerDisabled",
    "TestResult",
    "cgroup_support",
    "example_test_names",
    "mode",
    "run",
    "seccomp_program",
]


def mode() -> str:
    return settings.PREP_CODE_RUNNER


def example_test_names(test_code: str) -> list[str]:
    """The tests shown by "Run": those named test_example... (the bank format's convention)."""
    names = []
    for line in test_code.splitlines():
        if line.startswith("def test_example"):
            names.append(line[4:].split("(", 1)[0].strip())
    return names


def run(
    language: str,
    code: str,
    test_code: str,
    *,
    only: list[str] | None = None,
    limits: Limits | None = None,
    complexity: str = "",
) -> RunResult:
    """Run `code` (python or sql) against `test_code`; only the named tests if given. With the
    question's required `complexity`, running out of time is reported as too slow for it."""
    limits = limits or Limits()
    too_slow = (
        f"Too slow for the required {complexity}: the code ran out of CPU time "
        f"({limits.cpu_seconds} s) on an input sized so that such a solution needs well under a "
        "second."
        if complexity
        else ""
    )
    current = mode()
    if current not in {"bwrap", "subprocess"}:
        raise RunnerDisabled("Running code is turned off on this server (PREP_CODE_RUNNER=off).")
    if current == "bwrap" and not shutil.which("bwrap"):
        raise RunnerDisabled("PREP_CODE_RUNNER=bwrap but bubblewrap (bwrap) is not installed.")
    program = seccomp_program() if current == "bwrap" else b""

    with tempfile.TemporaryDirectory(prefix="prep-run-") as tmp, contextlib.ExitStack() as stack:
        root = Path(tmp)
        src = root / "src"
        src.mkdir()
        group = cgroups.create_run_group(limits)
        if group is not None:
            stack.callback(group.close)
        effective = limits if group is not None else without_cgroup(limits)
        sandbox.write_sources(
            src, language, code, test_code, only, effective, bwrap=current == "bwrap",
            too_slow=too_slow,
        )  # fmt: skip
        # The harness drops to an unprivileged user id when started as root: it must still read
        # its files.
        for path in (root, src, *src.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
        stdout = stack.enter_context(open(root / "stdout", "w+b"))
        stderr = stack.enter_context(open(root / "stderr", "w+b"))
        results = stack.enter_context(open(root / "results", "w+b"))
        fds = [results.fileno()]
        if current == "bwrap":
            (root / "seccomp.bpf").write_bytes(program)
            inputs = {path.name: path for path in sorted(src.iterdir())}
            inputs[""] = root / "seccomp.bpf"
            opened = {name: _open_for_reading(stack, path) for name, path in inputs.items()}
            fds += opened.values()
            command = sandbox.bwrap_command(results.fileno(), opened, effective)
        else:
            command = sandbox.harness_command(sandbox.interpreter(), results.fileno())
        if group is not None:
            command = group.enter(command)
        started = time.perf_counter()
        returncode = sandbox.execute(command, src, stdout, stderr, fds, limits)
        wall_ms = (time.perf_counter() - started) * 1000
        oom = group is not None and group.oom_killed()
        return report.collect(
            results, stdout, stderr, returncode, wall_ms, current, effective, oom=oom,
            too_slow=too_slow,
        )  # fmt: skip


def _open_for_reading(stack: contextlib.ExitStack, path: Path) -> int:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    stack.callback(os.close, fd)
    return fd
