"""Loader workers sized by the CPUs the process may use (affinity, cgroup quota), not the host's."""

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.data import workers
from coursekit.data.workers import default_num_workers, usable_cpus

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def host(monkeypatch, tmp_path):
    """A 64-core host whose process may use ``cpus`` of them, under a cgroup of our making."""
    monkeypatch.delenv("COURSEKIT_NUM_WORKERS", raising=False)
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda allow_none=False: "fork")
    monkeypatch.setattr(os, "cpu_count", lambda: 64)

    def make(cpus=64, v2=None, v1=None):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)))
        (tmp_path / "cpu.max").unlink(missing_ok=True)
        if v2 is not None:
            (tmp_path / "cpu.max").write_text(v2 + "\n")
        if v1 is not None:
            (tmp_path / "cpu").mkdir()
            (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text(f"{v1[0]}\n")
            (tmp_path / "cpu" / "cpu.cfs_period_us").write_text(f"{v1[1]}\n")
        return tmp_path

    return make


@pytest.mark.parametrize(
    "v2, v1, expected",
    [
        (None, None, 64),  # no cgroup files: the affinity decides
        ("max 100000", None, 64),  # cgroup v2 without a quota
        ("200000 100000", None, 2),  # v2: two CPUs' worth per period (Binder, CI runners)
        ("150000 100000", None, 2),  # 1.5 CPUs: rounded up
        ("50000 100000", None, 1),  # half a CPU: at least one
        (None, (100000, 100000), 1),  # cgroup v1
        (None, (-1, 100000), 64),  # v1 without a quota
    ],
)
def test_usable_cpus_reads_the_cgroup_quota(host, v2, v1, expected):
    assert usable_cpus(host(v2=v2, v1=v1)) == expected


def test_affinity_caps_the_count(host):
    assert usable_cpus(host(cpus=3)) == 3
    assert usable_cpus(host(cpus=3, v2="800000 100000")) == 3


def test_default_num_workers_follows_the_usable_cpus(host, monkeypatch):
    assert default_num_workers(host(v2="100000 100000")) == 1  # not 4 on a 64-core host
    assert default_num_workers(host(cpus=64)) == workers.MAX_WORKERS
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda allow_none=False: "spawn")
    assert default_num_workers(host(cpus=64)) == 0


def test_environment_override(host, monkeypatch):
    root = host(v2="100000 100000")
    monkeypatch.setenv("COURSEKIT_NUM_WORKERS", "3")
    assert default_num_workers(root) == 3
    monkeypatch.setenv("COURSEKIT_NUM_WORKERS", "0")
    assert default_num_workers(root) == 0
    monkeypatch.setenv("COURSEKIT_NUM_WORKERS", "many")
    with pytest.raises(ValueError, match=r"COURSEKIT_NUM_WORKERS='many'.*unset it"):
        default_num_workers(root)


def test_runs_as_a_script_without_coursekit():
    """binder/start runs the file by path: it must not need the package (nor torch) importable."""
    out = subprocess.run(
        [sys.executable, "-S", str(ROOT / "coursekit" / "data" / "workers.py")],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"]},
    )
    assert int(out.stdout) == usable_cpus()
