"""What a run may use, and RunnerDisabled for when running code is not allowed at all."""

from __future__ import annotations

from dataclasses import dataclass, replace

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


def without_cgroup(limits: Limits) -> Limits:
    processes = min(limits.processes, FALLBACK_PROCESSES)
    memory = min(limits.memory_bytes, FALLBACK_TOTAL // processes)
    return replace(
        limits, processes=processes, memory_bytes=memory, total_memory_bytes=processes * memory
    )
