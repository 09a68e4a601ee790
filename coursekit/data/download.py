"""Downloading the lessons' real data sets: resumable, checked, never half-trusted.

``untar_data(URLs.PETS)`` downloads an archive into ``$COURSEKIT_HOME/archive`` with a progress
bar, checks it the way its publisher does (fast.ai: size and MD5 of the first MiB), extracts it
into ``$COURSEKIT_HOME/data/<name>`` and returns that path. Three promises:

* **Nothing half-done is trusted.** Bytes go to ``<file>.part``, renamed only when complete and
  verified. A dropped connection resumes from the ``.part`` with an HTTP Range request (or
  starts over when the server ignores Range); a later call carries on from it too.
* **Nothing lands outside the destination** (see ``coursekit.data.extract``), and coursekit never
  deletes a folder it did not write.
* **Errors say what to do**: retry, free disk space, or use the offline sample data.

``COURSEKIT_MIRROR=http://127.0.0.1:PORT`` fetches every URL from a local mirror instead
(see ``coursekit.data.sources.mirrored``).
"""

from __future__ import annotations

import errno
import http.client
import itertools
import os
import shutil
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from coursekit.config import coursekit_home
from coursekit.data.answers import UnexpectedAnswerError, check_file_answer
from coursekit.data.extract import (
    CorruptArchiveError,
    ExtractError,
    UnsafeArchiveError,
    extract_archive,
)
from coursekit.data.sizes import format_size
from coursekit.data.sources import Archive, URLs, mirror_checks, mirrored, verify
from coursekit.fileio import move_folder_aside, set_aside
from coursekit.progress import progress_bar

__all__ = [
    "Archive",
    "DownloadError",
    "ExtractError",
    "URLs",
    "UnsafeArchiveError",
    "download_url",
    "extract_archive",
    "mirrored",
    "untar_data",
]

COMPLETE = ".coursekit-complete"
EXTRACTING = ".coursekit-extracting"
CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """A download failed or did not verify; the message says what to do next."""


