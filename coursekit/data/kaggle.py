"""Kaggle competitions' data through ``kagglehub``, Kaggle's own client (preinstalled in Colab).

``kaggle_data('planet-understanding-the-amazon-from-space', files=['train_v2.csv', 'train-jpg',
'test-jpg'])`` first lists the competition's files, finds each wanted one in whatever layout
Kaggle serves today (``train_v2.csv`` may be listed as ``train_v2.csv/train_v2.csv``, the tiles
as ``train-jpg.tar.7z`` or as a folder of loose files: see ``coursekit.data.kaggle_files``), says
which layout it found, downloads just those (kagglehub caches them and resumes a cut download; a
folder of loose files comes several files at a time and resumes file by file: see
``coursekit.data.kaggle_folder``),
unpacks archives (``.zip``, ``.7z``, ``.tar.7z``) and returns ``$COURSEKIT_HOME/data/<competition>``,
where they have the course's names. Whatever is already there is used as it is: a ``train-jpg/``
folder a student unpacked by hand is neither downloaded nor unpacked again, and coursekit never
deletes a file or folder it did not write.

The API token may be anywhere a student was told to put it: see ``coursekit.data.kaggle_auth``.
Under ``COURSEKIT_MIRROR`` the same client talks to the mirror's Kaggle stand-in instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from coursekit.config import coursekit_home
from coursekit.data.answers import ADVICE, html_in_file
from coursekit.data.download import COMPLETE, DownloadError
from coursekit.data.extract import (
    ARCHIVE_SUFFIXES,
    CorruptArchiveError,
    ExtractError,
    extract_archive,
    unpacked_name,
)
from coursekit.data.kaggle_client import download, list_files
from coursekit.data.kaggle_files import KaggleFile, Match, describe, match
from coursekit.data.kaggle_folder import fetch_folder
from coursekit.data.kaggle_session import (
    KaggleSession,
    api_url,
    kaggle_mirror_settings,
    kaggle_session,
)
from coursekit.fileio import atomic_write, set_aside

__all__ = ["KaggleFileMissing", "kaggle_data", "kaggle_listing", "kaggle_mirror_settings"]


class KaggleFileMissing(DownloadError):
    """The competition is there, but lists nothing for some of the wanted names (``missing``)."""

    def __init__(self, message: str, missing: list[str], listing: list[KaggleFile]) -> None:
        super().__init__(message)
        self.missing, self.listing = missing, listing


def _place(source: Path, target: Path) -> None:
    """Put ``source`` (a downloaded file, folder or archive) at ``target`` in the data folder, whole or not at all."""
    if source.is_file() and source.name.endswith(ARCHIVE_SUFFIXES):
        try:
            extracted = extract_archive(
                source, target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.new")
            )
        except CorruptArchiveError as e:
            aside = set_aside(source)  # out of kagglehub's cache: fetched anew next time
            raise DownloadError(
                f"{e} The damaged download is set aside as {aside} (delete it when you like): "
                "run again to fetch it anew."
            ) from e
        except ExtractError as e:
            raise DownloadError(str(e)) from e
        inner = extracted / target.name  # train-jpg.tar.7z holds train-jpg/...
        entries = list(extracted.iterdir())
        os.replace(inner if entries == [inner] else extracted, target)
        shutil.rmtree(extracted, ignore_errors=True)  # our own, now empty, temporary folder
        return
    copy = shutil.copytree if source.is_dir() else shutil.copyfile
    atomic_write(target, lambda tmp: copy(source, tmp))


def _listing(session: KaggleSession, competition: str, retries: int) -> list[KaggleFile] | None:
    """The competition's files as Kaggle lists them; None when this kagglehub cannot list them."""
    try:
        return session.call(
            lambda: list_files(session.kagglehub, competition, session.credentials),
            competition,
            None,
            retries,
        )
    except DownloadError as e:
        if isinstance(e.__cause__, (ImportError, AttributeError, TypeError, ValueError)):
            print(f"{competition}: could not list Kaggle's files ({e.__cause__}); asking by name.")
            return None
        raise


def kaggle_listing(competition: str, retries: int = 3) -> list[KaggleFile] | None:
    """The competition's files and their sizes as Kaggle lists them; None when this kagglehub
    cannot list them. ``coursekit data --full`` lists them for its plan and hands the listing to
    ``kaggle_data(..., listing=)``, so that Kaggle is asked once.

    >>> [f.name for f in kaggle_listing('dog-breed-identification')][:2]  # doctest: +SKIP
    ['labels.csv', 'sample_submission.csv']
    """
    with kaggle_session() as session:
        return _listing(session, competition, retries)


