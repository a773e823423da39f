"""A cgroup per run, where the server may create one (root with a writable memory controller).

Memory (files in /tmp included) and processes are then capped for the whole run, and every
process of the run is killed when it ends. Elsewhere the run gets fewer and smaller processes
so that their product stays bounded (`limits.without_cgroup`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from questions.runner.limits import Limits

logger = logging.getLogger(__name__)

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


def stale_candidates() -> list[Path]:
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


def create_run_group(limits: Limits) -> RunGroup | None:
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
    group = create_run_group(Limits())
    if group is None:
        return ""
    group.close()
    return f"cgroup {group.version} ({', '.join(k or 'memory, pids' for k in group.dirs)})"
