"""Kernel attack surface inside the sandbox: a seccomp filter refuses namespaces, mounts,
ptrace and other dangerous system calls, and nothing inside shows where things live on the
host (the run's temporary folder, the interpreter's or the project's paths)."""

import platform
import struct
import sys
import textwrap
from pathlib import Path

import pytest

from questions import runner
from questions.runner import seccomp
from tests.conftest import needs_bwrap

ROOT = Path(__file__).resolve().parent.parent
FAST = runner.Limits(cpu_seconds=3, wall_seconds=6)

EPERM, ENOSYS = 1, 38
RET_KILL_PROCESS, RET_ERRNO, RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, SIGCHLD = 0x10000000, 0x00020000, 0x20000000, 17
# (syscall number on x86_64, on aarch64)
NR = {
    "read": (0, 63),
    "write": (1, 64),
    "clone": (56, 220),
    "clone3": (435, 435),
    "unshare": (272, 97),
    "setns": (308, 268),
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "ptrace": (101, 117),
    "bpf": (321, 280),
    "perf_event_open": (298, 241),
    "keyctl": (250, 219),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "userfaultfd": (323, 282),
    "open_by_handle_at": (304, 265),
    "init_module": (175, 105),
    "finit_module": (313, 273),
    "kexec_load": (246, 104),
    "swapon": (167, 224),
    "reboot": (169, 142),
    "fsopen": (430, 430),
    "move_mount": (429, 429),
    "statmount": (457, 457),
    "listmount": (458, 458),
    "io_uring_setup": (425, 425),
}
DENIED = [name for name in NR if name not in {"read", "write", "clone", "clone3"}]


def run_filter(program: bytes, arch: int, nr: int, args=(0, 0, 0, 0, 0, 0)) -> int:
    """A classic-BPF interpreter for the instructions a seccomp filter uses."""
    data = struct.pack("<iIQ6Q", nr, arch, 0, *args)
    assert len(program) % 8 == 0 and 0 < len(program) // 8 <= 4096
    insns = [struct.unpack_from("<HBBI", program, i) for i in range(0, len(program), 8)]
    pc, acc = 0, 0
    for _ in range(len(insns) + 1):
        code, jt, jf, k = insns[pc]
        if code == 0x20:  # ld [k]
            acc = struct.unpack_from("<I", data, k)[0]
            pc += 1
        elif code == 0x15:  # jeq
            pc += 1 + (jt if acc == k else jf)
        elif code == 0x35:  # jge
            pc += 1 + (jt if acc >= k else jf)
        elif code == 0x45:  # jset
            pc += 1 + (jt if acc & k else jf)
        elif code == 0x06:  # ret
            return k
        else:
            raise AssertionError(f"unexpected instruction {code:#x} at {pc}")
    raise AssertionError("the filter does not end")


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_the_seccomp_filter_decides_as_intended(machine):
    program = runner.seccomp_program(machine)
    arch, column = ARCH[machine], 0 if machine == "x86_64" else 1

    def decide(name, flags=0):
        return run_filter(program, arch, NR[name][column], (flags, 0, 0, 0, 0, 0))

    assert decide("read") == RET_ALLOW
    assert decide("write") == RET_ALLOW
    for name in DENIED:
        assert decide(name) == RET_ERRNO | EPERM, name
    # fork and threads keep working; new namespaces through clone do not.
    assert decide("clone", SIGCHLD) == RET_ALLOW
    assert decide("clone", 0x003D0F00) == RET_ALLOW  # pthread_create's flags
    for flag in (CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID):
        assert decide("clone", flag | SIGCHLD) == RET_ERRNO | EPERM
    # Namespace flags in the upper half of the 64-bit word mean nothing to clone.
    assert decide("clone", (CLONE_NEWUSER << 32) | SIGCHLD) == RET_ALLOW
    # clone3 passes its flags in memory the filter cannot read: glibc falls back to clone.
    assert decide("clone3") == RET_ERRNO | ENOSYS
    # Another architecture's calling convention (e.g. 32-bit syscalls) is killed outright.
    other = ARCH["aarch64" if machine == "x86_64" else "x86_64"]
    assert run_filter(program, other, 0) == RET_KILL_PROCESS
    assert run_filter(program, 0x40000003, 0) == RET_KILL_PROCESS  # i386
    if machine == "x86_64":  # x32 system calls would bypass the numbers above
        assert run_filter(program, arch, 0x40000000 | NR["unshare"][0]) == RET_ERRNO | ENOSYS
        assert run_filter(program, arch, 0x40000000) == RET_ERRNO | ENOSYS


