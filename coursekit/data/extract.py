"""Unpacking archives safely: .tgz/.tar, .zip, .7z and .tar.7z.

Every member is checked before anything is written: absolute paths, ``..`` components, links
that point outside and device files are refused with an error naming the member (pooch and
older Pythons' tarfile do not check these). The archive is unpacked into a temporary sibling
folder that is renamed into place at the end, so the destination is whole or absent; a disk
that fills up says how much space to free, and leaves nothing half-extracted behind.
"""

from __future__ import annotations

import errno
import gzip
import os
import shutil
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from coursekit.fileio import atomic_write
from coursekit.progress import progress_bar

__all__ = [
    "ARCHIVE_SUFFIXES",
    "CorruptArchiveError",
    "ExtractError",
    "UnsafeArchiveError",
    "extract_archive",
    "unpacked_name",
]

ARCHIVE_SUFFIXES = (".tar.7z", ".tar.gz", ".tgz", ".tar", ".zip", ".7z")


class ExtractError(RuntimeError):
    """An archive could not be unpacked (corrupt, or the disk is full); the message says what to do."""


class CorruptArchiveError(ExtractError):
    """An archive is damaged or cut short: download it again."""


class UnsafeArchiveError(ValueError):
    """An archive member would land outside the destination folder."""


def unpacked_name(fname: str) -> str:
    """The name an archive unpacks to: ``train-jpg.tar.7z`` -> ``train-jpg``, ``train.zip`` -> ``train``."""
    for ext in ARCHIVE_SUFFIXES:
        if fname.endswith(ext):
            return fname[: -len(ext)]
    return fname


def _check_member(name: str, link: str | None, dest: Path) -> None:
    """Refuse a member whose path, or whose link target, would leave ``dest``."""
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(
            f"refusing to extract {name!r}: an absolute path would land outside {dest}."
        )
    if ".." in path.parts:
        raise UnsafeArchiveError(f"refusing to extract {name!r}: '..' would climb out of {dest}.")
    if link is not None:
        target = PurePosixPath(link)
        resolved = os.path.normpath(os.path.join(dest, path.parent, link))
        if target.is_absolute() or not (resolved + os.sep).startswith(str(dest) + os.sep):
            raise UnsafeArchiveError(
                f"refusing to extract {name!r}: it links to {link!r}, outside {dest}."
            )


def _counted(members: list, label: str) -> Iterator:
    """Yield ``members`` while a progress bar counts them (shown in a notebook or a terminal only)."""
    bar = progress_bar(len(members), f"extracting {label}", unit="file")
    try:
        for member in members:
            yield member
            bar.update(1)
    finally:
        bar.close()


def _unzip(archive_path: Path, tmp: Path) -> int:
    with zipfile.ZipFile(archive_path) as zf:
        for info in zf.infolist():
            is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
            _check_member(
                info.filename, zf.read(info).decode(errors="replace") if is_link else None, tmp
            )
        needed = sum(info.file_size for info in zf.infolist())
        _with_space(
            needed,
            tmp,
            lambda: zf.extractall(tmp, members=_counted(zf.infolist(), archive_path.name)),
        )
    return needed


def _untar(archive_path: Path, tmp: Path) -> int:
    try:
        tf = tarfile.open(archive_path)  # noqa: SIM115 (`with tf:` below; opening has its own errors)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise CorruptArchiveError(
            f"{archive_path} is not a readable archive ({e}): it must be downloaded again."
        ) from e
    with tf:
        try:
            members = tf.getmembers()
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
            raise CorruptArchiveError(
                f"{archive_path} is corrupt or cut short ({e}): it must be downloaded again."
            ) from e
        for m in members:
            if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
                raise UnsafeArchiveError(
                    f"refusing to extract {m.name!r}: a device or special file."
                )
            link = None
            if m.issym():
                link = m.linkname
            elif m.islnk():  # a hard link's target is relative to the archive root
                link = os.path.relpath(m.linkname, str(PurePosixPath(m.name).parent) or ".")
            _check_member(m.name, link, tmp)
        needed = sum(m.size for m in members)
        counted = _counted(members, archive_path.name)
        if hasattr(tarfile, "data_filter"):
            _with_space(needed, tmp, lambda: tf.extractall(tmp, members=counted, filter="data"))
        else:  # Python < 3.10.12: every member was checked above
            _with_space(needed, tmp, lambda: tf.extractall(tmp, members=counted))
    return needed


def _un7z(archive_path: Path, tmp: Path) -> int:
    try:
        import py7zr
    except ImportError as e:
        raise ExtractError(
            f"{archive_path.name} is a 7-Zip archive: run `pip install py7zr` and run again."
        ) from e
    try:
        with py7zr.SevenZipFile(archive_path) as archive:
            infos = archive.list()
            for info in infos:
                if info.is_symlink:
                    raise UnsafeArchiveError(
                        f"refusing to extract {info.filename!r}: a link inside a 7-Zip archive."
                    )
                _check_member(info.filename, None, tmp)
            needed = sum(info.uncompressed or 0 for info in infos)
            _with_space(needed, tmp, lambda: archive.extractall(path=tmp))
    except (py7zr.exceptions.ArchiveError, EOFError, ValueError) as e:
        if isinstance(e, UnsafeArchiveError):
            raise
        raise CorruptArchiveError(
            f"{archive_path} is corrupt or cut short ({type(e).__name__}: {e}): it "
            "must be downloaded again."
        ) from e
    inner = list(tmp.iterdir())
    if archive_path.name.endswith(".tar.7z") and len(inner) == 1 and inner[0].suffix == ".tar":
        tar = inner[0].rename(tmp.parent / f".{tmp.name}.inner.tar")  # .tar.7z: a tar inside the 7z
        try:
            needed += _untar(tar, tmp)
        finally:
            tar.unlink(missing_ok=True)
    return needed


def _with_space(needed: int, tmp: Path, unpack: Callable[[], object]) -> None:
    """Run ``unpack``; if the disk fills up, say how much room the archive needs."""
    try:
        unpack()
    except OSError as e:
        if e.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # our own half-written folder
        tmp.mkdir()
        free = shutil.disk_usage(tmp).free
        raise ExtractError(
            f"the disk filled up while extracting into {tmp.parent}: the archive needs "
            f"{needed / 1e6:,.0f} MB and {free / 1e6:,.0f} MB are free. Free at least "
            f"{max(needed - free, 0) / 1e6 + 1:,.0f} MB there (or set COURSEKIT_HOME to a "
            "larger disk) and run again."
        ) from e


def extract_archive(archive_path: Path, dest: Path) -> Path:
    """Extract a .tgz/.tar/.zip/.7z/.tar.7z into the folder ``dest``, which must not exist yet.

    Everything is checked before anything is written; then the archive is unpacked into a
    temporary sibling folder that is renamed to ``dest``, so ``dest`` is whole or absent.

    >>> extract_archive(home / 'archive' / 'pets.tgz', home / 'data' / 'pets')   # doctest: +SKIP
    """
    archive_path, dest = Path(archive_path), Path(dest).resolve()
    if dest.exists():
        raise FileExistsError(
            f"{dest} already exists; coursekit extracts only into a new folder. Rename or "
            "remove it yourself, or choose another destination."
        )

    def unpack(tmp: Path) -> None:
        tmp.mkdir()
        if archive_path.name.endswith(".7z"):
            _un7z(archive_path, tmp)
        elif zipfile.is_zipfile(archive_path):
            _unzip(archive_path, tmp)
        else:
            _untar(archive_path, tmp)

    return atomic_write(dest, unpack)
