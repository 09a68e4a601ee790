"""Preparing a machine for the lessons' full mode before class: ``coursekit data --full all``.

An instructor downloads, once, every data set and weight file the lessons' full mode uses; after
that every lesson runs in full mode with the network switched off. Each item is checked the way
its source publishes it (fast.ai's size + first-MiB MD5, Kaggle's files, torchvision's weights),
downloads resume, and what was already there is reused, not fetched again.

>>> prepare_full(['pets'])          # lessons 1, 5 and 6: Oxford-IIIT Pets, resnet34, resnet50
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from coursekit.config import coursekit_home
from coursekit.data.download import COMPLETE, Archive, DownloadError, URLs, untar_data
from coursekit.data.extract import unpacked_name
from coursekit.data.kaggle import kaggle_data, kaggle_listing
from coursekit.data.kaggle_files import KaggleFile, download_size
from coursekit.data.planet import PLANET, PLANET_FILES, planet_data
from coursekit.data.sizes import format_size
from coursekit.data.sources import mirror_url, mirrored
from coursekit.train.models import ARCHS
from coursekit.train.weights import fetch_weights, weights_enum, weights_file

__all__ = ["FULL_MODE", "FullModeNeeds", "Prepared", "prepare_full"]


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
        "04", competition=PLANET, kaggle_files=PLANET_FILES, archs=("resnet34",)
    ),
}


@dataclass(frozen=True)
class Item:
    """One download of the plan: what, from where, how big (None: not known before it starts)."""

    data_set: str
    kind: str
    name: str
    source: str
    size: int | None
    ready: bool
    fetch: Callable[[], Path]


@dataclass
class Prepared:
    """What ``prepare_full`` did: the paths per data set, and the items that failed (with why)."""

    paths: dict[str, list[Path]] = field(default_factory=dict)
    failed: list[tuple[Item, str]] = field(default_factory=list)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _archive_ready(archive: Archive) -> bool:
    dest = coursekit_home() / "data" / archive.name
    return dest.is_dir() and (dest.parent / f".{dest.name}{COMPLETE}").exists()


def _competition_todo(competition: str, files: Sequence[str] | None) -> list[str] | None:
    """The files still to download (None: the whole bundle; []: nothing, all there)."""
    dest = coursekit_home() / "data" / competition
    if files is None:
        return [] if (dest.parent / f".{dest.name}{COMPLETE}").exists() else None
    return [name for name in files if not (dest / unpacked_name(name)).exists()]


def _listed(competition: str) -> list[KaggleFile] | None:
    """Kaggle's listing, for the plan's sizes; None when it cannot be had now (no token, no
    network): the download then lists again, and says why if it fails."""
    try:
        return kaggle_listing(competition)
    except (DownloadError, OSError):
        return None


def _weights_size(spec: str) -> int | None:
    # torchvision >= 0.16 publishes it, in MiB
    mebibytes = weights_enum(spec).meta.get("_file_size")
    return round(mebibytes * 2**20) if mebibytes else None


def _weights_path(spec: str) -> Path:
    return fetch_weights(spec)[0]


def plan(names: Sequence[str]) -> list[Item]:
    """Every download the full mode of ``names`` needs, in order, each weight file once."""
    items: list[Item] = []
    seen_archs: set[str] = set()
    for name in names:
        needs = FULL_MODE[name]
        for archive in needs.archives:
            items.append(
                Item(name, "fast.ai archive", archive.fname, mirrored(archive.url), archive.size,
                     _archive_ready(archive), partial(untar_data, archive))
            )  # fmt: skip
        if needs.competition:
            competition, files = needs.competition, needs.kaggle_files
            source = (
                f"{mirror_url()}/kaggle"
                if mirror_url()
                else f"https://www.kaggle.com/competitions/{competition}"
            )
            todo = _competition_todo(competition, files)
            # Listed once, here: the plan shows what will be downloaded, and the download uses it.
            listing = _listed(competition) if todo != [] else None
            size = download_size(listing, todo) if listing is not None else None
            fetch: Callable[[], Path] = (
                partial(planet_data, listing=listing)
                if competition == PLANET
                else partial(kaggle_data, competition, files, listing=listing)
            )
            items.append(
                Item(name, "Kaggle competition", competition, source, size, todo == [], fetch)
            )
        for arch in needs.archs:
            spec = ARCHS[arch].weights
            if arch in seen_archs or spec is None or "." not in spec:
                continue  # once; and not every network is a torchvision download
            seen_archs.add(arch)
            url = weights_enum(spec).url
            items.append(
                Item(name, "weights of", arch, mirrored(url), _weights_size(spec),
                     weights_file(url).is_file(), partial(_weights_path, spec))
            )  # fmt: skip
    return items


def _say_plan(names: Sequence[str], items: list[Item], say: Callable[[str], None]) -> None:
    todo = [item for item in items if not item.ready]
    known = sum(item.size or 0 for item in todo)
    unknown = [item.name for item in todo if item.size is None]
    home = coursekit_home()
    home.mkdir(parents=True, exist_ok=True)
    total = " plus ".join(
        ([format_size(known)] if known or not unknown else [])
        + ([f"{', '.join(unknown)} (size listed when it starts)"] if unknown else [])
    )
    say(
        f"coursekit data --full {' '.join(names)}: {len(items)} items, {len(todo)} to download "
        f"({total}); {format_size(shutil.disk_usage(home).free)} free in {home}."
    )
    for item in items:
        state = "already there" if item.ready else "to download"
        size = format_size(item.size) + ", " if item.size is not None or not item.ready else ""
        say(f"  {item.data_set}: {item.kind} {item.name} from {item.source} ({size}{state})")


def prepare_full(names: Sequence[str] = ("all",), say: Callable[[str], None] = print) -> Prepared:
    """Download and check everything the full mode of the named data sets' lessons uses.

    ``names``: keys of ``FULL_MODE`` (``pets``, ``dogscats``, ``dogbreeds``, ``planet``) or ``all``.
    Prints the plan first (each item, its source and size, the total, the free disk), then for each
    item whether it was fetched or already there, where it is and how big. An item that fails does
    not stop the others: the end says what failed and the command that retries it.
    """
    wanted = list(FULL_MODE) if "all" in names else list(names)
    unknown = [n for n in wanted if n not in FULL_MODE]
    if unknown:
        raise ValueError(
            f"unknown data set(s) {unknown}; choose from {sorted(FULL_MODE)} or 'all'."
        )
    items = plan(wanted)
    _say_plan(names, items, say)
    prepared = Prepared({name: [] for name in wanted})
    for item in items:
        try:
            path = item.fetch()
        except (DownloadError, OSError) as e:
            prepared.failed.append((item, str(e)))
            say(f"  FAILED: {item.kind} {item.name}: {e}")
            continue
        prepared.paths[item.data_set].append(path)
        size = format_size(_size(path))
        if item.ready:
            say(f"  already there: {item.kind} {item.name} -> {path} ({size})")
        else:
            say(f"  fetched: {item.kind} {item.name} from {item.source} -> {path} ({size})")
    if prepared.failed:
        again = sorted({item.data_set for item, _ in prepared.failed}, key=wanted.index)
        say(
            f"{len(prepared.failed)} of {len(items)} items failed: "
            + "; ".join(f"{item.kind} {item.name}" for item, _ in prepared.failed)
            + ". Everything else is in place. Do what each message above says, then fetch "
            f"what is missing with:  coursekit data --full {' '.join(again)}"
        )
    return prepared
