"""Run a user's code against a question's tests in a separate, locked-down process.

The web process never imports or executes user code. It writes the code, the tests and a
small harness into a fresh temporary folder and starts the harness in a new process:

- `bwrap` (default where bubblewrap is installed): new PID, network, IPC and UTS namespaces
  (no network at all, not even loopback), the system mounted read-only, only the Python
  interpreter and numpy visible, a private /tmp, the code folder read-only, no environment
  variables, a new session, and it dies with its parent. The harness then drops to the
  `nobody` user (if started as root) and applies rlimits before the user's code runs.
- `subprocess`: the same harness and rlimits, a scrubbed environment, no namespaces. For one
  person on their own machine only (a system check warns when DEBUG is off).
- `off`: running code is disabled.

A wall-clock timeout kills the whole process group. Results come back as data.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

HARNESS = Path(__file__).with_name("harness.py")
SANDBOX_DIR = "/sandbox"
SANDBOX_SITE = "/opt/site"
OUTPUT_CAP = 16_000  # characters of stdout/stderr shown back
RESULTS_CAP = 1_000_000  # bytes of the harness' JSON report read back


class RunnerDisabled(Exception):
    """PREP_CODE_RUNNER is off (or bwrap was asked for and is missing)."""


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 5
    wall_seconds: float = 10.0
    memory_bytes: int = 1024 * 1024 * 1024
    processes: int = 32
    file_bytes: int = 1024 * 1024
    open_files: int = 64


@dataclass
class TestResult:
    name: str
    passed: bool
    message: str = ""
    ms: float = 0.0


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
) -> RunResult:
    """Run `code` (python or sql) against `test_code`; only the named tests if given."""
    limits = limits or Limits()
    current = mode()
    if current not in {"bwrap", "subprocess"}:
        raise RunnerDisabled("Running code is turned off on this server (PREP_CODE_RUNNER=off).")
    if current == "bwrap" and not shutil.which("bwrap"):
        raise RunnerDisabled("PREP_CODE_RUNNER=bwrap but bubblewrap (bwrap) is not installed.")

    with tempfile.TemporaryDirectory(prefix="prep-run-") as tmp:
        root = Path(tmp)
        src = root / "src"
        src.mkdir()
        _write_sources(src, language, code, test_code, only, limits, drop_root=current == "bwrap")
        # The harness drops to `nobody` when started as root: it must still read its files.
        for path in (root, src, *src.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
        with (
            open(root / "stdout", "w+b") as stdout,
            open(root / "stderr", "w+b") as stderr,
            open(root / "results", "w+b") as results,
        ):
            command = _command(current, src, results.fileno())
            started = time.perf_counter()
            returncode = _execute(command, src, stdout, stderr, results.fileno(), limits)
            wall_ms = (time.perf_counter() - started) * 1000
            return _collect(results, stdout, stderr, returncode, wall_ms, current, limits)


def _write_sources(
    src: Path, language, code, test_code, only, limits: Limits, *, drop_root: bool
) -> None:
    if language == "sql":
        (src / "solution.sql").write_text(code)
        # The bank contract: SQL tests see the user's query as the global QUERY.
        (src / "solution.py").write_text(
            "from pathlib import Path as _Path\n"
            "QUERY = _Path(__file__).with_name('solution.sql').read_text()\n"
        )
    else:
        (src / "solution.py").write_text(code)
    (src / "tests.py").write_text("from solution import *  # noqa\n" + test_code)
    shutil.copy(HARNESS, src / "harness.py")
    config = {
        "only": only or [],
        "drop_root": drop_root,
        "limits": {k: v for k, v in limits.__dict__.items() if k != "wall_seconds"},
    }
    (src / "config.json").write_text(json.dumps(config))


def _interpreter() -> Path:
    base = Path(sys.base_prefix)
    candidate = base / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return candidate if candidate.exists() else Path(sys.executable).resolve()


def _numpy_dirs() -> list[Path]:
    try:
        import numpy
    except ImportError:
        return []
    package = Path(numpy.__file__).resolve().parent
    libs = package.with_name("numpy.libs")
    return [package, *([libs] if libs.exists() else [])]


def _clean_env(python_path: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",  # noqa: S108 - the sandbox's own private tmpfs
        "LANG": "C.UTF-8",
        "PYTHONPATH": python_path,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _command(current: str, src: Path, results_fd: int) -> list[str]:
    python = _interpreter()
    harness = [str(python), "-s", "-B", "harness.py", str(results_fd)]
    if current == "subprocess":
        return harness
    base = Path(sys.base_prefix).resolve()
    command = ["bwrap", "--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid",
               "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]  # fmt: skip
    if os.geteuid() == 0:
        # As root bwrap needs no user namespace; keep only what the harness needs to drop to
        # `nobody`, where the process limit applies (root is exempt from RLIMIT_NPROC).
        command += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        command += ["--unshare-user"]
    command += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "lib32", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            command += ["--ro-bind", str(path), str(path)]
    if Path("/etc/ld.so.cache").exists():
        command += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    if not str(base).startswith("/usr/"):
        command += [*_parent_dirs(base), "--ro-bind", str(base), str(base)]
    command += _parent_dirs(Path(SANDBOX_SITE) / "x")
    for path in _numpy_dirs():
        command += ["--ro-bind", str(path), f"{SANDBOX_SITE}/{path.name}"]
    command += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",  # noqa: S108
                "--ro-bind", str(src), SANDBOX_DIR, "--chdir", SANDBOX_DIR, "--clearenv"]  # fmt: skip
    for key, value in _clean_env(SANDBOX_SITE).items():
        command += ["--setenv", key, value]
    return command + harness


def _parent_dirs(path: Path) -> list[str]:
    """Create the mount point's parents traversable: bwrap (as root) makes them 0700, and the
    harness runs as `nobody`."""
    args = []
    for parent in reversed(path.parents[:-1]):
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _execute(command, src: Path, stdout, stderr, results_fd: int, limits: Limits) -> int | None:
    """Start the process and wait; on the wall-clock limit kill its whole group (None)."""
    env = _clean_env(":".join(str(p.parent) for p in _numpy_dirs()[:1]))
    process = subprocess.Popen(  # noqa: S603 - a fixed command line, user code is only data
        command,
        cwd=src,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        pass_fds=(results_fd,),
        env=env,
        start_new_session=True,
    )
    try:
        return process.wait(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return None


def _read_capped(handle, cap: int) -> str:
    handle.seek(0)
    data = handle.read(cap + 1)
    text = data[:cap].decode("utf-8", errors="replace")
    return text + ("\n… output truncated" if len(data) > cap else "")


def _collect(
    results, stdout, stderr, returncode, wall_ms: float, current: str, limits: Limits
) -> RunResult:
    results.seek(0)
    raw = results.read(RESULTS_CAP)
    try:
        report = json.loads(raw) if raw else {}
    except ValueError:
        report = {}
    tests = []
    for item in report.get("tests", []) if isinstance(report, dict) else []:
        try:
            tests.append(
                TestResult(
                    str(item["name"])[:200],
                    bool(item["passed"]),
                    str(item.get("message", ""))[:4000],
                    float(item.get("ms", 0)),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    error = str(report.get("error") or "") if isinstance(report, dict) else ""
    err_text = _read_capped(stderr, OUTPUT_CAP)
    if returncode is None:
        error = f"Time limit exceeded: the run was stopped after {limits.wall_seconds:g} seconds."
    elif (
        returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGKILL)
        and not error
    ):
        error = f"CPU time limit exceeded ({limits.cpu_seconds} s): is there an infinite loop?"
    elif not report:
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
    memory_mb = limits.memory_bytes // (1024 * 1024)
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
        return f"Memory limit exceeded ({memory_mb} MB)."
    if not stderr:
        return f"The run ended without a result: a limit stopped it (CPU {limits.cpu_seconds} s, memory {memory_mb} MB)."
    return "The run crashed before reporting results. See the error output below."
