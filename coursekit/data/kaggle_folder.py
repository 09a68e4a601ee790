"""A folder that Kaggle lists as loose files, fetched as one set.

Since Kaggle's December 2019 re-upload, Planet may list its tiles as ``train-jpg/train_0.jpg``,
... (about 40,000 files in each of ``train-jpg/`` and ``test-jpg/``) instead of one archive.
kagglehub fetches one file per call, each in two short HTTP round trips (Kaggle's API, then the
file), so the time goes in waiting, not in moving bytes. ``fetch_folder`` therefore:

* asks for several files at once (``WORKERS``), each through kagglehub, with kagglehub's own
  line and bar for each file silenced, under one coursekit bar for the whole set;
* writes each file atomically into ``.<folder>.partial`` beside the target, and skips a file
  already there with the size Kaggle lists: a run after an interruption or a failure fetches
  only what is missing;
* renames the partial folder to its own name only once every file is in it, so that, as for an
  archive, a ``train-jpg/`` folder in the data folder is always a whole one.

>>> fetch_folder(found, dest / 'train-jpg', get)   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, redirect_stderr
from pathlib import Path

from coursekit.data.download import DownloadError
from coursekit.data.kaggle_files import KaggleFile, Match
from coursekit.data.sizes import format_size
from coursekit.fileio import atomic_write
from coursekit.progress import progress_bar

__all__ = ["LARGE_SET", "WORKERS", "fetch_folder", "partial_folder"]

# Each file costs two round trips of a fraction of a second and a few hundred kB: with 8 in flight
# the latency overlaps, yet Kaggle sees no more requests at once than a browser opens to one site,
# which keeps clear of its rate limit (a 429 is retried in any case).
WORKERS = 8
# A set with more files than this says, before it starts, how many files and bytes it will fetch.
LARGE_SET = 1_000


def partial_folder(target: Path) -> Path:
    """Where the files of ``target`` gather until the set is whole: ``.train-jpg.partial``."""
    return target.with_name(f".{target.name}.partial")


def _present(path: Path, listed: KaggleFile) -> bool:
    """A file fetched before: there, with the size Kaggle lists (any size, if it lists none)."""
    return path.is_file() and (listed.size is None or path.stat().st_size == listed.size)


@contextmanager
def _quiet_kagglehub() -> Iterator[None]:
    """Silence kagglehub's 'Downloading to ...' line and its byte bar for each file.

    Its lines go through its ``kagglehub`` logger, raised to warnings only; its bars are tqdm
    bars on ``sys.stderr`` as it is when each bar starts, sent to ``os.devnull`` meanwhile
    (coursekit's own bar, made before, keeps the real one). Both are put back afterwards."""
    logger = logging.getLogger("kagglehub")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with open(os.devnull, "w") as sink, redirect_stderr(sink):
            yield
    finally:
        logger.setLevel(level)


def fetch_folder(found: Match, target: Path, get: Callable[[str], Path]) -> None:
    """Fetch the loose files of ``found`` (``get(name)`` returns one file's downloaded path) and
    put them at ``target`` as one folder; see the module for how."""
    prefix, partial = found.prefix or "", partial_folder(target)
    places = {source.name: partial / source.name[len(prefix) :] for source in found.sources}
    todo = [s for s in found.sources if not _present(places[s.name], s)]
    total, here = len(found.sources), len(found.sources) - len(todo)
    if total > LARGE_SET:
        size = format_size(found.size) if found.size is not None else "size not listed"
        print(
            f"{target.name}/: Kaggle lists {total:,} loose files ({size} in all); "
            f"{here:,} are already here, {len(todo):,} to fetch, {WORKERS} at a time.",
            flush=True,
        )

    def fetch(source: KaggleFile) -> None:
        cached = get(source.name)
        atomic_write(places[source.name], lambda tmp: shutil.copyfile(cached, tmp))

    bar = progress_bar(total, f"downloading {target.name}/", unit="file")
    bar.update(here)
    done: set[Future[None]] = set()
    with _quiet_kagglehub():
        pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="kaggle-file")
        try:
            running = {pool.submit(fetch, source) for source in todo}
            while running:
                done, running = wait(running, return_when=FIRST_EXCEPTION)
                bar.update(sum(1 for f in done if f.exception() is None))
                if any(f.exception() is not None for f in done):
                    break  # ask for no more; the files in flight still land on disk
        finally:  # also on Ctrl-C: nothing new starts, nothing half-written stays
            pool.shutdown(wait=True, cancel_futures=True)
            bar.close()
    failed = [f.exception() for f in done if f.exception() is not None]
    if failed:
        there = sum(1 for s in found.sources if _present(places[s.name], s))
        raise DownloadError(
            f"{failed[0]} {there:,} of {total:,} files of {target.name}/ are downloaded, kept in "
            f"{partial}. Run again: only the {total - there:,} missing ones are fetched."
        ) from failed[0]
    partial.mkdir(parents=True, exist_ok=True)  # every file was there already
    for stray in partial.rglob(".*.tmp"):  # atomic_write's own, left by a run killed outright
        stray.unlink()
    os.replace(partial, target)
