"""Run a user's code against a question's tests in a separate, locked-down process.

The web process never imports or executes user code. It writes the code, the tests and a
small harness into a fresh temporary folder and starts the harness in a new process:

- `bwrap` (default where bubblewrap is installed): new PID, network, IPC and UTS namespaces
  (no network at all, not even loopback), the system mounted read-only, only the Python
  interpreter (at /opt/python) and numpy visible, no /proc, a private size-limited /tmp, the
  code copied in read-only, no environment variables, a new session, a seccomp filter that
  refuses namespaces, mounts, ptrace and other kernel attack surface, and it dies with its
  parent. The harness then drops to the `nobody` user (if started as root) and applies
  rlimits before the user's code runs.
- `subprocess`: the same harness and rlimits, a scrubbed environment, no namespaces. For one
  person on their own machine only (a system check warns when DEBUG is off).
- `off`: running code is disabled.

Where the server may create cgroups (root with a writable memory controller), each run gets
its own cgroup: memory (files in /tmp included) and processes are capped for the whole run,
and every process of the run is killed when it ends. Elsewhere the run gets fewer and smaller
processes so that their product stays bounded. A wall-clock timeout kills the whole process
group. Results come back as data, parsed strictly: the user's code shares the harness'
process and can write anything into the report.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import platform
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

HARNESS = Path(__file__).with_name("harness.py")
SANDBOX_DIR = "/sandbox"
SANDBOX_SITE = "/opt/site"
SANDBOX_PYTHON = "/opt/python"
OUTPUT_CAP = 16_000  # characters of stdout/stderr shown back
RESULTS_CAP = 4_000_000  # bytes of the harness' JSON report read back
MAX_REPORTED_TESTS = 200
NAME_CAP = 200
MESSAGE_CAP = 4000
MiB = 1024 * 1024
# Without a cgroup nothing sums memory over processes: at most this many processes of at
# most FALLBACK_TOTAL / FALLBACK_PROCESSES address space each.
FALLBACK_PROCESSES = 8
FALLBACK_TOTAL = 2048 * MiB


class RunnerDisabled(Exception):
    """PREP_CODE_RUNNER is off (or bwrap was asked for and is missing)."""


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 5
    wall_seconds: float = 10.0
    memory_bytes: int = 1024 * MiB  # address space, per process
    total_memory_bytes: int = 1024 * MiB  # the whole run, /tmp included (with a cgroup)
    processes: int = 32
    file_bytes: int = 1 * MiB
    open_files: int = 64
    tmp_bytes: int = 64 * MiB  # the private /tmp (bwrap)


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
    seccomp = seccomp_program() if current == "bwrap" else b""

    with tempfile.TemporaryDirectory(prefix="prep-run-") as tmp, contextlib.ExitStack() as stack:
        root = Path(tmp)
        src = root / "src"
        src.mkdir()
        group = _create_run_group(limits)
        if group is not None:
            stack.callback(group.close)
        effective = limits if group is not None else _without_cgroup(limits)
        _write_sources(src, language, code, test_code, only, effective, bwrap=current == "bwrap")
        # The harness drops to `nobody` when started as root: it must still read its files.
        for path in (root, src, *src.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
        stdout = stack.enter_context(open(root / "stdout", "w+b"))
        stderr = stack.enter_context(open(root / "stderr", "w+b"))
        results = stack.enter_context(open(root / "results", "w+b"))
        fds = [results.fileno()]
        if current == "bwrap":
            (root / "seccomp.bpf").write_bytes(seccomp)
            inputs = {path.name: path for path in sorted(src.iterdir())}
            inputs[""] = root / "seccomp.bpf"
            opened = {name: _open_for_reading(stack, path) for name, path in inputs.items()}
            fds += opened.values()
            command = _bwrap_command(results.fileno(), opened, effective)
        else:
            command = _harness_command(_interpreter(), results.fileno())
        if group is not None:
            command = group.enter(command)
        started = time.perf_counter()
        returncode = _execute(command, src, stdout, stderr, fds, limits)
        wall_ms = (time.perf_counter() - started) * 1000
        oom = group is not None and group.oom_killed()
        return _collect(results, stdout, stderr, returncode, wall_ms, current, effective, oom=oom)


def _open_for_reading(stack: contextlib.ExitStack, path: Path) -> int:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    stack.callback(os.close, fd)
    return fd


def _without_cgroup(limits: Limits) -> Limits:
    processes = min(limits.processes, FALLBACK_PROCESSES)
    memory = min(limits.memory_bytes, FALLBACK_TOTAL // processes)
    return replace(
        limits, processes=processes, memory_bytes=memory, total_memory_bytes=processes * memory
    )


def _write_sources(
    src: Path, language, code, test_code, only, limits: Limits, *, bwrap: bool
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
        "drop_root": bwrap,
        "max_tests": MAX_REPORTED_TESTS,
        "tmp_mb": limits.tmp_bytes // MiB if bwrap else None,
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


def _harness_command(python: Path | str, results_fd: int) -> list[str]:
    return [str(python), "-s", "-B", "harness.py", str(results_fd)]


def _bwrap_command(results_fd: int, inputs: dict[str, int], limits: Limits) -> list[str]:
    """The bubblewrap command line. `inputs` maps each file of the run to an open descriptor
    (the key "" is the seccomp program): bwrap copies them in, so no host folder is mounted
    and nothing inside (there is no /proc either) names a host path."""
    base = Path(sys.base_prefix).resolve()
    command = ["bwrap", "--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid",
               "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]  # fmt: skip
    if os.geteuid() == 0:
        # As root bwrap needs no user namespace; keep only what the harness needs to drop to
        # `nobody`, where the process limit applies (root is exempt from RLIMIT_NPROC). Mapping
        # `nobody` in a user namespace would run it as host root. The seccomp filter refuses
        # new user namespaces instead of --disable-userns (which needs --unshare-user).
        command += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        command += ["--unshare-user", "--disable-userns"]
    command += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "lib32", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            command += ["--ro-bind", str(path), str(path)]
    if Path("/etc/ld.so.cache").exists():
        command += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    command += _parent_dirs(Path(SANDBOX_SITE) / "x")
    python = _interpreter()
    env = _clean_env(SANDBOX_SITE)
    if not str(base).startswith("/usr/"):
        # The interpreter's own folder (e.g. pyenv's under /root) appears as /opt/python.
        with contextlib.suppress(ValueError):
            python = Path(SANDBOX_PYTHON) / python.resolve().relative_to(base)
        command += ["--ro-bind", str(base), SANDBOX_PYTHON]
        if any((base / "lib").glob("libpython*.so*")):
            # Its RUNPATH names the host folder: find libpython at the new place.
            env["LD_LIBRARY_PATH"] = f"{SANDBOX_PYTHON}/lib"
    for path in _numpy_dirs():
        command += ["--ro-bind", str(path), f"{SANDBOX_SITE}/{path.name}"]
    command += ["--dev", "/dev",
                "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",  # noqa: S108
                "--perms", "0755", "--dir", SANDBOX_DIR]  # fmt: skip
    for name, fd in inputs.items():
        if name:
            command += ["--perms", "0444", "--file", str(fd), f"{SANDBOX_DIR}/{name}"]
    # Nothing but /tmp stays writable (without root, bwrap's own tmpfs root and /dev would be
    # writable by the sandbox user and unlimited).
    command += ["--remount-ro", "/dev", "--remount-ro", "/", "--seccomp", str(inputs[""]),
                "--chdir", SANDBOX_DIR, "--clearenv"]  # fmt: skip
    for key, value in env.items():
        command += ["--setenv", key, value]
    return command + _harness_command(python, results_fd)


def _parent_dirs(path: Path) -> list[str]:
    """Create the mount point's parents traversable: bwrap (as root) makes them 0700, and the
    harness runs as `nobody`."""
    args = []
    for parent in reversed(path.parents[:-1]):
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _execute(command, src: Path, stdout, stderr, fds: list[int], limits: Limits) -> int | None:
    """Start the process and wait; on the wall-clock limit kill its whole group (None)."""
    env = _clean_env(":".join(str(p.parent) for p in _numpy_dirs()[:1]))
    process = subprocess.Popen(  # noqa: S603 - a fixed command line, user code is only data
        command,
        cwd=src,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        pass_fds=tuple(fds),
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


# --- Reading the report ---------------------------------------------------------------------


class InvalidReport(ValueError):
    """The report is not what the harness writes: the user's code wrote something else."""


