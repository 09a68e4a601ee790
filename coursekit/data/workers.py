"""How many CPUs this process may really use, and so how many data-loader workers to start.

>>> usable_cpus()              # e.g. 2 inside a Binder container on a 64-core host
>>> default_num_workers()      # e.g. 2; 0 where workers would be spawned (macOS, Windows)

``os.cpu_count()`` counts the host's cores. Inside a container (Binder, Colab, a CI runner) the
process may run on only some of them (its CPU affinity) and for only part of each second (its
cgroup's CPU quota): starting a worker per host core then wastes memory and time. This file imports
nothing from coursekit, so ``binder/start`` runs it as a script to cap the BLAS threads the same
way: ``python coursekit/data/workers.py`` prints the usable CPUs.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
from pathlib import Path

__all__ = ["NUM_WORKERS_ENV", "default_num_workers", "usable_cpus"]

NUM_WORKERS_ENV = "COURSEKIT_NUM_WORKERS"
MAX_WORKERS = 4  # more rarely helps for small pictures, and each worker holds a copy of the dataset


def _cgroup_quota(cgroup_root: Path) -> float | None:
    """CPUs allowed by the cgroup's quota (v2 ``cpu.max``, or v1 ``cpu.cfs_quota_us``); None: no quota."""
    try:
        max_text, period_text = (cgroup_root / "cpu.max").read_text().split()[:2]  # cgroup v2
        return None if max_text == "max" else int(max_text) / int(period_text)
    except (OSError, ValueError):
        pass
    try:
        quota = int((cgroup_root / "cpu" / "cpu.cfs_quota_us").read_text())  # cgroup v1
        period = int((cgroup_root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 or period <= 0 else quota / period
    except (OSError, ValueError):
        return None


def usable_cpus(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """The CPUs this process may use: its affinity, capped by its cgroup's CPU quota (rounded up).

    cgroup_root: where the cgroup file system is mounted (a test points it at a folder it made).
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        cpus = os.cpu_count() or 1
    quota = _cgroup_quota(Path(cgroup_root))
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


def default_num_workers(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """Loader worker processes: ``$COURSEKIT_NUM_WORKERS`` when set; else up to 4, one per usable
    CPU, where processes start by forking (Linux, Colab), and 0 where they are spawned (macOS,
    Windows), because spawned workers cannot re-import code defined in a notebook.

    ``ImageData(..., num_workers=2)`` overrides it for one data set. Lesson 1 onwards.
    """
    override = os.environ.get(NUM_WORKERS_ENV, "").strip()
    if override:
        if not override.isdigit():
            raise ValueError(
                f"{NUM_WORKERS_ENV}={override!r} is not a number of worker processes; "
                f"set it to 0 (load in the main process), 1, 2, ... or unset it."
            )
        return int(override)
    method = multiprocessing.get_start_method(allow_none=True)
    if method is None:  # not chosen yet: Linux forks by default before Python 3.14
        method = (
            "fork" if sys.platform.startswith("linux") and sys.version_info < (3, 14) else "spawn"
        )
    return min(MAX_WORKERS, usable_cpus(cgroup_root)) if method == "fork" else 0


if __name__ == "__main__":
    print(usable_cpus())
