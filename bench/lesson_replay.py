"""The live-demo mode on the lessons: each one rehearsed (``COURSEKIT_DEMO=record``), then replayed.

    .venv/bin/python bench/lesson_replay.py [01 02 ...] [--speed max] [--keep DIR]

Each lesson runs top to bottom twice in fresh kernels, in sample mode with seed 0 and one
throw-away ``COURSEKIT_HOME``: first recording every fit, ``lr_find`` and prediction, then
replaying them as in class. Printed per lesson: the seconds of each run and their ratio, how many
steps replayed and how many fell back to training live (with the reason the lesson printed), and
whether the replay's check cells printed the same numbers as the rehearsal's (the demo mode's own
lines aside). Exits 1 if a step
trained live or the numbers differ.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
REPLAYED = re.compile(r"^(replaying the recording of |.*: the rehearsal's predictions )", re.M)
LIVE = re.compile(r"^(no recording .*)$", re.M)


def run(path: Path, action: str, home: Path, speed: str) -> tuple[float, str, str]:
    """(seconds, every stream output, the check cells' outputs) of one run of the lesson."""
    os.environ.update(
        COURSEKIT_HOME=str(home),
        COURSEKIT_SAMPLE="1",
        COURSEKIT_SEED="0",
        COURSEKIT_DEMO=action,
        COURSEKIT_DEMO_NAME=path.stem,
        COURSEKIT_DEMO_SPEED=speed,
    )
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    streams = [
        (cell.source, out.get("text", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
    ]
    checks = "".join(text for source, text in streams if "check_" in source)
    checks = "\n".join(  # the numbers, without the demo mode's own lines
        line for line in checks.splitlines() if not (REPLAYED.match(line) or LIVE.match(line))
    )
    return seconds, "".join(text for _, text in streams), checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "lessons", nargs="*", help="e.g. 01 04 (default: 01 to 04, the training ones)"
    )
    parser.add_argument("--speed", default="max", help="COURSEKIT_DEMO_SPEED for the replay")
    parser.add_argument("--keep", type=Path, help="keep COURSEKIT_HOME (the recordings) here")
    args = parser.parse_args()
    wanted = args.lessons or ["01", "02", "03", "04"]
    paths = [
        p for p in sorted(LESSONS.glob("*.ipynb")) if any(p.stem.startswith(w) for w in wanted)
    ]
    home = args.keep or Path(tempfile.mkdtemp(prefix="coursekit-replay-"))
    failed = False
    for path in paths:
        rehearsal, _, rehearsed = run(path, "record", home, args.speed)
        replay, text, replayed = run(path, "replay", home, args.speed)
        live = LIVE.findall(text)
        same = rehearsed == replayed
        failed |= bool(live) or not same
        print(
            f"{path.stem}: rehearsal {rehearsal:.1f} s, replay {replay:.1f} s "
            f"({rehearsal / replay:.1f}x); {len(REPLAYED.findall(text))} steps replayed, "
            f"{len(live)} live; the check cells' numbers {'the same' if same else 'DIFFER'}"
        )
        for line in live:
            print(f"    {line}")
        if not same:
            a, b = rehearsed.splitlines(), replayed.splitlines()
            for line in [x for x in a if x not in b]:
                print(f"    rehearsal only: {line}")
            for line in [x for x in b if x not in a]:
                print(f"    replay only: {line}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
