"""Preparing a machine for the lessons' full mode before class: ``coursekit data --full all``.

An instructor downloads, once, every data set and weight file the lessons' full mode uses; after
that every lesson runs in full mode with the network switched off. Each item is checked the way
its source publishes it (fast.ai's size + first-MiB MD5, Kaggle's files, torchvision's weights),
downloads resume, and what was already there is reused, not fetched again.

>>> prepare_full(['pets'])          # lessons 1, 5 and 6: Oxford-IIIT Pets, resnet34, resnet50
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.config import coursekit_home
from coursekit.data.download import COMPLETE, Archive, URLs, untar_data
from coursekit.data.extract import unpacked_name
from coursekit.data.kaggle import kaggle_data
from coursekit.data.sources import mirror_url, mirrored
from coursekit.train.models import ARCHS
from coursekit.train.weights import fetch_weights, weights_enum

__all__ = ["FULL_MODE", "FullModeNeeds", "prepare_full"]


@dataclass(frozen=True)
class FullModeNeeds:
    """What one data set's lessons download in full mode: fast.ai archives, Kaggle files, weights."""

    lessons: str
    archives: tuple[Archive, ...] = ()
    competition: str | None = None
    kaggle_files: tuple[str, ...] | None = None  # None: the competition's whole bundle
    archs: tuple[str, ...] = field(default_factory=tuple)


FULL_MODE: dict[str, FullModeNeeds] = {
    "pets": FullModeNeeds("01, 05, 06", archives=(URLs.PETS,), archs=("resnet34", "resnet50")),
    "dogscats": FullModeNeeds("02", archives=(URLs.DOGSCATS,), archs=("resnet34",)),
    "dogbreeds": FullModeNeeds(
        "03", competition="dog-breed-identification", archs=("resnext50_32x4d",)
    ),
    "planet": FullModeNeeds(
        "04",
        competition="planet-understanding-the-amazon-from-space",
        kaggle_files=("train_v2.csv", "train-jpg.tar.7z", "test-jpg.tar.7z"),
        archs=("resnet34",),
    ),
}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _archive_ready(archive: Archive) -> bool:
    dest = coursekit_home() / "data" / archive.name
    return dest.is_dir() and (dest.parent / f".{dest.name}{COMPLETE}").exists()


def _competition_ready(competition: str, files: list[str] | None) -> bool:
    dest = coursekit_home() / "data" / competition
    if files is None:
        return (dest.parent / f".{dest.name}{COMPLETE}").exists()
    return all((dest / unpacked_name(name)).exists() for name in files)


def _report(
    kind: str, name: str, source: str, path: Path, fetched: bool, say: Callable[[str], None]
) -> None:
    size = f"{_size(path) / 1e6:,.1f} MB"
    if fetched:
        say(f"  fetched: {kind} {name} from {source} -> {path} ({size})")
    else:
        say(f"  already there: {kind} {name} -> {path} ({size})")


def prepare_full(
    names: Sequence[str] = ("all",), say: Callable[[str], None] = print
) -> dict[str, list[Path]]:
    """Download and check everything the full mode of the named data sets' lessons uses.

    ``names``: keys of ``FULL_MODE`` (``pets``, ``dogscats``, ``dogbreeds``, ``planet``) or ``all``.
    Returns the paths per name. Says, for each item, whether it was fetched or already there,
    where it is and how big.
    """
    wanted = list(FULL_MODE) if "all" in names else list(names)
    unknown = [n for n in wanted if n not in FULL_MODE]
    if unknown:
        raise ValueError(
            f"unknown data set(s) {unknown}; choose from {sorted(FULL_MODE)} or 'all'."
        )
    done: dict[str, list[Path]] = {}
    seen_archs: set[str] = set()
    for name in wanted:
        needs = FULL_MODE[name]
        say(f"{name} (lesson {needs.lessons}):")
        paths = []
        for archive in needs.archives:
            fetched = not _archive_ready(archive)
            path = untar_data(archive)
            _report("fast.ai archive", archive.fname, mirrored(archive.url), path, fetched, say)
            paths.append(path)
        if needs.competition:
            files = list(needs.kaggle_files) if needs.kaggle_files else None
            fetched = not _competition_ready(needs.competition, files)
            path = kaggle_data(needs.competition, files=files)
            source = (
                f"{mirror_url()}/kaggle"
                if mirror_url()
                else f"https://www.kaggle.com/competitions/{needs.competition}"
            )
            _report("Kaggle competition", needs.competition, source, path, fetched, say)
            paths.append(path)
        for arch in needs.archs:
            if arch in seen_archs:
                continue
            seen_archs.add(arch)
            weights = ARCHS[arch].weights
            if weights is None or "." not in weights:
                continue  # not a torchvision download: nothing to fetch
            path, fetched = fetch_weights(weights)
            _report(
                "weights of",
                arch,
                mirrored(weights_enum(weights).url),
                path,
                fetched,
                say,
            )
            paths.append(path)
        done[name] = paths
    return done
