"""Runs inside the sandbox, before and around the user's code. Standard library only.

Drops root if it has it, applies resource limits, runs the question's tests against the
user's solution, and writes one JSON document of results to the file descriptor it is given.
The user's code shares this process, so nothing here is a secret: it can only lie about its
own results, which harms nobody but that user.
"""

import errno
import json
import os
import resource
import signal
import sys
import time
import traceback

NOBODY = 65534
MAX_MESSAGE = 2000
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
TMP_MB = None  # the private /tmp's size (bwrap), from the config


def drop_privileges(uid):
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if os.getuid() == 0:
        raise SystemExit("refusing to run user code as root")


def apply_limits(limits):
    def cap(kind, value):
        resource.setrlimit(kind, (value, value))

    # Soft CPU limit raises in the running test (SIGXCPU below); the hard one, a second later, kills.
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 1))
    cap(resource.RLIMIT_AS, limits["memory_bytes"])
    cap(resource.RLIMIT_NPROC, limits["processes"])
    cap(resource.RLIMIT_FSIZE, limits["file_bytes"])
    cap(resource.RLIMIT_NOFILE, limits["open_files"])
    cap(resource.RLIMIT_CORE, 0)
    # Past the file-size limit a write fails with an error instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGXCPU, _cpu_exceeded)


class CpuLimitExceeded(BaseException):
    pass


def _cpu_exceeded(signum, frame):
    raise CpuLimitExceeded


def describe(exc, tb, user_files):
    """The exception, with only the traceback frames that belong to the user's code or tests."""
    frames = [f for f in traceback.extract_tb(tb) if os.path.basename(f.filename) in user_files]
    lines = [
        f"  {os.path.basename(f.filename)}, line {f.lineno}: {(f.line or '').strip()}"
        for f in frames
    ]
    head = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, OSError) and exc.errno in DISK_FULL and TMP_MB is not None:
        head = f"Disk limit exceeded: /tmp holds at most {TMP_MB} MB ({head})"
    if isinstance(exc, AssertionError) and frames:
        head = f"AssertionError: {str(exc) + ' ' if str(exc) else ''}in {frames[-1].line.strip() if frames[-1].line else 'an assertion'}"
    text = "\n".join([head, *lines[-6:]])
    return text[:MAX_MESSAGE]


def main():
    global TMP_MB
    results_fd = int(sys.argv[1])
    with open("config.json") as fh:
        config = json.load(fh)
    TMP_MB = config.get("tmp_mb")
    if config.get("drop_root"):
        drop_privileges(config.get("run_uid") or NOBODY)
    apply_limits(config["limits"])
    out = os.fdopen(results_fd, "w")
    user_files = {"solution.py", "tests.py"}
    report = {"tests": [], "error": None}

    sys.path.insert(0, os.getcwd())
    namespace = {"__name__": "tests", "__file__": "tests.py"}
    with open("tests.py") as fh:
        source = fh.read()
    started = time.perf_counter()
    try:
        exec(compile(source, "tests.py", "exec"), namespace)  # noqa: S102 - this is the sandbox
    except CpuLimitExceeded:
        # Code at the top level of the solution ran until the CPU limit: say that, not the
        # internal exception's name.
        report["error"] = config.get("too_slow") or (
            "CPU time limit exceeded while loading your code, before any test ran: is there an "
            "infinite loop outside a function?"
        )
    except BaseException as exc:
        report["error"] = "Your code could not be loaded:\n" + describe(
            exc, exc.__traceback__, user_files
        )
    if report["error"]:
        report["load_ms"] = round((time.perf_counter() - started) * 1000, 2)
        json.dump(report, out)
        return
    report["load_ms"] = round((time.perf_counter() - started) * 1000, 2)

    only = set(config.get("only") or [])
    tests = [
        (name, fn)
        for name, fn in namespace.items()
        if name.startswith("test_")
        and callable(fn)
        and getattr(getattr(fn, "__code__", None), "co_filename", "") == "tests.py"
        and (not only or name in only)
    ]
    max_tests = config.get("max_tests") or len(tests)
    if len(tests) > max_tests:
        report["error"] = f"Only the first {max_tests} of {len(tests)} tests were run."
        tests = tests[:max_tests]
    for name, fn in tests:
        began = time.perf_counter()
        try:
            fn()
            passed, message = True, ""
        except CpuLimitExceeded:
            too_slow = config.get("too_slow")
            passed = False
            message = too_slow or "CPU time limit exceeded: is there an infinite loop?"
            report["error"] = (
                f"{too_slow} The remaining tests were not run."
                if too_slow
                else "CPU time limit exceeded: the remaining tests were not run."
            )
            report["tests"].append({"name": name, "passed": passed, "message": message, "ms": 0})
            break
        except MemoryError:
            passed, message = False, "MemoryError: the memory limit was reached"
        except RecursionError:
            passed, message = False, "RecursionError: maximum recursion depth exceeded"
        except BaseException as exc:
            passed, message = False, describe(exc, exc.__traceback__, user_files)
        elapsed = round((time.perf_counter() - began) * 1000, 2)
        report["tests"].append({"name": name, "passed": passed, "message": message, "ms": elapsed})
        # Write as we go: if a later test is killed by a limit, earlier results survive.
        out.seek(0)
        out.truncate()
        json.dump(report, out)
        out.flush()
    out.seek(0)
    out.truncate()
    json.dump(report, out)
    out.flush()


if __name__ == "__main__":
    main()
