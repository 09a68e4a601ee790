"""Where the lesson notebooks are, for ``coursekit lab``: a source checkout's ``lessons/``, or
the copy installed with the package (``<prefix>/share/coursekit/lessons``, from the wheel's
data files), copied to a folder of the student's own so that their edits never touch it.

    folder = lessons_folder()        # ./coursekit-lessons outside a checkout
"""

from __future__ import annotations

import shutil
import site
import sysconfig
from pathlib import Path

__all__ = ["CHECKOUT_LESSONS", "WORK_FOLDER", "installed_lessons", "lessons_folder"]

CHECKOUT_LESSONS = Path(__file__).resolve().parents[1] / "lessons"
WORK_FOLDER = "coursekit-lessons"
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
