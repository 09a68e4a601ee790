"""Downloading and extracting the lessons' real data sets, safely.

``untar_data(URLs.PETS)`` downloads an archive into ``$COURSEKIT_HOME/archive`` with a progress
bar, checks its size and checksum when they are known, extracts it into
``$COURSEKIT_HOME/data/<name>`` and returns that path. Three promises:

* **Nothing half-done is trusted.** The download goes to a ``.part`` file that is renamed only
  when complete and verified; extraction goes to a temporary folder that is renamed into place;
  a completion marker is written last. An interrupted run is simply redone by the next call.
* **Nothing lands outside the destination.** Every archive member is checked first: absolute
  paths, ``..`` components, links that point outside and device files are refused with an error
  naming the member. Tar archives are then extracted with tarfile's ``data`` filter as well.
* **Errors say what to do**: retry, free disk space, or use the offline sample data.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from coursekit.config import coursekit_home
from coursekit.progress import progress_bar

__all__ = ["URLs", "Archive", "untar_data", "download_url", "extract_archive", "kaggle_data",
           "DownloadError", "UnsafeArchiveError"]

COMPLETE = ".coursekit-complete"


class DownloadError(RuntimeError):
    """A download failed or did not verify; the message says what to do next."""


class UnsafeArchiveError(ValueError):
    """An archive member would land outside the destination folder."""


@dataclass(frozen=True)
class Archive:
    """An archive URL with what is known about it: size in bytes and ``md5:``/``sha256:`` digest."""
    url: str
    size: int | None = None
    checksum: str | None = None

    @property
    def fname(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def name(self) -> str:
        """The folder the archive extracts to: its file name without ``.tgz``/``.tar.gz``/``.zip``."""
        for ext in (".tar.gz", ".tgz", ".tar", ".zip"):
            if self.fname.endswith(ext):
                return self.fname[: -len(ext)]
        return self.fname


class URLs:
    """The course's data sets (sizes and MD5 digests as published by fast.ai)."""
    PETS = Archive("https://s3.amazonaws.com/fast-ai-imageclas/oxford-iiit-pet.tgz",
                   811706944, "md5:e4db5c768afd933bb91f5f594d7417a4")
    DOGSCATS = Archive("https://s3.amazonaws.com/fast-ai-sample/dogscats.tgz",
                       839285364, "md5:3e483c8d6ef2175e9d395a6027eb92b7")
    PLANET_SAMPLE = Archive("https://s3.amazonaws.com/fast-ai-sample/planet_sample.tgz",
                            15523994, "md5:8bfb174b3162f07fbde09b54555bdb00")
    PLANET_TINY = Archive("https://s3.amazonaws.com/fast-ai-sample/planet_tiny.tgz",
                          997569, "md5:490873c5683454d4b2611fb1f00a68a9")


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download_url(archive: Archive | str, dest: Path, timeout: float = 30) -> Path:
    """Download ``archive`` to the file ``dest``, verified, via a ``.part`` file renamed at the end."""
    archive = Archive(archive) if isinstance(archive, str) else archive
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f"{dest.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        try:
            with urllib.request.urlopen(archive.url, timeout=timeout) as response, open(part, "wb") as out:
                announced = int(response.headers.get("Content-Length") or 0) or archive.size
                bar = progress_bar(announced or 0, f"downloading {archive.fname}", unit="B")
                got = 0
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    out.write(chunk)
                    got += len(chunk)
                    bar.update(len(chunk))
                bar.close()
        except OSError as e:       # URLError, timeouts, connection resets, a disk that is full
            raise DownloadError(f"could not download {archive.url}: {e}. Check the network and run "
                                f"again; offline, use the sample data (ck.samples).") from e
        expected = archive.size or (int(announced) if announced else None)
        if expected is not None and got != expected:
            raise DownloadError(f"the download of {archive.url} is incomplete or wrong: got {got:,} bytes, "
                                f"expected {expected:,}. Run again to retry.")
        if archive.checksum:
            algorithm, want = archive.checksum.split(":", 1)
            have = _digest(part, algorithm)
            if have != want:
                raise DownloadError(f"the download of {archive.url} is corrupt: {algorithm} {have}, expected "
                                    f"{want}. Run again to retry; if it repeats, the file on the server changed.")
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return dest


def _check_member(name: str, link: str | None, dest: Path) -> None:
    """Refuse a member whose path, or whose link target, would leave ``dest``."""
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"refusing to extract {name!r}: an absolute path would land outside {dest}.")
    if ".." in path.parts:
        raise UnsafeArchiveError(f"refusing to extract {name!r}: '..' would climb out of {dest}.")
    if link is not None:
        target = PurePosixPath(link)
        resolved = os.path.normpath(os.path.join(dest, path.parent, link))
        if target.is_absolute() or not (resolved + os.sep).startswith(str(dest) + os.sep):
            raise UnsafeArchiveError(f"refusing to extract {name!r}: it links to {link!r}, outside {dest}.")


