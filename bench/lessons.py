"""Seconds and memory each lesson takes in sample mode, and its slowest cells.

    .venv/bin/python bench/lessons.py [01 04 ...] [--top 5]

Runs each lesson top to bottom in a fresh kernel, as tests/test_lessons.py does
(COURSEKIT_SAMPLE=1, the working directory beside the notebook), and times every cell.
The goal is 60 s per lesson on the 2-core machine. The first run of a lesson also draws its
sample set and the resized copies (kept in $COURSEKIT_HOME), so a lesson is run twice and both
totals are printed: 'first' as a new student sees it, 'again' as every later run.
Memory: the kernel's peak resident set, and the largest of its child processes' (data-loader
workers), read in the kernel after the last cell; Binder gives a session 1-2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

LESSONS = Path(__file__).resolve().parents[1] / "lessons"


PEAK_MEMORY = """import json, resource
print(json.dumps([resource.getrusage(who).ru_maxrss / 1024
                  for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]))"""


def time_cells(path: Path) -> tuple[float, list[tuple[float, int, str]], list[float]]:
    """Total seconds, (seconds, index, first line) per code cell, and the peak MiB of the
    kernel and of its largest child."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY))
    client = NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}})
    cells: list[tuple[float, int, str]] = []
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells[:-1]):
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            cells.append((time.perf_counter() - t0, index, first_line[:60]))
        total = time.perf_counter() - start
        client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
    peak = json.loads(nb.cells[-1].outputs[0]["text"])
    return total, cells, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "lessons", nargs="*", help="lesson number prefixes, e.g. 01 04 (all by default)"
    )
    parser.add_argument("--top", type=int, default=5, help="how many of the slowest cells to list")
    args = parser.parse_args()
    os.environ["COURSEKIT_SAMPLE"] = "1"
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    paths = sorted(LESSONS.glob("*.ipynb"))
    if args.lessons:
        paths = [p for p in paths if p.name.split("_")[0] in args.lessons]
    for path in paths:
        first, _, _ = time_cells(path)
        again, cells, (kernel, child) = time_cells(path)
        print(
            f"{path.stem:<22} first {first:6.1f} s   again {again:6.1f} s   "
            f"peak memory: kernel {kernel:5.0f} MiB, largest child {child:5.0f} MiB"
        )
        for seconds, index, line in sorted(cells, reverse=True)[: args.top]:
            print(f"    cell {index:>2}  {seconds:6.1f} s  {line}")


if __name__ == "__main__":
    main()
