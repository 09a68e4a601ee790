"""Where the lesson notebooks are, for ``coursekit lab``: a source checkout's ``lessons/``, or
the copy installed with the package (``<prefix>/share/coursekit/lessons``, from the wheel's
data files), copied to a folder of the student's own so that their edits never touch it.

    folder = lessons_folder()        # ./coursekit-lessons outside a checkout

And, for ``coursekit present LESSON``, a lesson as the room sees it: a copy whose code cells are
folded away (their outputs shown), written to a work folder, never over the lesson itself.

    copy = presentation_copy(find_lesson("pets", lessons_folder()), Path("coursekit-present"))
"""

from __future__ import annotations

import json
import shutil
import site
import sysconfig
from pathlib import Path

from coursekit.fileio import atomic_write_text

__all__ = [
    "CHECKOUT_LESSONS",
    "PRESENT_FOLDER",
    "WORK_FOLDER",
    "find_lesson",
    "installed_lessons",
    "lessons_folder",
    "presentation_copy",
]

CHECKOUT_LESSONS = Path(__file__).resolve().parents[1] / "lessons"
WORK_FOLDER = "coursekit-lessons"
PRESENT_FOLDER = "coursekit-present"
_INSTALLED = Path("share") / "coursekit" / "lessons"


def installed_lessons() -> Path | None:
    """The lessons installed with the package (system or ``--user`` install), if any."""
    for prefix in (sysconfig.get_path("data"), site.getuserbase()):
        folder = Path(prefix) / _INSTALLED
        if any(folder.glob("*.ipynb")):
            return folder
    return None


def lessons_folder(work: Path | None = None, checkout: Path = CHECKOUT_LESSONS) -> Path:
    """The folder to open the lessons in: ``checkout`` when coursekit runs from a source
    checkout; otherwise ``work`` (default ``./coursekit-lessons``), where the installed lessons
    are copied, leaving alone any notebook already there (the student's work)."""
    if any(checkout.glob("*.ipynb")):
        return checkout
    source = installed_lessons()
    if source is None:
        raise FileNotFoundError(
            "no lesson notebooks found: they install with the package (pip install coursekit-dl) "
            f"into {Path(sysconfig.get_path('data')) / _INSTALLED}; reinstall it, or open the "
            "lessons from a source checkout."
        )
    work = Path(work) if work is not None else Path.cwd() / WORK_FOLDER
    work.mkdir(parents=True, exist_ok=True)
    for notebook in sorted(source.glob("*.ipynb")):
        if not (work / notebook.name).exists():
            shutil.copy2(notebook, work / notebook.name)
    return work


def find_lesson(name: str, folder: Path) -> Path:
    """The lesson ``name`` names: a notebook's path, or a lesson in ``folder`` by its file name
    (``01_pets.ipynb``, ``01_pets``), its number (``01``, ``1``) or its subject (``pets``)."""
    path = Path(name).expanduser()
    if path.suffix == ".ipynb" and path.is_file():
        return path
    notebooks = sorted(folder.glob("*.ipynb"))
    key = name.removesuffix(".ipynb").lower()
    for notebook in notebooks:
        number, _, subject = notebook.stem.partition("_")
        if key in {notebook.stem.lower(), subject.lower()} or (
            key.isdigit() and number.isdigit() and int(key) == int(number)
        ):
            return notebook
    names = ", ".join(n.stem for n in notebooks) or "none"
    raise FileNotFoundError(
        f"no lesson {name!r} in {folder}: give a lesson's name or number ({names}) or a notebook's path"
    )


def presentation_copy(lesson: Path, work: Path) -> Path:
    """``lesson`` copied to ``work/<its name>`` with every code cell's source folded away
    (``metadata.jupyter.source_hidden``: JupyterLab shows an ellipsis that opens it) and its
    outputs shown. The copy is written atomically and replaced each time; ``lesson`` is only read."""
    notebook = json.loads(lesson.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            jupyter = cell.setdefault("metadata", {}).setdefault("jupyter", {})
            jupyter["source_hidden"], jupyter["outputs_hidden"] = True, False
    text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    return atomic_write_text(Path(work) / lesson.name, text)