INVALID_REPORT = "The run produced an invalid report: its results cannot be trusted or shown."
MAX_REPORT_DEPTH = 3  # {"tests": [{...}]}
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


def _number(value) -> float:
    if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
        raise InvalidReport("not a finite, non-negative number")
    return round(float(value), 2)


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
        if type(item) is not dict or item.keys() != {"name", "passed", "message", "ms"}:
            raise InvalidReport("not a test result")
        if type(item["passed"]) is not bool:
            raise InvalidReport("passed is not a boolean")
        tests.append(
            TestResult(
                _clean_text(item["name"], NAME_CAP),
                item["passed"],
                _clean_text(item["message"], MESSAGE_CAP),
                _number(item["ms"]),
            )
        )
    return tests, "" if error is None else _clean_text(error, MESSAGE_CAP)


def _read_capped(handle, cap: int) -> str:
    handle.seek(0)
    data = handle.read(cap + 1)
    text = data[:cap].decode("utf-8", errors="replace")
    return text + ("\n… output truncated" if len(data) > cap else "")


def _collect(
    results,
    stdout,
    stderr,
    returncode,
    wall_ms: float,
    current: str,
    limits: Limits,
    *,
    oom: bool = False,
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
        error = f"Time limit exceeded: the run was stopped after {limits.wall_seconds:g} seconds."
    elif oom:
        error = f"Memory limit exceeded ({limits.total_memory_bytes // MiB} MB for the whole run)."
    elif (
        returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGKILL)
        and not error
    ):
        error = f"CPU time limit exceeded ({limits.cpu_seconds} s): is there an infinite loop?"
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


