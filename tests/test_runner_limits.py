"""Whole-run budgets: the private /tmp is a small disk, and memory is capped for the run's
whole process tree (a cgroup where the machine allows one, fewer and smaller processes
otherwise), each with a plain message when it is hit."""

import os
import subprocess
import textwrap
import time

import pytest

from questions import runner
from questions.runner import cgroups
from tests.conftest import needs_bwrap

MiB = 1024 * 1024
FAST = runner.Limits(cpu_seconds=3, wall_seconds=6)

pytestmark = needs_bwrap

cgroups_only = pytest.mark.skipif(
    not runner.cgroup_support(), reason="no usable memory cgroup on this machine"
)


@pytest.fixture(autouse=True)
def bwrap_mode(settings):
    settings.PREP_CODE_RUNNER = "bwrap"


def run_one(body: str, limits=FAST) -> runner.RunResult:
    tests = "def test_hostile():\n" + textwrap.indent(textwrap.dedent(body), "    ")
    return runner.run("python", "X = 1\n", tests, limits=limits)


def message(result: runner.RunResult) -> str:
    return result.error or (result.tests[0].message if result.tests else "")


FILL_TMP = """
written = 0
for i in range(256):
    with open(f"/tmp/f{i}", "wb") as fh:  # each file under the 1 MiB file-size limit
        fh.write(b"x" * (1024 * 1024 - 4096))
    written += 1
"""


def test_tmp_is_a_small_disk_and_says_so():
    started = time.perf_counter()
    result = run_one(FILL_TMP)
    assert "Disk limit exceeded: /tmp holds at most 64 MB" in message(result), message(result)
    assert not result.all_passed
    assert time.perf_counter() - started < 5


def test_the_tmp_size_follows_the_limits():
    result = run_one(FILL_TMP, limits=runner.Limits(tmp_bytes=8 * MiB))
    assert "Disk limit exceeded: /tmp holds at most 8 MB" in message(result), message(result)


def test_nothing_else_in_the_sandbox_is_writable():
    result = run_one(
        """
        import os
        for top in ("/", "/dev", "/dev/shm", "/sandbox", "/opt", "/opt/site", "/etc"):
            if not os.path.isdir(top):
                continue
            try:
                with open(os.path.join(top, "evil"), "wb") as fh:
                    fh.write(b"x")
            except OSError:
                continue
            raise AssertionError(f"wrote into {top}")
        """
    )
    assert result.all_passed, message(result)


# Children that each hold 128 MiB of touched memory. Before whole-run limits, 12 of them held
# 1.5 GiB (with the default 32 processes of 1 GiB each, 32 GiB was the ceiling).
MANY_CHILDREN = """
import os, time
r, w = os.pipe()
for _ in range(12):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            data = b"x" * (128 * 1024 * 1024)
            os.write(w, b"1")
            time.sleep(4)
        finally:
            os._exit(0)
time.sleep(2)
os.set_blocking(r, False)
try:
    held = len(os.read(r, 100))
except BlockingIOError:
    held = 0
assert held * 128 <= 1024, f"{held} children held 128 MiB each"
"""


def test_processes_cannot_add_up_past_the_whole_run_budget():
    result = run_one(MANY_CHILDREN)
    if runner.cgroup_support():
        assert "Memory limit exceeded (1024 MB for the whole run)" in result.error, message(result)
    else:
        assert result.all_passed, message(result)


def test_without_cgroups_fewer_and_smaller_processes_keep_the_total(monkeypatch):
    monkeypatch.setattr(cgroups, "create_run_group", lambda limits: None)
    result = run_one(
        """
        import resource
        processes = resource.getrlimit(resource.RLIMIT_NPROC)[0]
        memory = resource.getrlimit(resource.RLIMIT_AS)[0]
        assert processes * memory <= 2 * 1024 ** 3, (processes, memory)
        import numpy  # the numpy questions still fit
        assert numpy.ones(10_000_000).sum() == 10_000_000
        """
    )
    assert result.all_passed, message(result)
    result = run_one(MANY_CHILDREN)
    assert result.all_passed, message(result)


@cgroups_only
def test_one_big_process_hitting_the_run_budget_says_so():
    limits = runner.Limits(total_memory_bytes=256 * MiB, memory_bytes=1024 * MiB)
    result = run_one("data = b'x' * (400 * 1024 * 1024)\n", limits=limits)
    assert "Memory limit exceeded (256 MB for the whole run)" in result.error


@cgroups_only
def test_tmp_and_memory_share_the_run_budget():
    """Files in /tmp are memory too: they count against the same total."""
    limits = runner.Limits(total_memory_bytes=160 * MiB, tmp_bytes=64 * MiB)
    result = run_one(
        FILL_TMP.replace("256", "60") + "data = b'y' * (140 * 1024 * 1024)\n", limits=limits
    )
    assert "Memory limit exceeded (160 MB for the whole run)" in result.error, message(result)


@cgroups_only
def test_the_run_cgroup_is_removed_afterwards():
    def ours():  # other processes on the machine (runner workers) may be running code too
        return {
            p for p in cgroups.stale_candidates() if p.name.startswith(f"prep-run-{os.getpid()}-")
        }

    before = ours()
    assert run_one("pass\n").all_passed
    run_one("data = b'x' * (2000 * 1024 * 1024)\n")
    assert ours() == before


@cgroups_only
def test_escaped_processes_are_killed_with_the_run_in_subprocess_mode(settings):
    """killpg only reaches the process group; the cgroup reaches everything the run started."""
    settings.PREP_CODE_RUNNER = "subprocess"
    marker = "27.18281"
    result = run_one(
        f"""
        import os
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv("/usr/bin/sleep", ["sleep", "{marker}"])
            os._exit(0)
        os.wait()
        """
    )
    survivors = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True)
    for pid in survivors.stdout.split():
        os.kill(int(pid), 9)  # clean up after a failing run, by id
    assert result.all_passed, message(result)
    assert survivors.stdout.strip() == "", "a process of the run outlived it"


def test_a_normal_numpy_run_is_not_affected():
    result = runner.run(
        "python",
        "import numpy as np\ndef f():\n    return np.arange(1_000_000).sum()\n",
        "def test_example():\n    assert f() == 499999500000\n",
    )
    assert result.all_passed, message(result)


def test_one_runs_fork_bomb_does_not_stop_another_runs_forks():
    """The process limit counts per user id: each run has its own, so it holds per run."""
    from concurrent.futures import ThreadPoolExecutor

    bomb = """
        import os, time
        for _ in range(200):
            try:
                if os.fork() == 0:
                    time.sleep(3)
                    os._exit(0)
            except OSError:
                break
        time.sleep(3)
        """
    forks = """
        import os, time
        time.sleep(1)  # the bomb is at its limit by now
        children = [os.fork() for _ in range(4)]
        for pid in children:
            if pid == 0:
                os._exit(0)
        for pid in children:
            os.waitpid(pid, 0)
        """
    with ThreadPoolExecutor(max_workers=2) as pool:
        bombing = pool.submit(run_one, bomb)
        result = pool.submit(run_one, forks).result()
        bombing.result()
    assert result.all_passed, message(result)