def test_an_unknown_architecture_is_refused_not_run_unfiltered():
    with pytest.raises(runner.RunnerDisabled):
        runner.seccomp_program("sparc64")


# --- inside the real sandbox -------------------------------------------------------------

PRELUDE = """
import ctypes, errno, os, platform, struct
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
COLUMN = 0 if platform.machine() == "x86_64" else 1
NR = NUMBERS
CLONE_NEWUSER = 0x10000000

def syscall(name, *args):
    ctypes.set_errno(0)
    args = [ctypes.c_ulong(a) if isinstance(a, int) else a for a in args]
    result = libc.syscall(ctypes.c_long(NR[name][COLUMN]), *args)
    return result, ctypes.get_errno()

def refused(name, *args):
    result, err = syscall(name, *args)
    if result == 0 and name == "clone":
        os._exit(0)  # the child of a clone that should not have happened
    assert result == -1 and err == errno.EPERM, (name, result, os.strerror(err))
""".replace("NUMBERS", repr(NR))


@pytest.fixture(autouse=True)
def bwrap_mode(settings):
    settings.PREP_CODE_RUNNER = "bwrap"


def run_one(body: str) -> runner.RunResult:
    tests = PRELUDE + "\ndef test_hostile():\n" + textwrap.indent(textwrap.dedent(body), "    ")
    return runner.run("python", "X = 1\n", tests, limits=FAST)


def message(result: runner.RunResult) -> str:
    return result.error or (result.tests[0].message if result.tests else "")


@needs_bwrap
def test_no_new_namespaces_from_inside_the_sandbox():
    result = run_one(
        """
        for flags in (os.CLONE_NEWUSER, os.CLONE_NEWUSER | os.CLONE_NEWNS, os.CLONE_NEWNET):
            try:
                os.unshare(flags)
            except OSError as exc:
                assert exc.errno == errno.EPERM, exc
            else:
                raise AssertionError(f"unshare({flags:#x}) worked")
        refused("clone", CLONE_NEWUSER | 17, 0, 0, 0, 0)
        refused("setns", 0, 0)
        """
    )
    assert result.all_passed, message(result)


@needs_bwrap
def test_no_mounts_even_through_a_new_user_namespace():
    """Unprivileged user namespaces give a process root inside them, and with it mount."""
    result = run_one(
        """
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.unshare(os.CLONE_NEWUSER | os.CLONE_NEWNS)
                code = 1
            except OSError:
                pass
            ctypes.set_errno(0)
            if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0:
                code = 2
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, ("unshare", "mount")[os.waitstatus_to_exitcode(status) - 1]
        refused("mount", b"none", b"/tmp", b"tmpfs", 0, 0)
        refused("umount2", b"/tmp", 0)
        refused("fsopen", b"tmpfs", 0)
        """
    )
    assert result.all_passed, message(result)


@needs_bwrap
def test_no_ptrace_even_of_its_own_child():
    result = run_one(
        """
        import signal, time
        pid = os.fork()
        if pid == 0:
            time.sleep(5)
            os._exit(0)
        try:
            refused("ptrace", 16, pid, 0, 0)  # PTRACE_ATTACH
            refused("ptrace", 0, 0, 0, 0)  # PTRACE_TRACEME
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        """
    )
    assert result.all_passed, message(result)


@needs_bwrap
def test_other_dangerous_calls_are_refused():
    result = run_one(
        """
        refused("keyctl", 0, 0xFFFFFFFD, 0, 0, 0)  # KEYCTL_GET_KEYRING_ID of the session keyring
        refused("add_key", b"user", b"x", b"data", 4, 0xFFFFFFFD)
        refused("userfaultfd", 0)
        refused("bpf", 0, 0, 0)
        attr = ctypes.create_string_buffer(128)
        refused("perf_event_open", attr, 0, -1 & 0xFFFFFFFF, -1 & 0xFFFFFFFF, 0)
        refused("io_uring_setup", 1, ctypes.create_string_buffer(120))
        # listmount/statmount (Linux 6.8) list every mount and its host-side root.
        request = ctypes.create_string_buffer(struct.pack("<IIQQ", 24, 0, 2**64 - 1, 0))
        refused("listmount", request, ctypes.create_string_buffer(8 * 64), 64, 0)
        refused("statmount", request, ctypes.create_string_buffer(4096), 4096, 0)
        refused("open_by_handle_at", 0, ctypes.create_string_buffer(64), 0)
        """
    )
    assert result.all_passed, message(result)


