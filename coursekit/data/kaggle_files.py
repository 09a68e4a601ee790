"""Matching the file names a lesson asks for with what a Kaggle competition lists today.

Kaggle re-uploads old competitions' data now and then, and the names move. Planet's labels were
``train_v2.csv`` in 2017; since Kaggle's December 2019 re-upload its listing says
``train_v2.csv/train_v2.csv`` (a folder holding the file), and ``train-jpg.tar.7z`` may be gone,
or come as another archive, or as a folder of loose files. ``match`` finds, for one wanted name,
what to download, trying in order:

1. the name itself, or Kaggle's re-upload form ``<name>/<name>``;
2. the same content as an archive of any kind coursekit unpacks (``train-jpg.tar.7z``,
   ``train-jpg.zip``, ... also nested as ``<archive>/<archive>``);
3. a folder of loose files (``train-jpg/train_0.jpg``, ...).

Whatever form it finds, the lesson sees the 2017 layout: ``train_v2.csv`` and ``train-jpg/``.

>>> listing = [KaggleFile('train_v2.csv/train_v2.csv', 1000)]
>>> match('train_v2.csv', listing).sources
[KaggleFile(name='train_v2.csv/train_v2.csv', size=1000)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from coursekit.data.extract import ARCHIVE_SUFFIXES, unpacked_name

__all__ = ["LAYOUTS", "KaggleFile", "Match", "describe", "download_size", "match"]


@dataclass(frozen=True)
class KaggleFile:
    """One file as a competition's listing names it (``train_v2.csv/train_v2.csv``), and its size."""

    name: str
    size: int | None = None


@dataclass(frozen=True)
class Match:
    """What to download for one wanted name: one file or archive, or a folder's loose files
    (``prefix`` is then the listing's folder, e.g. ``train-jpg/``)."""

    wanted: str
    sources: list[KaggleFile]
    prefix: str | None = None

    @property
    def target(self) -> str:
        """The name it gets in the data folder: the 2017 one (``train-jpg.tar.7z`` -> ``train-jpg``)."""
        return unpacked_name(self.wanted)

    @property
    def size(self) -> int | None:
        sizes = [f.size for f in self.sources]
        return None if None in sizes else sum(s for s in sizes if s is not None)

    @property
    def as_listed(self) -> str:
        if self.prefix is not None:
            n = len(self.sources)
            return f"{self.prefix} ({n:,} file{'' if n == 1 else 's'})"
        return self.sources[0].name


def match(wanted: str, listing: Sequence[KaggleFile]) -> Match | None:
    """What in ``listing`` holds ``wanted`` (see the module for the order tried); None if nothing."""
    by_name = {f.name: f for f in listing}
    base = unpacked_name(wanted)
    names = [wanted, f"{wanted}/{wanted}"]
    for suffix in ARCHIVE_SUFFIXES:
        names += [base + suffix, f"{base}{suffix}/{base}{suffix}"]
    for name in names:
        if name in by_name:
            return Match(wanted, [by_name[name]])
    for prefix in (f"{base}/{base}/", f"{base}/"):  # a folder of loose files, maybe nested
        loose = [f for f in listing if f.name.startswith(prefix) and not f.name.endswith("/")]
        if loose:
            return Match(wanted, loose, prefix)
    return None


def download_size(listing: Sequence[KaggleFile], wanted: Sequence[str] | None) -> int | None:
    """Bytes to download for ``wanted`` (``None``: the whole bundle) as ``listing`` sizes them.

    None when something is not known: a wanted name the listing lacks, a file listed without its
    size, or an empty listing; never 0 for an unknown size.

    >>> listing = [KaggleFile('train_v2.csv/train_v2.csv', 1000), KaggleFile('train-jpg.tar.7z', 5000)]
    >>> download_size(listing, ['train_v2.csv', 'train-jpg']), download_size(listing, ['test-jpg'])
    (6000, None)
    """
    if wanted is None:
        sizes = [f.size for f in listing]
    else:
        matches = [match(name, listing) for name in wanted]
        sizes = [m.size if m is not None else None for m in matches]
    if not sizes or None in sizes:
        return None
    return sum(size for size in sizes if size is not None)


# Competitions whose data Kaggle re-uploaded under new names: what to call each layout.
LAYOUTS = {
    "planet-understanding-the-amazon-from-space": (
        "the 2017 layout",
        "the layout Kaggle has served since its December 2019 re-upload",
    ),
}


def describe(competition: str, matches: Sequence[Match]) -> str:
    """One paragraph: which layout the listing has, and what stands for each wanted name."""
    original, newer = LAYOUTS.get(competition, ("the course's layout", "a newer layout"))
    renamed = [m for m in matches if m.as_listed != m.wanted]
    if not renamed:
        return (
            f"{competition}: Kaggle lists its files in {original} ("
            + ", ".join(m.wanted for m in matches)
            + ")."
        )
    return (
        f"{competition}: Kaggle lists its files in {newer}: "
        + "; ".join(f"{m.wanted} is {m.as_listed}" for m in renamed)
        + ". coursekit puts them where the lesson expects them: "
        + ", ".join(m.target for m in matches)
        + "."
    )
