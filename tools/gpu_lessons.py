"""Lessons 01-04 in full mode on a GPU, at the course's own picture sizes and batch sizes.

    python -m tools.gpu_lessons [--out lessons.json] [--lessons 01 02 03 04] [--mirror DIR]
                                [--allow-cpu] [--cells]

As the full-mode rehearsal (``tests/test_full_mode.py``): the mirror of the real sources is built
(``tools/mirror.py``), ``coursekit data --full all`` fetches everything from it, the mirror stops,
and each lesson runs top to bottom with ``COURSEKIT_SAMPLE=0`` -- but with no picture-size cap, so
resnet34/50 and resnext50 train at 224 and 299 px. The mirror's weights are random, so the numbers
mean nothing; what is checked is that every cell runs, that the precision line names the GPU and
that no "No GPU" notice appears. Recorded for each lesson: wall time, and peak GPU memory
(allocated and reserved by PyTorch's caching allocator), with whether it fits a T4's 15 GB.

Lessons run as notebooks in a Jupyter kernel when ``nbclient`` and ``ipykernel`` import, else as
their code cells in order in an IPython shell; the JSON says which (``"executed_as"``).
Without CUDA it stops with an error, unless ``--allow-cpu`` (to try the script itself; set
``COURSEKIT_MAX_SIZE=32`` then, or it takes hours).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
T4_BYTES = 15 * 2**30  # a T4 has 16 GB, of which about 15 GiB is free to a process
MEASURE = (
    "import json as _json, torch as _torch\n"
    "print('GPU_PEAK ' + _json.dumps({'allocated': _torch.cuda.max_memory_allocated(), "
    "'reserved': _torch.cuda.max_memory_reserved()} if _torch.cuda.is_available() else {}))\n"
)


def prepare(work: Path, mirror: Path | None = None) -> dict[str, str]:
    """What a classroom machine has after ``coursekit data --full all``: the environment to run in.
    ``mirror``: a mirror built already (``python -m tools.mirror build DIR``), else one is built."""
    from tools.mirror import build, full_mode_env
    from tools.mirror_server import MirrorServer

    root = build(mirror or work / "mirror", quiet=True)
    env = full_mode_env(work)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    with MirrorServer(root) as server:
        cli = [sys.executable, "-m", "coursekit.cli", "data", "--full", "all"]
        done = subprocess.run(
            cli,
            env={**os.environ, **env, "COURSEKIT_MIRROR": server.url},
            capture_output=True,
            text=True,
        )
    if done.returncode:
        raise SystemExit(f"coursekit data --full all failed:\n{done.stdout}\n{done.stderr}")
    return env


def executed_as() -> str:
    try:
        import ipykernel  # noqa: F401
        import nbclient  # noqa: F401
    except ImportError:
        return "code cells in an IPython shell"
    return "notebook (nbclient + ipykernel)"


def run_notebook(lesson: Path, env: dict[str, str], timeout: int) -> str:
    """Execute ``lesson`` in a kernel with ``env``; its printed text (raises if a cell raises)."""
    import nbclient
    import nbformat

    nb = nbformat.read(lesson, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(MEASURE))
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        nbclient.NotebookClient(
            nb, timeout=timeout, resources={"metadata": {"path": str(lesson.parent)}}
        ).execute()
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return "".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "stream"
    )


CELLS = r"""
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance(colors="nocolor")
nb = json.load(open(sys.argv[1]))
for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
    # no front end to draw into: figures go to matplotlib's Agg backend (MPLBACKEND) instead
    lines = "".join(cell["source"]).splitlines()
    result = shell.run_cell("\n".join(l for l in lines if not l.startswith("%matplotlib")))
    if not result.success:
        sys.exit(f"code cell {i + 1} failed: {result.error_in_exec or result.error_before_exec!r}")
shell.run_cell(sys.argv[2])
"""


def run_cells(lesson: Path, env: dict[str, str], timeout: int) -> str:
    """The lesson's code cells in order, in an IPython shell in a fresh process; its output."""
    done = subprocess.run(
        [sys.executable, "-c", CELLS, str(lesson), MEASURE],
        cwd=lesson.parent,
        env={**os.environ, **env, "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(f"{lesson.name}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def check(name: str, printed: str, on_gpu: bool) -> dict[str, object]:
    """What the lesson's output must say, and its peak GPU memory."""
    peak = json.loads(printed.split("GPU_PEAK ", 1)[1].splitlines()[0])
    precision = [line for line in printed.splitlines() if line.startswith("training with")]
    problems = []
    if on_gpu and not all(line.endswith(("on cuda", "on cuda:0")) for line in precision):
        problems.append(f"precision lines not on the GPU: {precision}")
    if on_gpu and "No GPU:" in printed:
        problems.append("printed the no-GPU notice on a GPU")
    if not precision:
        problems.append("printed no 'training with ...' line")
    reserved = peak.get("reserved")
    return {
        "precision_lines": sorted(set(precision)),
        "peak_allocated_gib": round(peak.get("allocated", 0) / 2**30, 2),
        "peak_reserved_gib": round(reserved / 2**30, 2) if reserved is not None else None,
        "fits_t4_15gb": reserved is not None and reserved < T4_BYTES,
        "problems": problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("gpu_lessons.json"))
    parser.add_argument("--lessons", nargs="*", default=["01", "02", "03", "04"])
    parser.add_argument("--timeout", type=int, default=900, help="seconds per lesson")
    parser.add_argument("--mirror", type=Path, help="a mirror built already (tools/mirror.py)")
    parser.add_argument("--allow-cpu", action="store_true", help="try the script without a GPU")
    parser.add_argument(
        "--cells", action="store_true", help="run code cells even if Jupyter is there"
    )
    args = parser.parse_args(argv)
    import torch

    on_gpu = torch.cuda.is_available()
    if not on_gpu and not args.allow_cpu:
        print("no CUDA GPU: this script checks the lessons on a GPU (--allow-cpu to try it anyway)")
        return 2
    how = "code cells in an IPython shell" if args.cells else executed_as()
    report: dict[str, object] = {
        "device": torch.cuda.get_device_name() if on_gpu else "cpu",
        "torch": torch.__version__,
        "executed_as": how,
        "max_size": os.environ.get("COURSEKIT_MAX_SIZE") or None,
        "lessons": {},
    }
    lessons: dict[str, object] = {}
    report["lessons"] = lessons
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        env = prepare(Path(tmp), args.mirror)
        report["prepare_s"] = round(time.perf_counter() - start, 1)
        print(f"mirror built and fetched in {report['prepare_s']} s; lessons run as {how}")
        run = run_notebook if how.startswith("notebook") else run_cells
        for number in args.lessons:
            lesson = next((REPO / "lessons").glob(f"{number}_*.ipynb"))
            start = time.perf_counter()
            try:
                printed = run(lesson, env, args.timeout)
                result = check(lesson.stem, printed, on_gpu)
            except Exception:  # record it and go on to the next lesson
                result = {"problems": [traceback.format_exc()[-3000:]]}
            result["wall_s"] = round(time.perf_counter() - start, 1)
            lessons[lesson.stem] = result
            print(f"{lesson.stem}: {json.dumps(result)}", flush=True)
            args.out.write_text(json.dumps(report, indent=1) + "\n")  # what is done so far
    failed = [name for name, r in lessons.items() if r["problems"]]  # type: ignore[index]
    print(f"lessons with problems: {failed or 'none'}; figures in {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
