"""The lessons with their outputs, to read without a kernel: ``docs/lessons/*.ipynb``.

    python -m tools.publish_lessons [01 04 ...]          # make publish: every lesson
    python -m tools.publish_lessons --executed DIR       # clean notebooks already run (seed 0)
    python -m tools.publish_lessons --refresh            # only the text changed: keep the outputs

The lessons in ``lessons/`` are stored without outputs, so that a student opens a clean notebook
(``tests/test_lessons.py`` checks it). Their published copies carry the outputs of one seeded
sample-mode run: each lesson runs top to bottom in a fresh kernel with ``COURSEKIT_SAMPLE=1``,
``COURSEKIT_SEED=0`` and a new ``COURSEKIT_HOME``, and the outputs are cleaned of what belongs to
the machine rather than the lesson:

- paths: the run's ``COURSEKIT_HOME`` becomes ``~/.coursekit``, this checkout's root and Python's
  ``site-packages`` are dropped, a kernel's cell file (``/tmp/ipykernel_*/*.py``) becomes ``<cell>``,
  the data cleaner's time-stamped ``.trash/`` folder becomes ``.trash/<when>``;
- the seconds in the epoch tables' ``time`` column, cell timings and kernel metadata;
- progress bars; an interactive panel becomes a line saying so (its static figure follows it);
- figures are re-encoded as PNGs at most 800 pixels wide in 128 colours (the repository stays small).

A banner cell first says that the outputs are sample mode's. ``tests/test_published_lessons.py``
keeps the copies in step with the lessons: the same cells, and a fresh run gives the same outputs
(``structure``).
"""

from __future__ import annotations

import argparse
import base64
import copy
import io
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from PIL import Image

__all__ = ["BANNER", "PUBLISHED", "clean", "execute", "publish", "refresh", "structure"]

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
PUBLISHED = ROOT / "docs" / "lessons"
WIDGET = "application/vnd.jupyter.widget-view+json"
PROGRESS = re.compile(r"\d+%\||\d+/\d+ \[|it/s\]")
CELL_FILE = re.compile(r"/tmp/ipykernel_\d+/\d+\.py")
SITE_PACKAGES = re.compile(r"/[^\s'\"]*/site-packages/")
EPOCH_SECONDS = re.compile(r"(<td[^>]*>)\d+(\.\d+)?s(</td>)")
TRASH_STAMP = re.compile(r"\.trash/\d{8}-\d{6}-[0-9a-f]+")  # the data cleaner's folder per apply
PANEL_NOTE = (
    "*An interactive panel: run the notebook to use it. "
    "(This published copy cannot run it; the figure after it shows its state.)*"
)
BANNER = """**Published copy, with the outputs of one sample-mode run.** This is
[`lessons/{name}`](../../lessons/{name}) with its outputs, to read without running it: every
figure, epoch table and gallery below comes from a run in *sample mode*
(`COURSEKIT_SAMPLE=1`, `COURSEKIT_SEED=0`: coursekit's drawn pictures and its small `tinyresnet`,
on a 2-core CPU), not from the course's data, so the numbers are the sample's, not the course's;
the text says which is which. Interactive panels do not run here. Made by `make publish`
(`python -m tools.publish_lessons`); `tests/test_published_lessons.py` keeps it in step with the
lesson."""


