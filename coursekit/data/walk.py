"""Finding the image files in a folder, and saying plainly which files were passed over and why.

    found = find_images(path/'train'/'cats')
    found.files      # the images, sorted
    found.links      # (link, why) for symlinks skipped: they loop, or point outside the folder
    found.heic       # iPhone photos (.heic/.heif) that cannot be read here

Hidden files and folders (``.trash/``, ``.ipynb_checkpoints``) are never listed. A symbolic link is
followed only when it stays inside ``root`` (the data folder) and does not lead back to a folder
above it: ``train/all -> .`` would otherwise make a class of every image, and a link to a folder
elsewhere would mix in pictures that are not part of the data set (or, from ``valid/``, the
training images). Such links are skipped with one warning naming them.

iPhones save photos as HEIC. Pillow reads them only with the ``pillow-heif`` plug-in: when it is
installed coursekit reads them (see ``coursekit.data.heic``); otherwise they are named in a
warning that says how to convert them, never skipped without a word.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.data.heic import HEIC_EXTENSIONS, HEIC_HELP, HEIC_READABLE
from coursekit.data.images import is_image_file

__all__ = ["Found", "find_images", "link_problem", "warn_passed_over"]


@dataclass
class Found:
    """What ``find_images`` found: the image files, and what it passed over."""

    files: list[Path] = field(default_factory=list)
    links: list[tuple[Path, str]] = field(default_factory=list)
    heic: list[Path] = field(default_factory=list)

    def __iadd__(self, other: Found) -> Found:
        self.files += other.files
        self.links += other.links
        self.heic += other.heic
        return self


def link_problem(link: Path, root: Path, seen: set[Path]) -> str | None:
    """Why the symlink ``link`` must not be followed (it loops, or leaves ``root``), else None."""
    try:
        target = link.resolve(strict=True)
    except FileNotFoundError:
        return "points to nothing (a broken link)"
    except (RuntimeError, OSError):
        return "loops (a link that leads back to itself)"
    if not target.is_relative_to(root.resolve()):
        return f"points outside {root} (to {target})"
    if target.is_dir() and (link.parent.resolve().is_relative_to(target) or target in seen):
        return (
            f"leads back to {target}, a folder listed already (a loop, or the same pictures twice)"
        )
    return None


def find_images(folder: str | Path, root: str | Path | None = None) -> Found:
    """The image files under ``folder`` (recursively, sorted), and the links and HEIC photos
    passed over; ``root`` (default ``folder``) is the data folder links must stay inside."""
    folder = Path(folder)
    root = Path(root) if root is not None else folder
    found, seen = Found(), {folder.resolve()}
    stack = [folder]
    while stack:
        for entry in sorted(stack.pop().iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                problem = link_problem(entry, root, seen)
                if problem is not None:
                    found.links.append((entry, problem))
                    continue
            if entry.is_dir():
                seen.add(entry.resolve())
                stack.append(entry)
            elif entry.suffix.lower() in HEIC_EXTENSIONS and not HEIC_READABLE:
                found.heic.append(entry)
            elif entry.is_file() and is_image_file(entry):
                found.files.append(entry)
    found.files.sort()
    return found


def _listing(paths: Iterable[object], n: int = 10) -> str:
    items = [str(p) for p in paths]
    return "\n".join(f"  {p}" for p in items[:n]) + (
        f"\n  ... and {len(items) - n} more" if len(items) > n else ""
    )


def warn_passed_over(found: Found) -> None:
    """One warning naming the skipped links, one naming the HEIC photos (nothing when none)."""
    if found.links:
        warnings.warn(
            f"{len(found.links)} symbolic link(s) skipped:\n"
            + _listing(f"{link}: {why}" for link, why in found.links)
            + "\nTo use those pictures, copy them into the data folder instead of linking them.",
            stacklevel=3,
        )
    if found.heic:
        warnings.warn(
            f"{len(found.heic)} HEIC photo(s) left out, which this Python cannot read:\n"
            + _listing(found.heic)
            + f"\n{HEIC_HELP}",
            stacklevel=3,
        )
