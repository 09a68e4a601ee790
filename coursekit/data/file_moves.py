"""Moving a student's files as one transaction: check every move first, never overwrite, and put
back what was moved when a later step fails.

    problem = move_problem(src, dst)          # None, or why this move cannot be done
    batch = MoveBatch()
    try:
        for src, dst in moves:
            batch.move(src, dst)
    except OSError:
        left = batch.roll_back()              # [] when everything is back where it was

``shutil.move`` is not enough: when renaming fails (a folder it may not write) it falls back to
copy-then-delete, and when the delete fails too the copy stays behind. ``move_file`` renames, and
only across file systems copies, then deletes the original, and removes its own copy again if the
original cannot be deleted. A file's *stamp* (size, modification time, SHA-256) says later whether
it is still the file that was moved.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MoveBatch", "file_stamp", "free_name", "move_file", "move_problem"]


def file_stamp(path: Path) -> list[int | str]:
    """``[size, mtime in ns, sha256]`` of the file at ``path`` (not following a symlink)."""
    stat = os.lstat(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return [stat.st_size, stat.st_mtime_ns, digest.hexdigest()]


def free_name(path: Path, taken: set[Path] | frozenset[Path] = frozenset()) -> Path:
    """``path``, or ``name_1.jpg``, ``name_2.jpg``... when that name exists already (or is
    ``taken`` by another move of the same batch): a clash gets a new name, never an overwrite."""
    candidate, i = path, 0
    while os.path.lexists(candidate) or candidate in taken:
        i += 1
        candidate = path.with_name(f"{path.stem}_{i}{path.suffix}")
    return candidate


def _writable_folder(folder: Path) -> str | None:
    """None when files can be created in ``folder`` (or in the nearest folder above it that
    exists, where the missing ones would be made), else why not."""
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is read-only"
    return None


def move_problem(src: Path, dst: Path) -> str | None:
    """Why moving ``src`` to ``dst`` cannot be done (the source must be a regular file, not a
    symlink; both folders writable; nothing at ``dst``), or None when it can."""
    if src.is_symlink():
        return (
            f"{src} is a symbolic link (to {os.readlink(src)}): coursekit moves only regular "
            "files; replace the link by a copy of its file, or move it by hand"
        )
    if not src.exists():
        return f"{src} does not exist (already cleaned, or moved by hand?)"
    if not src.is_file():
        return f"{src} is not a regular file"
    if not os.access(src.parent, os.W_OK | os.X_OK):
        return f"{src} cannot be moved: its folder {src.parent} is read-only"
    if os.path.lexists(dst):
        return f"{dst} exists already"
    problem = _writable_folder(dst.parent)
    return f"{src} cannot be moved to {dst}: {problem}" if problem else None


def move_file(src: Path, dst: Path) -> None:
    """Move the file ``src`` to ``dst``, which must not exist; nothing is left behind on failure."""
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, "will not overwrite", str(dst))
    try:
        os.rename(src, dst)
        return
    except OSError as e:
        if e.errno != errno.EXDEV:  # anything but "another file system" is a real failure
            raise
    shutil.copy2(src, dst)
    try:
        os.unlink(src)
    except OSError:
        os.unlink(dst)  # our own copy: the original stays the only one
        raise


@dataclass
class MoveBatch:
    """The moves done so far, and the folders made for them, so that they can be undone."""

    done: list[tuple[Path, Path]] = field(default_factory=list)
    made: list[Path] = field(default_factory=list)

    def move(self, src: Path, dst: Path) -> None:
        """Move ``src`` to ``dst``, making ``dst``'s missing folders (remembered for roll_back)."""
        missing = [p for p in [dst.parent, *dst.parent.parents] if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            self.made.append(folder)
        move_file(src, dst)
        self.done.append((src, dst))

    def roll_back(self) -> list[str]:
        """Put every moved file back, newest first, and remove the folders made (when empty).
        Returns what could not be put back (empty when all of it was)."""
        left = []
        for src, dst in reversed(self.done):
            try:
                move_file(dst, src)
            except OSError as e:
                left.append(f"{src} is at {dst} ({e.strerror or e})")
        for folder in reversed(self.made):
            with contextlib.suppress(OSError):  # not empty: left in place
                folder.rmdir()
        self.done, self.made = [], []
        return left
