"""The seccomp filter bwrap loads into the sandbox (`--seccomp FD`).

It refuses namespaces, mounts, ptrace and other kernel attack surface, and kills a process
that makes system calls for another architecture.
"""

from __future__ import annotations

import functools
import platform
import struct

from questions.runner.limits import RunnerDisabled

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
