"""Lesson 4's data, Kaggle's Planet, in whichever layout Kaggle serves it, or fast.ai's subset.

The course (2017-2018) downloaded ``train_v2.csv`` and ``train-jpg.tar.7z`` from the competition
*Planet: Understanding the Amazon from Space*. Kaggle re-uploaded its data in December 2019: the
labels are listed as ``train_v2.csv/train_v2.csv`` since, and the JPEG tiles may come in another
form, or not at all (only torrents of the TIF originals). ``planet_data()`` lists the
competition's files first, takes whichever form is there (``coursekit.data.kaggle_files``), says
which layout it found, and returns a folder in the course's layout: ``train_v2.csv``,
``train-jpg/``, ``test-jpg/``. When Kaggle offers no tiles at all it says so, and names the way on:
fast.ai's own copies of part of the training set, ``URLs.PLANET_SAMPLE`` and ``URLs.PLANET_TINY``,
which ``planet_data(URLs.PLANET_SAMPLE)`` lays out the same way.

>>> path = planet_data()                         # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from coursekit.config import coursekit_home
from coursekit.data.download import DownloadError, untar_data
from coursekit.data.extract import unpacked_name
from coursekit.data.kaggle import KaggleFileMissing, kaggle_data
from coursekit.data.kaggle_files import KaggleFile
from coursekit.data.sizes import format_size
from coursekit.data.sources import Archive, URLs
from coursekit.fileio import atomic_write

__all__ = ["PLANET", "PLANET_FILES", "planet_data"]

PLANET = "planet-understanding-the-amazon-from-space"
# The course's names; each is found in today's listing whatever its form (see kaggle_files.match).
PLANET_FILES = ("train_v2.csv", "train-jpg.tar.7z", "test-jpg.tar.7z")


def _no_tiles(error: KaggleFileMissing) -> DownloadError:
    listed = sorted({f.name.split("/")[0] for f in error.listing})
    return DownloadError(
        f"Kaggle no longer offers Planet's JPEG tiles: the competition {PLANET!r} lists "
        f"{', '.join(listed) or 'no files'}, but nothing for "
        f"{' or '.join(unpacked_name(n) + '/' for n in error.missing)} (neither a .tar.7z or other "
        "archive nor a folder of JPEGs); the TIF originals come only as torrents, which coursekit "
        "does not fetch. To go on in full mode, use fast.ai's copy of part of the training set: "
        f"path = ck.planet_data(ck.URLs.PLANET_SAMPLE) ({format_size(URLs.PLANET_SAMPLE.size)}) or "
        f"ck.planet_data(ck.URLs.PLANET_TINY) ({format_size(URLs.PLANET_TINY.size)}): the lesson runs unchanged, on fewer tiles, "
        "so its F2 is not comparable with the course's 0.936. Or set SAMPLE = True for the offline "
        "sample set."
    )


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # no second copy on disk when both are on one file system
    except OSError:
        shutil.copyfile(source, target)


def _as_course_layout(subset: Archive) -> Path:
    """fast.ai's subset (``labels.csv``, ``train/``) laid out as the lesson reads Kaggle's data, in a
    folder of its own beside it: ``train_v2.csv``, ``train-jpg/`` and an empty ``test-jpg/``."""
    source = untar_data(subset)
    dest = coursekit_home() / "data" / f"{subset.name}-as-kaggle"
    if dest.is_dir():
        return dest
    labels, tiles = source / "labels.csv", source / "train"
    if not labels.is_file() or not tiles.is_dir():
        raise DownloadError(
            f"{source} does not hold fast.ai's Planet layout (labels.csv and train/): is "
            f"{subset.url} the right archive?"
        )

    def write(tmp: Path) -> None:
        (tmp / "train-jpg").mkdir(parents=True)
        (tmp / "test-jpg").mkdir()  # the subsets have no test set
        shutil.copyfile(labels, tmp / "train_v2.csv")  # the same columns: image_name,tags
        for tile in tiles.iterdir():
            if tile.is_file():
                _link_or_copy(tile, tmp / "train-jpg" / tile.name)

    atomic_write(dest, write)
    print(
        f"{subset.fname}: fast.ai's subset of Planet's training tiles, laid out as the lesson "
        f"expects in {dest} (train_v2.csv, train-jpg/, an empty test-jpg/).",
        flush=True,
    )
    return dest


def planet_data(
    subset: Archive | None = None,
    dest: str | os.PathLike | None = None,
    listing: Sequence[KaggleFile] | None = None,
) -> Path:
    """Lesson 4's data in the course's layout (``train_v2.csv``, ``train-jpg/``, ``test-jpg/``).

    ``subset=None``: Kaggle's competition, in whichever layout it serves today (it says which);
    you need a Kaggle API token and the competition's rules accepted. ``subset=URLs.PLANET_SAMPLE``
    or ``URLs.PLANET_TINY``: fast.ai's copies of part of the training set, for when Kaggle offers
    no JPEG tiles. ``dest``: where Kaggle's files go (default ``$COURSEKIT_HOME/data/<competition>``).
    ``listing``: the competition's files, if listed already (``kaggle_data`` takes it). Lesson 4
    uses it in full mode.

    >>> path = planet_data(URLs.PLANET_TINY)          # doctest: +SKIP
    """
    if subset is not None:
        if subset not in (URLs.PLANET_SAMPLE, URLs.PLANET_TINY):
            raise ValueError(
                f"planet_data takes ck.URLs.PLANET_SAMPLE or ck.URLs.PLANET_TINY, not {subset.url}."
            )
        return _as_course_layout(subset)
    try:
        return kaggle_data(PLANET, files=PLANET_FILES, dest=dest, listing=listing)
    except KaggleFileMissing as e:
        if any(unpacked_name(name) in ("train-jpg", "test-jpg") for name in e.missing):
            raise _no_tiles(e) from e
        raise
