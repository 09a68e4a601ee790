"""Preparing a machine for the lessons' full mode before class: ``coursekit data --full all``.

An instructor downloads, once, every data set and weight file the lessons' full mode uses; after
that every lesson runs in full mode with the network switched off. Each item is checked the way
its source publishes it (fast.ai's size + first-MiB MD5, Kaggle's files, torchvision's weights),
downloads resume, and what was already there is reused, not fetched again.

>>> prepare_full(['pets'])          # lessons 1, 5 and 6: Oxford-IIIT Pets, resnet34, resnet50
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from coursekit.data.download import URLs, Archive, kaggle_data, untar_data
from coursekit.train.models import ARCHS
from coursekit.train.weights import fetch_weights

__all__ = ["FullModeNeeds", "FULL_MODE", "prepare_full"]


@dataclass(frozen=True)
class FullModeNeeds:
    """What one data set's lessons download in full mode: fast.ai archives, Kaggle files, weights."""
    lessons: str
    archives: tuple[Archive, ...] = ()
    competition: str | None = None
    kaggle_files: tuple[str, ...] | None = None      # None: the competition's whole bundle
    archs: tuple[str, ...] = field(default_factory=tuple)


FULL_MODE: dict[str, FullModeNeeds] = {
    "pets": FullModeNeeds("01, 05, 06", archives=(URLs.PETS,), archs=("resnet34", "resnet50")),
    "dogscats": FullModeNeeds("02", archives=(URLs.DOGSCATS,), archs=("resnet34",)),
    "dogbreeds": FullModeNeeds("03", competition="dog-breed-identification", archs=("resnext50_32x4d",)),
    "planet": FullModeNeeds("04", competition="planet-understanding-the-amazon-from-space",
                            kaggle_files=("train_v2.csv", "train-jpg.tar.7z", "test-jpg.tar.7z"),
                            archs=("resnet34",)),
}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _report(kind: str, name: str, path: Path, fetched: bool, say: Callable[[str], None]) -> None:
    verb = "fetched" if fetched else "already there"
    say(f"  {verb:>13}: {kind} {name} -> {path} ({_size(path) / 1e6:,.1f} MB)")


def prepare_full(names: Sequence[str] = ("all",), say: Callable[[str], None] = print) -> dict[str, list[Path]]:
    """Download and check everything the full mode of the named data sets' lessons uses.

    ``names``: keys of ``FULL_MODE`` (``pets``, ``dogscats``, ``dogbreeds``, ``planet``) or ``all``.
    Returns the paths per name. Says, for each item, whether it was fetched or already there,
    where it is and how big.
    """
    wanted = list(FULL_MODE) if "all" in names else list(names)
    unknown = [n for n in wanted if n not in FULL_MODE]
    if unknown:
        raise ValueError(f"unknown data set(s) {unknown}; choose from {sorted(FULL_MODE)} or 'all'.")
    done: dict[str, list[Path]] = {}
    seen_archs: set[str] = set()
    for name in wanted:
        needs = FULL_MODE[name]
        say(f"{name} (lesson {needs.lessons}):")
        paths = []
        for archive in needs.archives:
            path, fetched = untar_data(archive, report=True)
            _report("fast.ai archive", archive.fname, path, fetched, say)
            paths.append(path)
        if needs.competition:
            files = list(needs.kaggle_files) if needs.kaggle_files else None
            path, fetched = kaggle_data(needs.competition, files=files, report=True)
            _report("Kaggle competition", needs.competition, path, fetched, say)
            paths.append(path)
        for arch in needs.archs:
            if arch in seen_archs:
                continue
            seen_archs.add(arch)
            path, fetched = fetch_weights(ARCHS[arch].weights)
            _report("weights of", arch, path, fetched, say)
            paths.append(path)
        done[name] = paths
    return done