# --- A cgroup per run -----------------------------------------------------------------------

CGROUP_PREFIX = "prep-run-"
STALE_SECONDS = 600
# Enter the cgroups (each argument before "--" is a cgroup.procs file), then become the command.
_ENTER_CGROUPS = 'while [ "$1" != -- ]; do echo 0 > "$1" || exit 125; shift; done; shift; exec "$@"'


@functools.cache
def _cgroup_parents() -> tuple[str, dict[str, Path]] | None:
    """Where this process could create child cgroups: ("v2", {"": dir}) when the unified
    hierarchy has the memory and pids controllers, else ("v1", {"memory": dir[, "pids": dir]}),
    else None."""
    try:
        membership = Path("/proc/self/cgroup").read_text()
        mounts = Path("/proc/self/mountinfo").read_text()
    except OSError:
        return None
    paths = {}
    for line in membership.splitlines():
        hierarchy, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if hierarchy != "0" else [""]:
            paths[name] = path
    found = {}
    for line in mounts.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        sep = fields.index("-")
        root, mountpoint, fstype = fields[3], fields[4], fields[sep + 1]
        names = [""] if fstype == "cgroup2" else fields[sep + 3].split(",")
        if fstype not in ("cgroup", "cgroup2"):
            continue
        for name in names:
            path = paths.get(name)
            if name in ("", "memory", "pids") and path is not None and path.startswith(root):
                found[name] = Path(mountpoint) / path[len(root) :].lstrip("/")
    unified = found.get("")
    if unified is not None and _enable_v2_controllers(unified):
        return "v2", {"": unified}
    if "memory" in found:
        return "v1", {name: found[name] for name in ("memory", "pids") if name in found}
    return None


def _enable_v2_controllers(parent: Path) -> bool:
    try:
        available = (parent / "cgroup.controllers").read_text().split()
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        if not {"memory", "pids"} <= set(available):
            return False
        if not {"memory", "pids"} <= set(enabled):
            # Refused (EBUSY) when the parent holds processes, as any non-root cgroup does.
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
    except OSError:
        return False
    return True