@needs_bwrap
def test_ordinary_programs_still_work_under_the_filter():
    result = run_one(
        """
        import concurrent.futures, subprocess, sqlite3, numpy
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            assert list(pool.map(abs, [-1, -2, -3])) == [1, 2, 3]
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7
        assert subprocess.run(["/usr/bin/true"]).returncode == 0
        assert sqlite3.connect(":memory:").execute("select 1").fetchone() == (1,)
        assert numpy.linalg.inv(numpy.eye(3) * 2).sum() == 1.5
        """
    )
    assert result.all_passed, message(result)


@needs_bwrap
def test_no_host_paths_are_visible_inside(settings):
    """Mount tables (/proc/self/mountinfo), fd links, sys.executable, tracebacks and the files
    around the sandbox must not reveal the host's layout."""
    needles = [
        "prep-run-",  # the run's temporary folder
        str(ROOT),
        "/root",
        "/work",
        str(Path(sys.base_prefix).resolve()),
        str(Path(sys.executable).parent),
    ]
    if not str(Path(sys.base_prefix).resolve()).startswith("/usr/"):
        needles.append(".pyenv")
    hidden = [needle[::-1] for needle in needles]  # the test's own text must not match
    result = run_one(
        f"""
        import sys, traceback, json
        needles = [n[::-1] for n in {hidden!r}]
        seen = {{}}
        seen["sys"] = repr([sys.executable, sys.prefix, sys.base_prefix, sys.exec_prefix,
                            sys.path, sys.argv, os.getcwd(), dict(os.environ)])
        try:
            json.loads("{{")
        except ValueError:
            seen["traceback"] = traceback.format_exc()
        import numpy
        seen["numpy"] = numpy.__file__
        for name in ("/proc/self/mountinfo", "/proc/self/mounts", "/proc/1/mountinfo",
                     "/proc/self/maps", "/proc/self/cmdline", "/proc/1/cmdline",
                     "/proc/self/environ", "/etc/mtab"):
            try:
                with open(name, "rb") as fh:
                    seen[name] = fh.read().decode(errors="replace")
            except OSError:
                pass
        for fd in range(64):
            try:
                seen[f"fd {{fd}}"] = os.readlink(f"/proc/self/fd/{{fd}}")
            except OSError:
                pass
        for top in ("/sandbox", "/tmp", "/dev", "/etc", "/opt"):
            for dirpath, dirnames, filenames in os.walk(top):
                seen[dirpath] = repr(dirnames + filenames)
                for name in filenames if top in ("/sandbox", "/tmp", "/etc") else []:
                    try:
                        with open(os.path.join(dirpath, name), "rb") as fh:
                            seen[os.path.join(dirpath, name)] = fh.read(100_000).decode(errors="replace")
                    except OSError:
                        pass
        leaks = [(where, needle) for where, text in seen.items() for needle in needles if needle in text]
        assert not leaks, leaks
        """
    )
    assert result.all_passed, message(result)
    assert "prep-run-" not in result.stdout + result.stderr


@needs_bwrap
def test_only_the_expected_file_descriptors_are_open():
    result = run_one(
        """
        import sys
        fds = []
        for fd in range(1024):
            try:
                os.fstat(fd)
            except OSError:
                continue
            fds.append(fd)
        assert set(fds) <= {0, 1, 2, int(sys.argv[1])}, fds
        """
    )
    assert result.all_passed, message(result)


@pytest.mark.skipif(platform.machine() not in ARCH, reason="no seccomp table for this machine")
def test_the_filter_for_this_machine_is_what_bwrap_gets(settings):
    assert runner.seccomp_program(platform.machine()) == runner.seccomp_program()


def test_a_system_check_refuses_bwrap_on_a_machine_without_a_filter(settings, monkeypatch):
    from questions import checks

    settings.PREP_CODE_RUNNER = "bwrap"
    monkeypatch.setattr(checks.shutil, "which", lambda name: "/usr/bin/bwrap")
    monkeypatch.setattr(seccomp.platform, "machine", lambda: "sparc64")
    assert [m.id for m in checks.code_runner_check(None)] == ["prep.E003"]


@needs_bwrap
def test_a_system_check_refuses_a_bwrap_without_the_needed_options(settings, monkeypatch):
    from questions import checks

    settings.PREP_CODE_RUNNER = "bwrap"
    assert checks.code_runner_check(None) == []
    monkeypatch.setattr(checks, "BWRAP_OPTIONS", ("--no-such-option", *checks.BWRAP_OPTIONS))
    assert [m.id for m in checks.code_runner_check(None)] == ["prep.E004"]