def _refuse_web_page(path: Path, competition: str, name: str | None) -> None:
    """A file kagglehub saved that is a web page (a sign-in page answered in its place) is set
    aside, so that the next call downloads it afresh, and the error says what came back."""
    page = html_in_file(path) if path.is_file() else None
    if page is not None:
        aside = set_aside(path, "web-page")
        raise DownloadError(
            f"Kaggle's answer (through {api_url()}) for {name!r} of {competition!r} is {page}, "
            f"not the file (kept as {aside}). {ADVICE}"
        )


def _fetch(
    session: KaggleSession, competition: str, found: Match, dest: Path, retries: int
) -> None:
    """Download what ``found`` names and put it at ``dest / found.target``."""
    target = dest / found.target

    def get(name: str) -> Path:
        path = session.call(
            lambda: download(session.kagglehub, competition, name, session.credentials),
            competition,
            name,
            retries,
        )
        _refuse_web_page(path, competition, name)
        return path

    if found.prefix is None:
        return _place(get(found.sources[0].name), target)
    fetch_folder(found, target, get)


def _missing(competition: str, missing: list[str], listing: list[KaggleFile]) -> KaggleFileMissing:
    names = sorted({f.name.split("/")[0] + ("/" if "/" in f.name else "") for f in listing})
    shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
    return KaggleFileMissing(
        f"Kaggle lists nothing for {', '.join(map(repr, missing))} in the competition "
        f"{competition!r} (no such file, archive or folder). It lists: {shown or 'no files'}. "
        f"Check the names at https://www.kaggle.com/competitions/{competition}/data.",
        missing,
        listing,
    )


def kaggle_data(
    competition: str,
    files: Sequence[str] | None = None,
    dest: str | os.PathLike | None = None,
    retries: int = 3,
    listing: Sequence[KaggleFile] | None = None,
) -> Path:
    """Download a Kaggle competition's files (only ``files``, or all) and unpack them; return the folder.

    ``files``: names in the course's layout, e.g. ``['train_v2.csv', 'train-jpg']`` (an archive's
    name such as ``'train-jpg.tar.7z'`` works too); each is found in the competition's listing in
    whatever form Kaggle serves it today, and placed under the course's name (``train-jpg/``). A
    file or folder already in ``dest`` is used as it is. ``None`` downloads the whole bundle.
    ``dest``: default ``$COURSEKIT_HOME/data/<competition>``. Lesson 3 (dog breeds) and lesson 4
    (planet) use it in full mode; you need a Kaggle API token and the competition's rules accepted.
    ``listing``: the competition's files as ``kaggle_listing`` gave them (None: listed here).

    >>> path = kaggle_data('dog-breed-identification')                      # doctest: +SKIP
    """
    dest = Path(dest) if dest is not None else coursekit_home() / "data" / competition
    dest.mkdir(parents=True, exist_ok=True)
    if files is None:
        marker = dest.parent / f".{dest.name}{COMPLETE}"
        if marker.exists():
            return dest
        with kaggle_session() as session:  # kagglehub unpacks the bundle's zip
            bundle = session.call(
                lambda: download(session.kagglehub, competition, None, session.credentials),
                competition,
                None,
                retries,
            )
        for entry in sorted(p for p in bundle.iterdir() if not p.name.startswith(".")):
            target = dest / unpacked_name(entry.name)
            if not target.exists():
                _place(entry, target)
        marker.write_text(competition)
        return dest
    wanted = [name for name in files if not (dest / unpacked_name(name)).exists()]
    if not wanted:  # downloaded before, or unpacked by hand
        return dest
    with kaggle_session() as session:
        if listing is None:
            listing = _listing(session, competition, retries)
        if listing is None:
            found = [Match(name, [KaggleFile(name)]) for name in wanted]
        else:
            matches = {name: match(name, listing) for name in wanted}
            missing = [name for name, m in matches.items() if m is None]
            if missing:
                raise _missing(competition, missing, list(listing))
            found = [m for m in matches.values() if m is not None]
            print(describe(competition, found), flush=True)
        for each in found:
            _fetch(session, competition, each, dest, retries)
    return dest
