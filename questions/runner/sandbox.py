"""The process a run happens in: its folder, its command line and its environment.

With `bwrap`: new PID, network, IPC and UTS namespaces (no network at all, not even
loopback), the system mounted read-only, only the Python interpreter (at /opt/python) and
numpy visible, no /proc, a private size-limited /tmp, the code copied in read-only, no
environment variables, a new session, the seccomp filter (`seccomp`), and it dies with its
parent. With `subprocess`: the same harness, with a scrubbed environment and no namespaces.
Either way a wall-clock timeout kills the whole process group.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import marshal
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from questions.runner.limits import Limits, MiB
from questions.runner.report import MAX_REPORTED_TESTS

HARNESS = Path(__file__).with_name("harness.py")
SANDBOX_DIR = "/sandbox"
SANDBOX_SITE = "/opt/site"
SANDBOX_PYTHON = "/opt/python"
# User ids no account on a host uses (above the usual system and login ranges and below the
# ranges container runtimes map); files the run may read are world-readable.
RUN_UID_BASE, RUN_UID_COUNT = 200_000, 100_000


def write_sources(
    src: Path, language, code, test_code, only, limits: Limits, *, bwrap: bool, too_slow: str = ""
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
    (src / "harness.pyc").write_bytes(harness_bytecode())
    config = {
        "only": only or [],
        "drop_root": bwrap,
        "max_tests": MAX_REPORTED_TESTS,
        "tmp_mb": limits.tmp_bytes // MiB if bwrap else None,
        "too_slow": too_slow,
        # A user id of its own for each run (as root): the process limit (RLIMIT_NPROC) counts
        # every process of a user id on the host, so runs sharing `nobody` would share it, and
        # one run's fork bomb would stop the others' forks.
        "run_uid": RUN_UID_BASE + secrets.randbelow(RUN_UID_COUNT) if bwrap else None,
        "limits": {k: v for k, v in limits.__dict__.items() if k != "wall_seconds"},
    }
    (src / "config.json").write_text(json.dumps(config))


def interpreter() -> Path:
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


@functools.cache
def harness_bytecode() -> bytes:
    """harness.py compiled once per process, as a .pyc the same interpreter runs directly:
    compiling its 1,100 lines took some 30 ms of every run's CPU."""
    code = compile(HARNESS.read_text(), "harness.py", "exec", dont_inherit=True)
    # A .pyc header: magic, flags 0 (timestamp-based; never checked when run directly),
    # the source's mtime and size (informational here), then the marshalled code.
    header = importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little") + bytes(8)
    return header + marshal.dumps(code)


def harness_command(python: Path | str, results_fd: int) -> list[str]:
    return [str(python), "-s", "-B", "harness.pyc", str(results_fd)]


def bwrap_command(results_fd: int, inputs: dict[str, int], limits: Limits) -> list[str]:
    """The bubblewrap command line. `inputs` maps each file of the run to an open descriptor
    (the key "" is the seccomp program): bwrap copies them in, so no host folder is mounted
    and nothing inside (there is no /proc either) names a host path."""
    base = Path(sys.base_prefix).resolve()
    command = ["bwrap", "--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid",
               "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]  # fmt: skip
    if os.geteuid() == 0:
        # As root bwrap needs no user namespace; keep only what the harness needs to drop to
        # the run's own user id, where the process limit applies (root is exempt from
        # RLIMIT_NPROC). Mapping that user in a user namespace would run it as host root. The seccomp filter refuses
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
    python = interpreter()
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
    return command + harness_command(python, results_fd)


def _parent_dirs(path: Path) -> list[str]:
    """Create the mount point's parents traversable: bwrap (as root) makes them 0700, and the
    harness runs as `nobody`."""
    args = []
    for parent in reversed(path.parents[:-1]):
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


def execute(command, src: Path, stdout, stderr, fds: list[int], limits: Limits) -> int | None:
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
