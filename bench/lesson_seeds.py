"""Does every lesson's text hold, whatever the seed? Each lesson in sample mode under several seeds.

    .venv/bin/python bench/lesson_seeds.py [01 04 ...] [--seeds 0 1 2 3 4] [--save DIR]

Each lesson runs top to bottom in a fresh kernel, as tests/test_lessons.py runs it
(COURSEKIT_SAMPLE=1, the working directory beside the notebook), once per seed with
COURSEKIT_SEED set (``ck.set_seed()`` in its settings cell reads it). Printed per run: whether it
ran to the end, the seconds it took, every claim its check cells tested (``ck.check_claims``
prints ``holds:`` / ``FAILS:``) and, if a cell raised, that error's last line. Then, per lesson,
each claim and in how many runs it held. ``--save DIR`` keeps each executed notebook
(``DIR/<lesson>_seed<N>.ipynb``) to read its numbers. Exits 1 if any run failed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
CLAIM = re.compile(r"^(holds|FAILS): (.*)$", re.MULTILINE)


def run_lesson(
    path: Path, seed: int, save: Path | None
) -> tuple[bool, float, list[tuple[str, str]], str]:
    """(ran to the end, seconds, [(holds/FAILS, claim)], the error's last line or '')."""
    nb = nbformat.read(path, as_version=4)
    os.environ["COURSEKIT_SEED"] = str(seed)
    client = NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}})
    start, error = time.perf_counter(), ""
    try:
        client.execute()
    except CellExecutionError as e:
        error = (str(e).strip().splitlines() or ["?"])[-1]
    except Exception as e:  # a kernel that died or timed out: the run failed, the others go on
        error = f"{type(e).__name__}: {e}"
    seconds = time.perf_counter() - start
    text = "\n".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
    )
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, save / f"{path.stem}_seed{seed}.ipynb")
    return not error, seconds, CLAIM.findall(text), error


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "lessons", nargs="*", help="lesson number prefixes, e.g. 01 04 (all by default)"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--save", type=Path, help="keep the executed notebooks in this folder")
    args = parser.parse_args()
    os.environ["COURSEKIT_SAMPLE"] = "1"
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    paths = sorted(LESSONS.glob("*.ipynb"))
    if args.lessons:
        paths = [p for p in paths if p.name.split("_")[0] in args.lessons]
    all_ok = True
    for path in paths:
        held: dict[str, int] = defaultdict(int)
        runs_ok, slowest = 0, 0.0
        for seed in args.seeds:
            ok, seconds, claims, error = run_lesson(path, seed, args.save)
            runs_ok += ok
            slowest = max(slowest, seconds)
            all_ok &= ok
            status = "ok" if ok else f"FAILED: {error}"
            print(
                f"{path.stem} seed {seed}: {status} ({seconds:.1f} s, {len(claims)} claims)",
                flush=True,
            )
            for verdict, claim in claims:
                held[claim] += verdict == "holds"
                if verdict == "FAILS":
                    print(f"    FAILS: {claim}", flush=True)
        n = len(args.seeds)
        print(f"{path.stem}: {runs_ok}/{n} runs ran to the end; slowest {slowest:.1f} s")
        for claim, count in held.items():
            print(f"    {count}/{n}  {claim}")
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    main()