def _stale_candidates() -> list[Path]:
    """This server's run cgroups that exist now (there should be none between runs)."""
    layout = _cgroup_parents()
    if layout is None:
        return []
    found = []
    for parent in layout[1].values():
        with contextlib.suppress(OSError):
            found += [p for p in parent.iterdir() if p.name.startswith(CGROUP_PREFIX)]
    return found


@dataclass
class RunGroup:
    """One run's cgroup(s): a memory limit for the whole process tree and a process limit."""

    version: str
    dirs: dict[str, Path]

    def enter(self, command: list[str]) -> list[str]:
        procs = [str(path / "cgroup.procs") for path in self.dirs.values()]
        return ["/bin/sh", "-c", _ENTER_CGROUPS, "sh", *procs, "--", *command]

    def oom_killed(self) -> bool:
        name = "memory.events" if self.version == "v2" else "memory.oom_control"
        memory = self.dirs.get("", self.dirs.get("memory"))
        try:
            lines = (memory / name).read_text().splitlines()
        except OSError:
            return False
        counts = dict(line.split(maxsplit=1) for line in lines if " " in line)
        return int(counts.get("oom_kill", "0")) > 0

    def _members(self) -> set[int]:
        members = set()
        for path in self.dirs.values():
            with contextlib.suppress(OSError):
                members.update(int(pid) for pid in (path / "cgroup.procs").read_text().split())
        return members

    def close(self) -> None:
        """Kill whatever of the run is left (e.g. a daemon that left the process group), then
        remove the cgroups."""
        deadline = time.monotonic() + 2
        if self.version == "v2":
            with contextlib.suppress(OSError):
                (self.dirs[""] / "cgroup.kill").write_text("1")
        while (members := self._members()) and time.monotonic() < deadline:
            for pid in members:
                _kill_member(pid, self)
            time.sleep(0.002)
        for path in self.dirs.values():
            for _ in range(200):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.005)
            else:
                logger.warning("could not remove the run cgroup %s", path)


