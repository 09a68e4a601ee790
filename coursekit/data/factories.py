"""The three ways the lessons' data sets are labelled, behind ``ImageData``'s constructors: file
names (``from_name_re``, lesson 1), folders (``from_folder``, lesson 2), a CSV file (``from_csv``,
lessons 3 and 4). Each function here lists the files, labels and splits them, and drops the
unreadable ones (with one warning naming them); ``ImageData`` is then built from the result.

>>> files = by_csv(path, folder='train', csv='labels.csv', suffix='.jpg', test='test')
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coursekit.data.images import check_images, warn_unreadable
from coursekit.data.labels import (
    Label,
    LabelError,
    check_split,
    get_cv_idxs,
    image_files,
    labels_from_csv,
    labels_from_folders,
    labels_from_name_re,
)

__all__ = ["LabelledFiles", "by_csv", "by_folder", "by_name_re"]


@dataclass
class LabelledFiles:
    """A data set's readable image files, labelled and split, with their classes and sizes."""

    path: Path
    classes: list[str]
    train_paths: list[Path]
    train_labels: list[Label]
    valid_paths: list[Path]
    valid_labels: list[Label]
    test_paths: list[Path]
    image_size_of: dict[Path, tuple[int, int]]


def _readable(
    path: Path,
    train_paths: list[Path],
    train_labels: list[Label],
    valid_paths: list[Path],
    valid_labels: list[Label],
    test_paths: list[Path],
) -> LabelledFiles:
    """Drop unreadable files (with one warning naming them) and check the split."""
    everything = list(train_paths) + list(valid_paths) + list(test_paths)
    sizes, bad = check_images(everything)
    warn_unreadable(bad)
    ok = {p: s for p, s in zip(everything, sizes) if s is not None}

    def keep(paths: list[Path], labels: list[Label]) -> tuple[list[Path], list[Label]]:
        kept = [(p, label) for p, label in zip(paths, labels) if p in ok]
        return [p for p, _ in kept], [label for _, label in kept]

    train_paths, train_labels = keep(train_paths, train_labels)
    valid_paths, valid_labels = keep(valid_paths, valid_labels)
    test_paths = [p for p in test_paths if p in ok]
    classes = check_split(train_labels, valid_labels, where=str(path))
    return LabelledFiles(
        Path(path), classes, train_paths, train_labels, valid_paths, valid_labels, test_paths, ok
    )


def _split(
    paths: list[Path],
    labels: list[Label],
    valid_pct: float,
    val_idxs: Sequence[int] | None,
    seed: int,
) -> tuple[list[Path], list[Label], list[Path], list[Label]]:
    idxs = np.asarray(
        val_idxs if val_idxs is not None else get_cv_idxs(len(paths), valid_pct, seed)
    )
    if idxs.size and (idxs.min() < 0 or idxs.max() >= len(paths)):
        raise LabelError(f"val_idxs must be between 0 and {len(paths) - 1}.")
    is_valid = np.zeros(len(paths), bool)
    is_valid[idxs] = True
    train = [i for i in range(len(paths)) if not is_valid[i]]
    valid = [i for i in range(len(paths)) if is_valid[i]]
    return (
        [paths[i] for i in train],
        [labels[i] for i in train],
        [paths[i] for i in valid],
        [labels[i] for i in valid],
    )


def _test_files(path: Path, test: str | None) -> list[Path]:
    return image_files(path / test) if test else []


def by_name_re(
    folder: str | os.PathLike[str],
    pat: str,
    valid_pct: float = 0.2,
    seed: int = 42,
    val_idxs: Sequence[int] | None = None,
    test: str | None = None,
) -> LabelledFiles:
    """Labels from file names: ``pat``'s first group, searched in each image's path (lesson 1)."""
    folder = Path(folder)
    paths = image_files(folder)
    if not paths:
        raise LabelError(f"no image files in {folder}.")
    labels: list[Label] = list(labels_from_name_re(paths, pat))
    split = _split(paths, labels, valid_pct, val_idxs, seed)
    return _readable(folder.parent, *split, _test_files(folder.parent, test))


def by_folder(
    path: str | os.PathLike[str],
    train: str = "train",
    valid: str | None = "valid",
    test: str | None = None,
    valid_pct: float = 0.2,
    seed: int = 42,
) -> LabelledFiles:
    """Labels from folder names: ``path/train/<class>/*.jpg`` and ``path/valid/<class>/*.jpg``
    (lesson 2). With ``valid=None`` a random ``valid_pct`` of ``train`` is held out."""
    path = Path(path)
    train_paths, train_names = labels_from_folders(path / train)
    train_labels: list[Label] = list(train_names)
    if valid is None:
        split = _split(train_paths, train_labels, valid_pct, None, seed)
    else:
        valid_paths, valid_names = labels_from_folders(path / valid)
        valid_labels: list[Label] = list(valid_names)
        split = (train_paths, train_labels, valid_paths, valid_labels)
    return _readable(path, *split, _test_files(path, test))


def by_csv(
    path: str | os.PathLike[str],
    folder: str,
    csv: str,
    suffix: str = "",
    label_delim: str | None = None,
    test: str | None = None,
    valid_pct: float = 0.2,
    val_idxs: Sequence[int] | None = None,
    seed: int = 42,
) -> LabelledFiles:
    """Labels from a CSV of ``id,label`` rows (lesson 3); with ``label_delim`` each label is a
    list of tags (lesson 4, multi-label)."""
    path = Path(path)
    paths, labels = labels_from_csv(path / csv, path / folder, suffix, label_delim)
    split = _split(paths, labels, valid_pct, val_idxs, seed)
    return _readable(path, *split, _test_files(path, test))
