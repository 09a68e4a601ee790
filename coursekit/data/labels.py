"""Where labels come from: a regex on file names, folder names, or a CSV file.

Each function returns plain Python lists (paths and labels) and raises ``LabelError`` with a
message that names the file or row and says what to do, because a wrong label source is the
most common first-lesson mistake.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from coursekit.data.heic import HEIC_HELP
from coursekit.data.walk import Found, find_images, link_problem, warn_passed_over

__all__ = [
    "PETS_PATTERN",
    "Label",
    "LabelError",
    "check_split",
    "get_cv_idxs",
    "image_files",
    "labels_from_csv",
    "labels_from_folders",
    "labels_from_name_re",
]


# One image's label: a class name, or a list of tags (multi-label, lesson 4).
Label = str | list[str]


# Oxford-IIIT Pets names each photo <breed>_<number>.jpg; the label is the file name up to the
# last underscore and number: 'great_pyrenees_12.jpg' -> 'great_pyrenees' (lesson 1).
PETS_PATTERN = r"([^/]+)_\d+\.jpg$"


class LabelError(ValueError):
    """The labels cannot be read as asked; the message says which file or row, and the fix."""


def image_files(folder: Path) -> list[Path]:
    """All image files under ``folder`` (recursively, sorted), skipping hidden files and
    non-images such as the ``.mat`` files in Oxford-IIIT Pets; symlinks that loop or leave the
    folder and unreadable HEIC photos are named in one warning (see ``coursekit.data.walk``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LabelError(
            f"{folder} is not a folder. Check the path; a lesson's data is under "
            f"ck.untar_data(...) or ck.samples.<name>()."
        )
    found = find_images(folder)
    warn_passed_over(found)
    return found.files


def _examples(paths: Sequence[Path], n: int = 5) -> str:
    return ", ".join(repr(p.name) for p in paths[:n]) + (", ..." if len(paths) > n else "")


def labels_from_name_re(paths: Sequence[Path], pat: str) -> list[str]:
    """The label of each path: the first group of ``pat`` searched in its full '/'-path.

    >>> labels_from_name_re([Path('images/Bengal_12.jpg')], PETS_PATTERN)
    ['Bengal']

    Raises ``LabelError`` listing examples when the pattern matches none or only some files.
    """
    regex = re.compile(pat)
    labels, missed = [], []
    for p in paths:
        m = regex.search(Path(p).as_posix())
        if m is None:
            missed.append(Path(p))
        else:
            labels.append(m.group(1) if regex.groups else m.group(0))
    if missed and len(missed) == len(paths):
        raise LabelError(
            f"the pattern r'{pat}' matched none of the {len(paths)} file names. Examples: "
            f"{_examples(missed)}. The label is the pattern's first (group); e.g. "
            f"r'{PETS_PATTERN}' takes 'Bengal' from 'Bengal_12.jpg'."
        )
    if missed:
        raise LabelError(
            f"the pattern r'{pat}' matched {len(paths) - len(missed)} of {len(paths)} file names but not "
            f"these {len(missed)}: {_examples(missed)}. Widen the pattern or move those files out of the folder."
        )
    return labels


def labels_from_folders(folder: Path) -> tuple[list[Path], list[str]]:
    """Images in ``folder/<class>/...``: returns (paths, class names), one class per sub-folder.

    Raises ``LabelError`` for a folder with no class sub-folders or a class folder with no images.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LabelError(
            f"{folder} is not a folder; expected one sub-folder per class (e.g. cats/, dogs/)."
        )
    everything = Found()
    class_dirs = []
    for d in sorted(folder.iterdir()):
        problem = link_problem(d, folder, set()) if d.is_symlink() else None
        if problem is not None:
            everything.links.append((d, problem))
        elif d.is_dir() and not d.name.startswith("."):
            class_dirs.append(d)
    if not class_dirs:
        warn_passed_over(everything)
        raise LabelError(
            f"{folder} has no class sub-folders; put each class's images in {folder}/<class name>/."
        )
    paths, labels = [], []
    for d in class_dirs:
        found = find_images(d, root=folder)
        everything += found
        if not found.files:
            warn_passed_over(everything)
            heic = f" It holds {len(found.heic)} HEIC photo(s): {HEIC_HELP}" if found.heic else ""
            raise LabelError(
                f"the class folder {d} has no images. Add images or remove the folder.{heic}"
            )
        paths += found.files
        labels += [d.name] * len(found.files)
    warn_passed_over(everything)
    return paths, labels


def labels_from_csv(
    csv_path: Path, folder: Path, suffix: str = "", label_delim: str | None = None
) -> tuple[list[Path], list[Label]]:
    """Rows of ``id,label`` (a header first): returns (paths ``folder/<id><suffix>``, labels).

    With ``label_delim`` (e.g. ``' '``) each label becomes a list of tags (multi-label).
    Raises ``LabelError`` naming the row for a missing image or an empty label. A row whose image
    is a symlink that loops or leaves ``folder`` is left out, named in one warning, as the folder
    layout does (``coursekit.data.walk``).
    """
    csv_path, folder = Path(csv_path), Path(folder)
    if not csv_path.is_file():
        raise LabelError(f"no CSV file at {csv_path}.")
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2 or len(rows[0]) < 2:
        raise LabelError(
            f"{csv_path} should have a header and rows of at least two columns (id,label)."
        )
    paths: list[Path] = []
    labels: list[Label] = []
    missing: list[tuple[int, Path]] = []
    passed_over = Found()
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        name, label = row[0], row[1].strip()
        path = folder / f"{name}{suffix}"
        if not label:
            raise LabelError(f"{csv_path}, line {line}: {name!r} has an empty label.")
        problem = link_problem(path, folder, set()) if path.is_symlink() else None
        if problem is not None:
            passed_over.links.append((path, problem))
            continue
        if not path.is_file():
            missing.append((line, path))
            continue
        paths.append(path)
        labels.append(label.split(label_delim) if label_delim else label)
    warn_passed_over(passed_over)
    if missing:
        listing = "; ".join(f"line {line}: {p}" for line, p in missing[:5])
        raise LabelError(
            f"{len(missing)} row(s) of {csv_path} name an image that does not exist ({listing}"
            f"{'; ...' if len(missing) > 5 else ''}). Check folder= and suffix= (here {suffix!r}), "
            f"or remove those rows."
        )
    return paths, labels


def get_cv_idxs(n: int, valid_pct: float = 0.2, seed: int = 42) -> np.ndarray:
    """Indices of a random validation set: ``valid_pct`` of ``n`` items, the same for the same seed.

    The course's ``get_cv_idxs``: ``val_idxs = get_cv_idxs(len(labels))`` (lesson 3).
    """
    if not 0 < valid_pct < 1:
        raise ValueError(f"valid_pct must be between 0 and 1, not {valid_pct}.")
    return np.random.RandomState(seed).permutation(n)[: max(1, int(valid_pct * n))]


def _tags(labels: Sequence[Label]) -> set[str]:
    return {t for lab in labels for t in (lab if isinstance(lab, list) else [lab])}


def check_split(
    train_labels: Sequence[Label], valid_labels: Sequence[Label], where: str
) -> list[str]:
    """The sorted classes of a train/valid split; ``LabelError`` for a single class or for
    validation labels that never occur in training."""
    classes = sorted(_tags(train_labels))
    if len(classes) < 2:
        raise LabelError(
            f"{where}: found only one class ({classes[0] if classes else 'none'!r}) in the "
            "training set; a classifier needs at least two."
        )
    unseen = sorted(_tags(valid_labels) - set(classes))
    if unseen:
        raise LabelError(
            f"{where}: validation label(s) {unseen} never occur in the training set, so the "
            "model could not learn them. Add training images of them, or choose a different "
            "split (another seed= or a smaller valid_pct=)."
        )
    return classes