def _kill_member(pid: int, group: RunGroup) -> None:
    """SIGKILL a process of the run, through a pidfd so a recycled pid is never hit."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        if pid in group._members():
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except OSError:
        pass
    finally:
        os.close(pidfd)


def _create_run_group(limits: Limits) -> RunGroup | None:
    """A fresh cgroup for one run, or None where the machine does not allow one."""
    layout = _cgroup_parents()
    if layout is None:
        return None
    version, parents = layout
    _remove_stale(parents)
    name = f"{CGROUP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    group = RunGroup(version, {})
    processes = str(limits.processes + 3)  # bwrap's two processes and the harness itself
    try:
        for key, parent in parents.items():
            path = parent / name
            path.mkdir()
            group.dirs[key] = path
        total = str(limits.total_memory_bytes)
        if version == "v2":
            path = group.dirs[""]
            (path / "memory.max").write_text(total)
            with contextlib.suppress(OSError):
                (path / "memory.swap.max").write_text("0")
            (path / "pids.max").write_text(processes)
        else:
            path = group.dirs["memory"]
            (path / "memory.limit_in_bytes").write_text(total)
            with contextlib.suppress(OSError):  # only with swap accounting
                (path / "memory.memsw.limit_in_bytes").write_text(total)
            if "pids" in group.dirs:
                (group.dirs["pids"] / "pids.max").write_text(processes)
    except OSError as exc:
        logger.debug("no cgroup for this run (%s); using the smaller rlimits", exc)
        group.close()
        return None
    return group


def _remove_stale(parents: dict[str, Path]) -> None:
    """Remove empty run cgroups left by a worker that was killed mid-run."""
    now = time.time()
    for parent in parents.values():
        with contextlib.suppress(OSError):
            for path in parent.iterdir():
                if path.name.startswith(CGROUP_PREFIX):
                    with contextlib.suppress(OSError):
                        if now - path.stat().st_mtime > STALE_SECONDS:
                            path.rmdir()


@functools.cache
def cgroup_support() -> str:
    """What caps a whole run on this machine ("" when only the fallback rlimits do)."""
    group = _create_run_group(Limits())
    if group is None:
        return ""
    group.close()
    return f"cgroup {group.version} ({', '.join(k or 'memory, pids' for k in group.dirs)})"


# --- The seccomp filter ---------------------------------------------------------------------

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_X32_SYSCALL_BIT = 0x40000000
# Refused with EPERM: namespaces, mounts, tracing, kernel modules and keyrings, eBPF and perf,
# io_uring, userfaultfd, reading other processes' memory, and listing the mounts (which would
# show host paths). Numbers: (x86_64, aarch64).
_DENIED_SYSCALLS = {
    "unshare": (272, 97),
    "setns": (308, 268),
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "chroot": (161, 51),
    "open_tree": (428, 428),
    "move_mount": (429, 429),
    "fsopen": (430, 430),
    "fsconfig": (431, 431),
    "fsmount": (432, 432),
    "fspick": (433, 433),
    "mount_setattr": (442, 442),
    "statmount": (457, 457),
    "listmount": (458, 458),
    "open_tree_attr": (467, 467),
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "pidfd_getfd": (438, 438),
    "process_madvise": (440, 440),
    "kcmp": (312, 272),
    "kexec_load": (246, 104),
    "kexec_file_load": (320, 294),
    "init_module": (175, 105),
    "finit_module": (313, 273),
    "delete_module": (176, 106),
    "bpf": (321, 280),
    "perf_event_open": (298, 241),
    "userfaultfd": (323, 282),
    "keyctl": (250, 219),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "io_uring_setup": (425, 425),
    "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
    "open_by_handle_at": (304, 265),
    "fanotify_init": (300, 262),
    "lookup_dcookie": (212, 18),
    "quotactl": (179, 60),
    "acct": (163, 89),
    "swapon": (167, 224),
    "swapoff": (168, 225),
    "reboot": (169, 142),
}
_DENIED_X86_ONLY = {"iopl": 172, "ioperm": 173, "uselib": 134}
_CLONE, _CLONE3 = (56, 220), (435, 435)
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
_CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
_CLONE_NAMESPACES |= 0x20000000 | 0x40000000

_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_KILL_PROCESS, _ERRNO, _ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
_EPERM, _ENOSYS = 1, 38
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (the low half of args[0])


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def seccomp_program(machine: str | None = None) -> bytes:
    """The classic-BPF seccomp program bwrap loads (`--seccomp FD`) for this machine: kill on a
    foreign architecture, refuse the calls above, allow everything else."""
    return _seccomp_program(machine or platform.machine())


@functools.cache
def _seccomp_program(machine: str) -> bytes:
    if machine not in _AUDIT_ARCH:
        raise RunnerDisabled(
            f"The sandbox has no seccomp filter for this machine ({machine}); "
            "it supports x86_64 and aarch64."
        )
    column = 0 if machine == "x86_64" else 1
    program = [
        _insn(_LD_ABS, _ARCH),
        _insn(_JEQ, _AUDIT_ARCH[machine], jt=1),
        _insn(_RET, _KILL_PROCESS),
        _insn(_LD_ABS, _NR),
    ]
    if machine == "x86_64":  # x32 system calls share the architecture, not the numbers
        program += [_insn(_JGE, _X32_SYSCALL_BIT, jf=1), _insn(_RET, _ERRNO | _ENOSYS)]
    # clone3 takes its flags in memory the filter cannot read: glibc then falls back to clone.
    program += [_insn(_JEQ, _CLONE3[column], jf=1), _insn(_RET, _ERRNO | _ENOSYS)]
    program += [
        _insn(_JEQ, _CLONE[column], jf=4),
        _insn(_LD_ABS, _ARG0),
        _insn(_JSET, _CLONE_NAMESPACES, jf=1),
        _insn(_RET, _ERRNO | _EPERM),
        _insn(_RET, _ALLOW),
    ]
    numbers = [numbers[column] for numbers in _DENIED_SYSCALLS.values()]
    if machine == "x86_64":
        numbers += _DENIED_X86_ONLY.values()
    for number in numbers:
        program += [_insn(_JEQ, number, jf=1), _insn(_RET, _ERRNO | _EPERM)]
    program.append(_insn(_RET, _ALLOW))
    return b"".join(program)