def _fetch_once(url: str, part: Path, timeout: float, label: str) -> int | None:
    """Append the rest of ``url`` to ``part`` (a Range request when ``part`` has bytes); return the
    file's full size as the server announced it, or None when it did not."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # the .part is already the whole file, or longer
            return have
        raise
    with response:
        content_range = response.headers.get("Content-Range", "")  # "bytes START-END/TOTAL"
        if have and response.status == 206 and content_range.startswith(f"bytes {have}-"):
            total = int(content_range.rsplit("/", 1)[-1]) if content_range[-1:].isdigit() else None
            mode = "ab"
        else:  # a server that ignores Range sends it all again
            have, mode = 0, "wb"
            total = int(response.headers.get("Content-Length") or 0) or None
        first = response.read(CHUNK)  # a sign-in page is refused before the .part is touched
        check_file_answer(url, response.headers.get("Content-Type"), first)
        bar = progress_bar(total or 0, f"downloading {label}", unit="B")
        bar.update(have)
        try:
            with open(part, mode) as out:
                for chunk in itertools.chain([first], iter(lambda: response.read(CHUNK), b"")):
                    out.write(chunk)
                    bar.update(len(chunk))
        finally:
            bar.close()
    return total


def download_url(
    archive: Archive | str,
    dest: str | os.PathLike,
    timeout: float = 30,
    retries: int = 3,
    force: bool = False,
) -> Path:
    """Download ``archive`` (an ``Archive`` or a URL) to the file ``dest``, checked, and return ``dest``.

    Bytes go to ``dest.part``; a dropped connection is resumed with an HTTP Range request up to
    ``retries`` times (and by the next call). Only a complete file that passes the archive's
    size and checksum is renamed to ``dest``. An existing ``dest`` that passes is kept unless
    ``force=True``. Under ``COURSEKIT_MIRROR`` the bytes (and the checks) come from the mirror.

    >>> download_url(URLs.PLANET_TINY, Path('planet_tiny.tgz'))        # doctest: +SKIP
    """
    archive = Archive(archive) if isinstance(archive, str) else archive
    dest = Path(dest)
    source = mirrored(archive.url)
    try:
        archive = mirror_checks(archive, timeout=timeout)
    except UnexpectedAnswerError as e:
        raise DownloadError(str(e)) from e
    except OSError as e:
        raise DownloadError(
            f"could not reach the mirror COURSEKIT_MIRROR={os.environ.get('COURSEKIT_MIRROR')} "
            f"({e}). Start it, or unset COURSEKIT_MIRROR to download from the real sources; "
            "offline, use the sample data (ck.samples)."
        ) from e
    if dest.exists() and not force:
        problem = verify(archive, dest)
        if problem is None:
            return dest
        raise DownloadError(
            f"{dest} is there but is not {archive.url}: {problem}. Rename or delete it, or "
            "call again with force=True to download it anew."
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f"{dest.name}.part")
    for attempt in range(retries + 1):
        try:
            total = _fetch_once(source, part, timeout, archive.fname)
            size = part.stat().st_size
            if total is not None and size < total:
                raise http.client.IncompleteRead(b"", total - size)
            break
        except UnexpectedAnswerError as e:
            raise DownloadError(f"{e} Offline, use the sample data (ck.samples).") from e
        except urllib.error.HTTPError as e:
            if e.code in (403, 404):  # S3 answers 403, not 404, for a key that is not there
                raise DownloadError(
                    f"{archive.fname} was not found at {source} (HTTP {e.code} {e.reason}; S3 "
                    "answers 403 for a file that is not there). Check the URL's spelling; whether "
                    "the file has moved (the lessons' archives are in ck.URLs); and, if "
                    "COURSEKIT_MIRROR is set, whether the mirror holds it. Offline, use the sample "
                    "data (ck.samples)."
                ) from e
            if e.code < 500 or attempt == retries:
                hint = (
                    "Check the URL." if e.code < 500 else "The server is failing; try again later."
                )
                raise DownloadError(
                    f"could not download {source}: HTTP {e.code} {e.reason}. {hint} Offline, "
                    "use the sample data (ck.samples)."
                ) from e
        except (OSError, http.client.HTTPException) as e:  # refused, reset, timed out, cut short
            if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
                free = shutil.disk_usage(dest.parent).free
                have = part.stat().st_size if part.exists() else 0
                needed = (
                    f"{format_size(max(archive.size - have, 0))} more needed"
                    if archive.size
                    else "the server did not say how big the file is"
                )
                raise DownloadError(
                    f"the disk is full while downloading {archive.fname} to {dest.parent} "
                    f"({format_size(free)} free, {needed}). "
                    "Free some space and run again: the download resumes."
                ) from e
            if attempt == retries:
                kept = (
                    f" {part.stat().st_size:,} bytes are kept in {part}; run again to resume."
                    if part.exists()
                    else " Run again to retry."
                )
                raise DownloadError(
                    f"could not download {source}: {e}.{kept} Check the network; offline, "
                    "use the sample data (ck.samples)."
                ) from e
        time.sleep(min(2**attempt, 10) * 0.5)
    problem = verify(archive, part)
    if problem is not None:
        part.unlink()  # our own bytes, and wrong: the next call starts over
        raise DownloadError(
            f"the download of {archive.url} is corrupt or incomplete: {problem}. Run again to "
            "download it anew; if it repeats, the file on the server changed."
        )
    os.replace(part, dest)
    return dest


def untar_data(
    url: Archive | str, dest: str | os.PathLike | None = None, force: bool = False
) -> Path:
    """Download and extract one of ``URLs`` (or any .tgz/.zip URL); return the data folder.

    ``dest``: where to extract (default ``$COURSEKIT_HOME/data/<name>``); ``force=True`` downloads
    and extracts again into a new folder, and renames the earlier one ``<name>.before-<time>``
    (never deleted: it may hold your models, exports and the cleaner's ``.trash``). Archives holding a single top-level folder of the same name (as fast.ai's
    do) are unwrapped, so ``untar_data(URLs.PETS)/'images'`` is the images folder. A folder at
    ``dest`` that coursekit did not write is never replaced: the error says so.

    >>> path = untar_data(URLs.PETS)      # lesson 1, full mode
    """
    archive = Archive(url) if isinstance(url, str) else url
    home = coursekit_home()
    dest = Path(dest) if dest is not None else home / "data" / archive.name
    marker = dest.parent / f".{dest.name}{COMPLETE}"
    started = dest.parent / f".{dest.name}{EXTRACTING}"
    if marker.exists() and dest.is_dir() and not force:
        return dest
    if dest.exists() and not (marker.exists() or started.exists()):
        raise DownloadError(
            f"{dest} exists but was not extracted by coursekit, so it is left alone. Rename "
            "or move it, or pass dest= to extract somewhere else."
        )
    archive_file = download_url(archive, home / "archive" / archive.fname, force=force)
    dest.parent.mkdir(parents=True, exist_ok=True)
    started.write_text(archive.url)  # from here on, a missing marker means: extract again
    fresh = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.new")
    try:
        extract_archive(archive_file, fresh)
    except CorruptArchiveError as e:
        aside = set_aside(archive_file)  # it passed its check, but cannot be read
        raise DownloadError(
            f"{e} The damaged download is set aside as {aside} (delete it when you like): run "
            "again to fetch it anew."
        ) from e
    except ExtractError as e:
        raise DownloadError(str(e)) from e
    inner = fresh / archive.name
    # an archive of one folder named as itself (<name>/<name>/...) is unwrapped
    tree = inner if inner.is_dir() and len(list(fresh.iterdir())) == 1 else fresh
    marker.unlink(missing_ok=True)
    notice = (
        move_folder_aside(dest, tree, f"{dest.name} was extracted afresh (force=True)")
        if dest.exists()
        else None
    )
    os.replace(tree, dest)
    if tree != fresh:
        fresh.rmdir()  # our own, now empty, wrapper
    marker.write_text(archive.url)
    started.unlink()
    if notice is not None:
        print(notice, flush=True)
    return dest