def extract_archive(archive_path: Path, dest: Path) -> Path:
    """Extract a .tgz/.tar/.zip into the folder ``dest`` (created), refusing unsafe members.

    Everything is checked before anything is written; then the archive is unpacked into a
    temporary sibling folder that is renamed to ``dest``, so ``dest`` is whole or absent.
    """
    dest = Path(dest).resolve()
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.extracting")
    tmp.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(archive_path):
            with zipfile.ZipFile(archive_path) as zf:
                for info in zf.infolist():
                    is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
                    _check_member(info.filename, zf.read(info).decode(errors="replace") if is_link else None, tmp)
                zf.extractall(tmp)
        else:
            try:
                tf = tarfile.open(archive_path)
            except tarfile.TarError as e:
                raise DownloadError(f"{archive_path} is not a tar or zip archive ({e}). Delete it and run "
                                    "again with force=True.") from e
            with tf:
                for m in tf.getmembers():
                    if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
                        raise UnsafeArchiveError(f"refusing to extract {m.name!r}: a device or special file.")
                    link = None
                    if m.issym():
                        link = m.linkname
                    elif m.islnk():      # a hard link's target is relative to the archive root
                        link = os.path.relpath(m.linkname, str(PurePosixPath(m.name).parent) or ".")
                    _check_member(m.name, link, tmp)
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(tmp, filter="data")
                else:                     # Python < 3.10.12: every member was checked above
                    tf.extractall(tmp)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def untar_data(url: Archive | str, dest: str | os.PathLike | None = None, force: bool = False) -> Path:
    """Download and extract one of ``URLs`` (or any .tgz/.zip URL); return the data folder.

    ``dest``: where to extract (default ``$COURSEKIT_HOME/data/<name>``); ``force=True`` downloads
    and extracts again. Archives holding a single top-level folder of the same name (as fast.ai's
    do) are unwrapped, so ``untar_data(URLs.PETS)/'images'`` is the images folder.

    >>> path = untar_data(URLs.PETS)      # lesson 1, full mode
    """
    archive = Archive(url) if isinstance(url, str) else url
    home = coursekit_home()
    dest = Path(dest) if dest is not None else home / "data" / archive.name
    marker = dest.parent / f".{dest.name}{COMPLETE}"
    if marker.exists() and dest.is_dir() and not force:
        return dest
    marker.unlink(missing_ok=True)                     # whatever is there is not trusted any more
    archive_file = home / "archive" / archive.fname
    if force or not archive_file.exists():
        download_url(archive, archive_file)
    extract_archive(archive_file, dest)
    inner = dest / archive.name
    if inner.is_dir() and len(list(dest.iterdir())) == 1:   # unwrap dest/<name>/<name>/...
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.unwrap")
        os.replace(inner, tmp)
        dest.rmdir()
        os.replace(tmp, dest)
    marker.write_text(archive.url)
    return dest


def kaggle_data(competition: str, dest: str | os.PathLike | None = None) -> Path:
    """Download and extract a Kaggle competition's files (dog breeds: ``'dog-breed-identification'``,
    planet: ``'planet-understanding-the-amazon-from-space'``) with the ``kaggle`` package.

    Needs ``pip install kaggle``, an API token (kaggle.com -> Settings -> Create New Token, saved as
    ``~/.kaggle/kaggle.json``, or ``KAGGLE_USERNAME``/``KAGGLE_KEY`` set), and the competition's rules
    accepted on its web page. Says exactly which of these is missing.
    """
    dest = Path(dest) if dest is not None else coursekit_home() / "data" / competition
    marker = dest.parent / f".{dest.name}{COMPLETE}"
    if marker.exists() and dest.is_dir():
        return dest
    try:
        import kaggle  # noqa: F401  (importing it reads the credentials)
    except ImportError as e:
        raise DownloadError("the kaggle package is not installed. Run `pip install kaggle`, then put your API "
                            "token (kaggle.com -> Settings -> Create New Token) in ~/.kaggle/kaggle.json. "
                            "Offline, use the sample data: ck.samples.dogbreeds() / ck.samples.planet().") from e
    except (OSError, ValueError) as e:  # the kaggle package raises on import when no token is found
        raise DownloadError(f"the kaggle package found no API token ({e}). Create one at kaggle.com -> Settings "
                            "-> Create New Token and save it as ~/.kaggle/kaggle.json (chmod 600), or set "
                            "KAGGLE_USERNAME and KAGGLE_KEY.") from e
    from kaggle.api.kaggle_api_extended import KaggleApi
    api = KaggleApi()
    try:
        api.authenticate()
    except (OSError, ValueError) as e:
        raise DownloadError(f"Kaggle credentials are missing or invalid ({e}). Save your token as "
                            "~/.kaggle/kaggle.json or set KAGGLE_USERNAME and KAGGLE_KEY.") from e
    download_dir = coursekit_home() / "archive" / competition
    download_dir.mkdir(parents=True, exist_ok=True)
    try:
        api.competition_download_files(competition, path=str(download_dir), quiet=False)
    except Exception as e:  # the API raises its own types (403 until the rules are accepted)
        raise DownloadError(f"Kaggle refused the download of {competition!r} ({e}). Accept the competition's "
                            f"rules at kaggle.com/c/{competition}/rules, then run again.") from e
    extract_archive(download_dir / f"{competition}.zip", dest)
    for inner in sorted(dest.glob("*.zip")):       # Kaggle's zip holds zips: train.zip, labels.csv.zip
        unpacked = extract_archive(inner, dest / f".{inner.name}.unpacked")
        for entry in unpacked.iterdir():
            target = dest / entry.name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(entry, target)
        unpacked.rmdir()
        inner.unlink()
    left = sorted(p.name for p in dest.glob("*.7z"))
    if left:
        raise DownloadError(f"{dest} holds 7-Zip archives {left} that coursekit cannot open: install p7zip "
                            f"and run `7z x <file>` in that folder (planet's train-jpg.tar.7z is one).")
    marker.write_text(competition)
    return dest
