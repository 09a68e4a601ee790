"""Writing files so that nothing half-written is ever visible: a temporary file, then a rename.

    atomic_write(path, lambda tmp: torch.save(state, tmp))

``os.replace`` is atomic on one file system: a reader (or a crash) sees the old file or the new
one, never a mixture. The temporary path sits beside the target, so the rename never crosses
file systems, and it is removed if writing fails. ``write`` may make a folder there instead of a
file (a sample data set, an extracted archive): the same rename puts it in place whole.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_text", "files_not_in", "move_folder_aside", "set_aside"]


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then rename it onto ``path``.

    A file at ``path`` is replaced; a folder only if empty (``write`` may remove an old one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)  # only ever our own unfinished folder
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))


def set_aside(path: str | os.PathLike[str], why: str = "damaged") -> Path:
    """Rename ``path`` to ``<name>.<why>`` (``<name>.<why>-1``, ... if that is taken) and return the
    new path: a file that must not be used again (a damaged download) is moved out of the way, so
    that the next call fetches it afresh, but kept for the student to look at or delete."""
    path = Path(path)
    target, i = path.with_name(f"{path.name}.{why}"), 0
    while os.path.lexists(target):
        i += 1
        target = path.with_name(f"{path.name}.{why}-{i}")
    os.rename(path, target)
    return target


def files_not_in(old: Path, new: Path) -> list[str]:
    """The files under the folder ``old`` (relative paths, sorted) that ``new`` does not hold at
    the same place: in a folder coursekit made afresh, the student's own work."""
    made = {p.relative_to(new) for p in new.rglob("*") if not p.is_dir()}
    return sorted(
        str(p.relative_to(old))
        for p in old.rglob("*")
        if not p.is_dir() and p.relative_to(old) not in made
    )


def move_folder_aside(old: Path, new: Path, what: str) -> str:
    """Rename the folder ``old`` to ``<old>.before-<time>`` (deleting nothing) and return a notice
    that begins with ``what`` (why a new folder takes its place) and names the files in it that
    the new folder ``new`` does not hold (``files_not_in``)."""
    aside = set_aside(old, f"before-{time.strftime('%Y%m%d-%H%M%S')}")
    theirs = files_not_in(aside, new)
    named = ", ".join(theirs[:5]) + (f" and {len(theirs) - 5} more" if len(theirs) > 5 else "")
    return (
        f"{what}. The earlier folder is kept, untouched, at {aside}"
        + (
            f": it holds {len(theirs)} file(s) that are not in the new one ({named})."
            if theirs
            else "."
        )
        + " Copy what you need from it, then delete it yourself."
    )
