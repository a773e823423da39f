"""Hostile programs against the code runner: each is contained with a clear message, the
server is unharmed, and nothing of the web process (files, settings, environment) leaks."""

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from questions import runner
from questions.runner.report import OUTPUT_CAP
from tests.conftest import needs_bwrap

ROOT = Path(__file__).resolve().parent.parent
FAST = runner.Limits(cpu_seconds=2, wall_seconds=4, memory_bytes=512 * 1024 * 1024)

pytestmark = needs_bwrap


@pytest.fixture(autouse=True)
def bwrap_mode(settings):
    settings.PREP_CODE_RUNNER = "bwrap"


def run_one(body: str, limits=FAST, code: str = "") -> runner.RunResult:
    tests = "def test_hostile():\n" + textwrap.indent(textwrap.dedent(body), "    ")
    return runner.run("python", code or "X = 1\n", tests, limits=limits)


def message(result: runner.RunResult) -> str:
    return result.error or (result.tests[0].message if result.tests else "")


def test_a_normal_run_passes_and_reports_per_test_results():
    result = runner.run(
        "python",
        "def add(a, b):\n    return a + b\n",
        "def test_example():\n    assert add(1, 2) == 3\n\ndef test_wrong():\n    assert add(1, 1) == 3\n",
    )
    assert [(t.name, t.passed) for t in result.tests] == [
        ("test_example", True),
        ("test_wrong", False),
    ]
    assert "assert add(1, 1) == 3" in result.tests[1].message
    assert "harness" not in result.tests[1].message  # trimmed to the user's code and tests
    assert result.mode == "bwrap"


def test_only_the_named_tests_run():
    result = runner.run(
        "python",
        "X = 1\n",
        "def test_example_a():\n    pass\n\ndef test_b():\n    pass\n",
        only=["test_example_a"],
    )
    assert [t.name for t in result.tests] == ["test_example_a"]


def test_sql_query_runs_against_sqlite_inside_the_sandbox():
    tests = textwrap.dedent(
        """
        import sqlite3
        def test_example():
            conn = sqlite3.connect(":memory:")
            conn.execute("CREATE TABLE t (x INTEGER)")
            conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
            assert conn.execute(QUERY).fetchall() == [(3,)]
        """
    )
    assert runner.run("sql", "SELECT SUM(x) FROM t;", tests).all_passed
    assert not runner.run("sql", "SELECT COUNT(*) FROM t;", tests).all_passed


def test_infinite_loop_hits_the_cpu_limit():
    result = run_one("while True:\n    pass\n")
    # CPU limit normally; the wall clock first when the machine is busy. Both say so plainly.
    assert "CPU time limit exceeded" in result.error or "Time limit exceeded" in result.error


def test_sleeping_forever_hits_the_wall_clock_limit():
    result = run_one("import time\ntime.sleep(60)\n")
    assert "Time limit exceeded" in result.error
    assert result.wall_ms < 6000


def test_memory_bomb_is_refused():
    result = run_one("data = bytearray(4 * 1024 ** 3)\n")
    assert "MemoryError" in message(result) or "Memory limit" in message(result)


def test_fork_bomb_is_contained():
    marker = "31.41592"  # children become `sleep 31.41592`, so we can look for survivors
    result = run_one(
        f"""
        import os
        children = 0
        try:
            while True:
                if os.fork() == 0:
                    os.execv("/usr/bin/sleep", ["sleep", "{marker}"])
                children += 1
        except OSError as exc:
            raise AssertionError(f"stopped after {{children}} children: {{exc}}")
        """
    )
    assert "Resource temporarily unavailable" in message(result) or "Time limit" in result.error
    survivors = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True)
    assert survivors.stdout.strip() == "", "sandboxed processes outlived the run"


def test_ten_megabytes_of_output_is_capped():
    result = run_one("print('x' * 10_000_000)\n")
    assert len(result.stdout) <= OUTPUT_CAP + 100
    assert "File too large" in message(result) or "truncated" in result.stdout


def test_cannot_read_project_files_settings_or_database():
    settings_file = ROOT / "prep" / "settings.py"
    result = run_one(
        f"""
        import os
        for path in [{str(settings_file)!r}, {str(ROOT / "db.sqlite3")!r}, {str(ROOT / "manage.py")!r}, "/work", "/etc/passwd"]:
            assert not os.path.exists(path), path
        """
    )
    assert result.all_passed, message(result)


