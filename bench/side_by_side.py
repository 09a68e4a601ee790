"""Seconds for test runs side by side, with torch's default threads and with one thread each.

    .venv/bin/python bench/side_by_side.py [--runs 3] [tests ...]

`make test` ends with three platform runs of the unit tests side by side (test-min, test-colab,
test-py313). torch starts one compute thread per core in each process, so three processes on a
2-core machine run six threads that wait on each other. This prints the wall time of one run
alone, of RUNS runs side by side as torch starts them, and of RUNS runs side by side with
``OMP_NUM_THREADS=1`` (what the Makefile's PLATFORM_THREADS sets), and the ratio of the two
side-by-side times. By default the runs are the training-heavy unit tests.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRAINING_TESTS = [
    "tests/test_lr_finder.py",
    "tests/test_seeding.py",
    "tests/test_trainer_semantics.py",
    "tests/test_learner.py",
]


def side_by_side(tests: list[str], runs: int, threads: str | None) -> float:
    """Wall seconds for ``runs`` pytest runs of ``tests`` started together; raises if one fails."""
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(name, None)
        if threads is not None:
            env[name] = threads
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
    start = time.perf_counter()
    procs = [
        subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(runs)
    ]
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"pytest failed (rc {proc.returncode}):\n{out}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tests", nargs="*", default=TRAINING_TESTS)
    parser.add_argument("--runs", type=int, default=3, help="how many runs go side by side")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; tests: {' '.join(args.tests)}")
    alone = side_by_side(args.tests, 1, None)
    print(f"one run alone, torch's default threads: {alone:6.1f} s")
    default = side_by_side(args.tests, args.runs, None)
    print(f"{args.runs} side by side, torch's default threads: {default:6.1f} s")
    single = side_by_side(args.tests, args.runs, "1")
    print(f"{args.runs} side by side, OMP_NUM_THREADS=1: {single:6.1f} s")
    print(f"default threads / one thread each, side by side: {default / single:.2f}x")


if __name__ == "__main__":
    main()