def execute(lesson: Path, home: Path, seed: int = 0) -> nbformat.NotebookNode:
    """Run ``lesson`` top to bottom in a fresh kernel in sample mode, as a student would, with
    ``COURSEKIT_HOME=home``; returns the executed notebook (raises if a cell raises)."""
    nb = nbformat.read(lesson, as_version=4)
    env = {
        "COURSEKIT_SAMPLE": "1",
        "COURSEKIT_SEED": str(seed),
        "COURSEKIT_HOME": str(home),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client = NotebookClient(
            nb,
            timeout=600,
            record_timing=False,
            resources={"metadata": {"path": str(lesson.parent)}},
        )
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb


def _clean_text(text: str, home: str | None) -> str:
    if home:
        text = text.replace(home, "~/.coursekit")
    text = CELL_FILE.sub("<cell>", text)
    text = SITE_PACKAGES.sub("", text)
    text = text.replace(str(ROOT) + "/", "")
    text = TRASH_STAMP.sub(".trash/<when>", text)
    return EPOCH_SECONDS.sub(r"\1…\3", text)


MAX_WIDTH, COLOURS = 800, 128


def _small_png(data: str) -> str:
    """A PNG (base64) at most ``MAX_WIDTH`` pixels wide in ``COLOURS`` colours: the same figure to
    the eye, a third of the bytes or less."""
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    if image.mode == "P" and image.width <= MAX_WIDTH:
        return data  # made here already (``refresh`` cleans a published copy again): keep it
    image = image.convert("RGB")
    if image.width > MAX_WIDTH:
        height = round(image.height * MAX_WIDTH / image.width)
        image = image.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.quantize(COLOURS, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def _clean_output(output: dict[str, Any], home: str | None) -> dict[str, Any] | None:
    """The output as published, or None to leave it out (a progress bar)."""
    kind = output["output_type"]
    if kind == "stream":
        return {
            "name": output["name"],
            "output_type": "stream",
            "text": _clean_text(output["text"], home),
        }
    if kind == "error":
        return output  # published copies are made from runs that raise nothing (tested)
    data = dict(output.get("data", {}))
    if WIDGET in data:
        if PROGRESS.search(str(data.get("text/plain", ""))):
            return None
        data = {"text/markdown": PANEL_NOTE}
    cleaned: dict[str, Any] = {}
    for mime, value in data.items():
        if mime == "image/png":
            cleaned[mime] = _small_png(value)
        elif isinstance(value, str) and mime.startswith("text/"):
            cleaned[mime] = _clean_text(value, home)
        elif isinstance(value, str):
            cleaned[mime] = value
        else:
            cleaned[mime] = value
    result = {"data": cleaned, "metadata": {}, "output_type": kind}
    if kind == "execute_result":
        result["execution_count"] = output.get("execution_count")
    return result


def clean(executed: nbformat.NotebookNode, lesson: Path, home: str | None) -> nbformat.NotebookNode:
    """``executed`` (a run of ``lesson``) as published: the banner, then the lesson's cells with
    their cleaned outputs, and the lesson's own notebook metadata."""
    original = nbformat.read(lesson, as_version=4)
    nb = copy.deepcopy(original)
    for cell, ran in zip(nb.cells, executed.cells):
        if cell.cell_type != "code":
            continue
        outputs: list[dict[str, Any]] = []
        for out in ran.get("outputs", []):
            cleaned = _clean_output(out, home)
            if cleaned is None:
                continue
            last = outputs[-1] if outputs else None
            if (
                last
                and cleaned["output_type"] == last["output_type"] == "stream"
                and (cleaned["name"] == last["name"])
            ):  # one print may arrive in pieces, depending on timing: join them
                last["text"] += cleaned["text"]
            else:
                outputs.append(cleaned)
        cell.outputs = [nbformat.from_dict(out) for out in outputs]
        cell.execution_count = ran.get("execution_count")
    banner = nbformat.v4.new_markdown_cell(BANNER.format(name=lesson.name))
    banner.id = "published-banner"
    nb.cells.insert(0, banner)
    return nb


def publish(lesson: Path, out_dir: Path = PUBLISHED, executed: Path | None = None) -> Path:
    """Run (or take the run in ``executed``) and clean one lesson; write it to ``out_dir``."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        if executed is not None:
            run, home_text = nbformat.read(executed, as_version=4), os.environ.get("COURSEKIT_HOME")
            home_text = home_text or str(Path.home() / ".coursekit")
        else:
            run, home_text = execute(lesson, home), str(home)
        nb = clean(run, lesson, home_text)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / lesson.name
    partial = target.with_suffix(".ipynb.partial")
    nbformat.write(nb, partial)
    partial.replace(target)  # atomic: a reader never sees half a notebook
    return target


def refresh(lesson: Path, out_dir: Path = PUBLISHED) -> Path:
    """Rewrite a published copy with the lesson's current cells, keeping its outputs: for a change
    to the lesson's text alone. Refuses (ValueError) if a code cell changed: then run it again."""
    target = out_dir / lesson.name
    published = nbformat.read(target, as_version=4)
    original = nbformat.read(lesson, as_version=4)
    run = copy.deepcopy(published)
    run.cells = published.cells[1:]  # without the banner
    code = [(c.cell_type, c.source) for c in run.cells if c.cell_type == "code"]
    if code != [(c.cell_type, c.source) for c in original.cells if c.cell_type == "code"] or len(
        run.cells
    ) != len(original.cells):
        raise ValueError(
            f"{lesson.name}: its code cells changed since {target} was made; run "
            f"`python -m tools.publish_lessons {lesson.name[:2]}` to run it again."
        )
    nb = clean(run, lesson, None)
    partial = target.with_suffix(".ipynb.partial")
    nbformat.write(nb, partial)
    partial.replace(target)
    return target


def structure(nb: nbformat.NotebookNode) -> list[tuple[Any, ...]]:
    """What a re-run must not change: each cell's type and source, and for each output its kind,
    its mime types and its text and HTML (an epoch table, a data frame) with the digits masked
    (numbers may differ on another machine)."""
    cells = []
    for cell in nb.cells:
        outs = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            mimes = tuple(sorted(data)) if "data" in out else (out.get("name"),)
            texts = (out.get("text", "") or data.get("text/plain", ""), data.get("text/html", ""))
            outs.append((out["output_type"], mimes, *(re.sub(r"\d+", "#", t) for t in texts)))
        cells.append((cell.cell_type, cell.source, tuple(outs)))
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "lessons", nargs="*", help="lesson number prefixes, e.g. 01 04 (all by default)"
    )
    parser.add_argument(
        "--executed",
        type=Path,
        help="a folder of runs already made (bench/lesson_seeds.py --save: <lesson>_seed0.ipynb)",
    )
    parser.add_argument(
        "--refresh", action="store_true", help="keep the published outputs; take the lessons' text"
    )
    args = parser.parse_args()
    paths = sorted(LESSONS.glob("*.ipynb"))
    if args.lessons:
        paths = [p for p in paths if p.name.split("_")[0] in args.lessons]
    for path in paths:
        if args.refresh:
            print(f"{path.name}: refreshed -> {refresh(path).relative_to(ROOT)}", flush=True)
            continue
        executed = args.executed / f"{path.stem}_seed0.ipynb" if args.executed else None
        print(
            f"{path.name}: {'cleaning ' + str(executed) if executed else 'running'} ...", flush=True
        )
        target = publish(path, executed=executed)
        print(
            f"  -> {target.relative_to(ROOT)} ({target.stat().st_size / 1024:.0f} KiB)", flush=True
        )


if __name__ == "__main__":
    sys.exit(main())