def test_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("PREP_TEST_SECRET", "hunter2-env-secret")
    result = run_one(
        """
        import os
        assert "PREP_TEST_SECRET" not in os.environ
        assert "DATABASE_URL" not in os.environ and "SECRET_KEY" not in os.environ
        assert not os.path.exists("/proc/1/environ")  # no /proc in the sandbox at all
        for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
            if pid.isdigit():
                try:
                    data = open(f"/proc/{pid}/environ", "rb").read()
                except OSError:
                    continue
                assert b"hunter2" not in data
        """
    )
    assert result.all_passed, message(result)


@pytest.mark.parametrize("port", [5432, 6379, 80])
def test_no_network_even_to_loopback_services(port):
    result = run_one(
        f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2)
        except OSError:
            pass
        else:
            raise AssertionError("connected")
        """
    )
    assert result.all_passed, message(result)


def test_cannot_write_outside_the_private_tmp():
    result = run_one(
        """
        import os
        for path in ["/usr/evil", "/sandbox/evil", "/evil", "/opt/site/evil"]:
            try:
                open(path, "w").write("x")
            except OSError:
                continue
            raise AssertionError(f"wrote {path}")
        open("/tmp/fine", "w").write("ok")
        """
    )
    assert result.all_passed, message(result)
    assert not Path("/usr/evil").exists()


def test_symlink_tricks_do_not_reach_the_host():
    target = ROOT / "prep" / "settings.py"
    result = run_one(
        f"""
        import os
        os.symlink({str(target)!r}, "/tmp/link")
        assert not os.path.exists("/tmp/link")
        os.symlink("/proc/1/root/work", "/tmp/link2")
        assert not os.path.exists("/tmp/link2")
        """
    )
    assert result.all_passed, message(result)


def test_cannot_import_the_app_or_django():
    result = run_one(
        """
        for name in ("questions", "prep", "django"):
            try:
                __import__(name)
            except ImportError:
                continue
            raise AssertionError(f"imported {name}")
        """
    )
    assert result.all_passed, message(result)


def test_runs_as_an_unprivileged_user_of_its_own_without_capabilities():
    result = run_one(
        """
        import ctypes, os, struct
        assert os.getuid() != 0 and os.geteuid() != 0
        print(os.getuid())
        # capget(2), as /proc/self/status is not there: version 3 header, two data words.
        libc = ctypes.CDLL(None, use_errno=True)
        header = ctypes.create_string_buffer(struct.pack("<Ii", 0x20080522, 0), 8)
        data = ctypes.create_string_buffer(24)
        assert libc.capget(header, data) == 0, os.strerror(ctypes.get_errno())
        effective0, permitted0, _, effective1, permitted1, _ = struct.unpack("<6I", data.raw)
        assert effective0 == permitted0 == effective1 == permitted1 == 0
        """
    )
    assert result.all_passed, message(result)
    if os.geteuid() == 0:  # each run a user id of its own, not the nobody all runs would share
        assert int(result.stdout) >= 200_000


def test_settings_secret_never_reaches_user_code(settings, monkeypatch):
    """The web process holds the secret; hostile code looks everywhere it can and fails."""
    marker = "s3cr3t-" + os.urandom(8).hex()
    settings.SECRET_KEY = marker
    monkeypatch.setenv("SECRET_KEY", marker)
    hidden = marker[::-1]  # the test source itself must not contain the marker
    result = run_one(
        f"""
        import os
        marker = {hidden!r}[::-1]
        found = []
        for top in ("/sandbox", "/tmp", "/proc/self", "/opt", "/dev/shm"):
            for dirpath, dirnames, filenames in os.walk(top):
                for name in filenames:
                    try:
                        with open(os.path.join(dirpath, name), "rb") as fh:
                            if marker.encode() in fh.read(1_000_000):
                                found.append(os.path.join(dirpath, name))
                    except OSError:
                        pass
        assert not found, found
        assert marker not in repr(os.environ)
        """
    )
    assert result.all_passed, message(result)
    assert marker not in result.stdout + result.stderr


def test_server_is_unharmed_after_hostile_runs():
    run_one("while True:\n    pass\n")
    run_one("data = bytearray(4 * 1024 ** 3)\n")
    assert runner.run(
        "python", "def f():\n    return 1\n", "def test_example():\n    assert f() == 1\n"
    ).all_passed


def test_subprocess_mode_runs_the_same_harness(settings):
    settings.PREP_CODE_RUNNER = "subprocess"
    result = runner.run(
        "python", "def f():\n    return 2\n", "def test_example():\n    assert f() == 2\n"
    )
    assert result.all_passed and result.mode == "subprocess"


def test_off_mode_refuses(settings):
    settings.PREP_CODE_RUNNER = "off"
    with pytest.raises(runner.RunnerDisabled):
        runner.run("python", "", "def test_x():\n    pass\n")
