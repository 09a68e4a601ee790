"""Kaggle competitions' data through ``kagglehub``, Kaggle's own client (preinstalled in Colab).

``kaggle_data('planet-understanding-the-amazon-from-space', files=['train_v2.csv',
'train-jpg.tar.7z'])`` downloads just those files (kagglehub caches them and resumes a cut
download), unpacks archives (``.zip``, ``.7z``, ``.tar.7z``) into
``$COURSEKIT_HOME/data/<competition>`` and returns that folder. Whatever is already there is
used as it is: a ``train-jpg/`` folder a student unpacked by hand is neither downloaded nor
unpacked again, and coursekit never deletes a file or folder it did not write.

kagglehub finds the API token in Colab Secrets (``KAGGLE_USERNAME`` and ``KAGGLE_KEY``), in
``~/.kaggle/kaggle.json``, or in the environment variables of the same names. Under
``COURSEKIT_MIRROR`` the same client talks to the mirror's Kaggle stand-in instead.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from coursekit.config import coursekit_home
from coursekit.data.answers import ADVICE, html_in_file, web_page_in_error
from coursekit.data.download import COMPLETE, DownloadError
from coursekit.data.extract import (
    ARCHIVE_SUFFIXES,
    CorruptArchiveError,
    ExtractError,
    extract_archive,
    unpacked_name,
)
from coursekit.data.sources import mirror_url
from coursekit.fileio import atomic_write, set_aside

__all__ = ["kaggle_data", "kaggle_mirror_settings"]

TOKEN_HELP = (
    "Create a token at kaggle.com -> Settings -> API -> Create New Token. In Colab, add KAGGLE_USERNAME "
    "and KAGGLE_KEY (or a KAGGLE_API_TOKEN) as Colab Secrets (the key icon in the left bar) and allow this notebook access; "
    "elsewhere save the token as ~/.kaggle/kaggle.json (chmod 600) or set the environment variables "
    "KAGGLE_USERNAME and KAGGLE_KEY."
)
OFFLINE_HELP = "Offline, use the sample data: ck.samples.dogbreeds() / ck.samples.planet()."


def kaggle_mirror_settings(mirror: str) -> dict[str, str]:
    """The environment that points kagglehub at ``{mirror}/kaggle`` and changes nothing else.

    kagglehub < 0.4 reads ``KAGGLE_API_ENDPOINT``. kagglehub >= 0.4 knows only fixed hosts
    (``KAGGLE_API_ENVIRONMENT=LOCALHOST`` is ``http://localhost``), so the mirror is also its
    HTTP proxy: it answers requests for ``localhost`` as Kaggle.
    """
    return {
        "KAGGLE_API_ENDPOINT": f"{mirror}/kaggle",
        "KAGGLE_API_ENVIRONMENT": "LOCALHOST",
        "HTTP_PROXY": mirror,
        "http_proxy": mirror,
        "NO_PROXY": "",
        "no_proxy": "",
    }


@contextmanager
def _pointed_at_mirror() -> Iterator[None]:
    """Under ``COURSEKIT_MIRROR``, set ``kaggle_mirror_settings`` for the duration of the download
    (unless ``KAGGLE_API_ENDPOINT``/``KAGGLE_API_ENVIRONMENT`` is set already), then restore."""
    mirror = mirror_url()
    if (
        mirror is None
        or "KAGGLE_API_ENDPOINT" in os.environ
        or "KAGGLE_API_ENVIRONMENT" in os.environ
    ):
        yield
        return
    settings = kaggle_mirror_settings(mirror)
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _import_kagglehub() -> ModuleType:
    try:
        import kagglehub
    except ImportError as e:
        raise DownloadError(
            f"the kagglehub package is not installed: run `pip install kagglehub`, then run "
            f"again. {TOKEN_HELP} {OFFLINE_HELP}"
        ) from e
    return kagglehub


def _explain(error: Exception, competition: str, name: str | None) -> DownloadError:
    """Turn kagglehub's exception into a sentence that says what to do."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    what = f"{name!r} of {competition!r}" if name else f"{competition!r}"
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DownloadError(
            f"the disk filled up while downloading {what}: free some space where kagglehub keeps "
            "its downloads ($KAGGLEHUB_CACHE, default ~/.cache/kagglehub) and run again."
        )
    page = web_page_in_error(error)
    if page is not None:
        return DownloadError(
            f"Kaggle's API at {_api_url()} answered with {page}, where JSON was expected, for "
            f"{what}. {ADVICE}"
        )
    if type(error).__name__ == "UnauthenticatedError":
        return DownloadError(
            f"no Kaggle API token was found, so {what} cannot be downloaded. {TOKEN_HELP}"
        )
    if status == 401:
        return DownloadError(
            f"Kaggle rejected your API token (401) for {what}: it is wrong or expired. {TOKEN_HELP}"
        )
    if status == 403:
        return DownloadError(
            f"Kaggle refused {what} (403): accept the competition's rules at "
            f"https://www.kaggle.com/competitions/{competition}/rules (same account as your "
            "token), then run again."
        )
    if status == 404:
        return DownloadError(
            f"Kaggle has no competition {competition!r}"
            + (f" with a file {name!r}" if name else "")
            + " (404). Check the spelling: the lessons use 'dog-breed-identification' and "
            "'planet-understanding-the-amazon-from-space'."
        )
    return DownloadError(
        f"the Kaggle download of {what} failed: {type(error).__name__}: {error}. Run again to "
        f"resume. {OFFLINE_HELP}"
    )


def _api_url() -> str:
    """Where kagglehub sends its API calls: the mirror's stand-in, or Kaggle's own."""
    mirror = mirror_url()
    return os.environ.get("KAGGLE_API_ENDPOINT") or (
        f"{mirror}/kaggle" if mirror else "https://www.kaggle.com/api/v1"
    )


def _refuse_web_page(path: Path, competition: str, name: str | None) -> None:
    """A file kagglehub saved that is a web page (a sign-in page answered in its place) is set
    aside, so that the next call downloads it afresh, and the error says what came back."""
    page = html_in_file(path) if path.is_file() else None
    if page is not None:
        aside = set_aside(path, "web-page")
        raise DownloadError(
            f"Kaggle's answer (through {_api_url()}) for {name!r} of {competition!r} is {page}, "
            f"not the file (kept as {aside}). {ADVICE}"
        )


def _download(competition: str, name: str | None, retries: int) -> Path:
    """One file (or with ``name=None`` the whole bundle, unpacked) through kagglehub; retried on a
    dropped connection, which kagglehub resumes from the bytes it kept."""
    kagglehub = _import_kagglehub()
    for attempt in range(retries + 1):
        try:
            with _pointed_at_mirror():
                path = Path(kagglehub.competition_download(competition, path=name))
            break
        except Exception as e:  # kagglehub raises requests' and its own exception types
            status = getattr(getattr(e, "response", None), "status_code", None)
            transient = status is None and type(e).__name__ in (
                "ConnectionError",
                "ChunkedEncodingError",
                "ReadTimeout",
                "ProtocolError",
            )
            if not transient or attempt == retries:
                raise _explain(e, competition, name) from e
        time.sleep(min(2**attempt, 10) * 0.5)
    _refuse_web_page(path, competition, name)
    return path


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


def kaggle_data(
    competition: str,
    files: Sequence[str] | None = None,
    dest: str | os.PathLike | None = None,
    retries: int = 3,
) -> Path:
    """Download a Kaggle competition's files (only ``files``, or all) and unpack them; return the folder.

    ``files``: file names as the competition's Data page lists them, e.g. ``['train_v2.csv',
    'train-jpg.tar.7z']``; archives are unpacked (``train-jpg.tar.7z`` -> ``train-jpg/``) and a
    file or folder already in ``dest`` is used as it is. ``None`` downloads the whole bundle.
    ``dest``: default ``$COURSEKIT_HOME/data/<competition>``. Lesson 3 (dog breeds) and lesson 4
    (planet) use it in full mode; you need a Kaggle API token and the competition's rules accepted.

    >>> path = kaggle_data('dog-breed-identification')                      # doctest: +SKIP
    """
    dest = Path(dest) if dest is not None else coursekit_home() / "data" / competition
    dest.mkdir(parents=True, exist_ok=True)
    if files is None:
        marker = dest.parent / f".{dest.name}{COMPLETE}"
        if marker.exists():
            return dest
        bundle = _download(competition, None, retries)  # kagglehub unpacks the bundle's zip
        for entry in sorted(p for p in bundle.iterdir() if not p.name.startswith(".")):
            target = dest / unpacked_name(entry.name)
            if not target.exists():
                _place(entry, target)
        marker.write_text(competition)
        return dest
    for name in files:
        target = dest / unpacked_name(name)
        if target.exists():  # downloaded before, or unpacked by hand
            continue
        _place(_download(competition, name, retries), target)
    return dest
