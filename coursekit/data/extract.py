"""Unpacking archives safely: .tgz/.tar, .zip, .7z and .tar.7z.

Every member is checked before anything is written: absolute paths, ``..`` components, links
that point outside and device files are refused with an error naming the member (pooch and
older Pythons' tarfile do not check these). So is the whole: an archive whose members would
expand past ``MAX_TOTAL_BYTES``, or more than ``MAX_RATIO`` times its own size (a "zip bomb"), is
refused with the numbers. The archive is unpacked into a temporary sibling folder that is renamed
into place at the end, so the destination is whole or absent; a damaged member is named in the
error, and a tar is read to its very end first, so a .tgz whose gzip checksum fails, or a tar cut
short, is refused naming the member it failed after; a disk that fills up says how much space to
free, and leaves nothing half-extracted behind.
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
from typing import Any

from coursekit.data.sizes import format_size
from coursekit.fileio import atomic_write
from coursekit.progress import progress_bar

__all__ = [
    "ARCHIVE_SUFFIXES",
    "MAX_RATIO",
    "MAX_TOTAL_BYTES",
    "ArchiveBombError",
    "CorruptArchiveError",
    "ExtractError",
    "UnsafeArchiveError",
    "extract_archive",
    "unpacked_name",
]

ARCHIVE_SUFFIXES = (".tar.7z", ".tar.gz", ".tgz", ".tar", ".zip", ".7z")

# The largest data set the lessons use unpacks to about 1 GB (Kaggle's whole Planet bundle, with its
# TIFFs, to about 30 GB); photos barely compress, and CSV files about 10:1. Decimal units, as the
# messages print them (coursekit.data.sizes).
MAX_TOTAL_BYTES = 64 * 10**9
MAX_RATIO = 100
RATIO_FLOOR = 64 * 10**6  # under 64 MB in all, the ratio is not checked: it cannot fill a disk


class ExtractError(RuntimeError):
    """An archive could not be unpacked (corrupt, or the disk is full); the message says what to do."""


class CorruptArchiveError(ExtractError):
    """An archive is damaged or cut short: download it again."""


class UnsafeArchiveError(ValueError):
    """An archive member would land outside the destination folder."""


class ArchiveBombError(UnsafeArchiveError):
    """An archive that would expand far beyond its size, or beyond any data set's size."""


def _check_expansion(
    archive_path: Path, total: int, n_members: int, limits: tuple[int, float]
) -> None:
    """Refuse an archive whose members add up to more than the limits ``(max_total, max_ratio)``."""
    max_total, max_ratio = limits
    size = max(archive_path.stat().st_size, 1)
    if total > max_total or (total > RATIO_FLOOR and total > max_ratio * size):
        raise ArchiveBombError(
            f"refusing to extract {archive_path}: its {n_members} member(s) would expand to "
            f"{format_size(total)} from {format_size(size)}, a ratio of {total / size:,.0f}:1 "
            f"(the limits are {format_size(max_total)} and {max_ratio:g}:1, past which an archive "
            "is a decompression bomb rather than a data set). Delete it; if you trust it, raise "
            "max_total= / max_ratio= of extract_archive."
        )


class _Counted:
    """Yield ``members`` while a progress bar counts them; ``current`` is the member being
    unpacked, for an error to name it."""

    def __init__(self, members: list, label: str):
        self.members, self.label = members, label
        self.current: Any = None

    def __iter__(self) -> Iterator:
        bar = progress_bar(len(self.members), f"extracting {self.label}", unit="file")
        try:
            for member in self.members:
                self.current = member
                yield member
                bar.update(1)
        finally:
            bar.close()


def _damaged(
    archive_path: Path, member: str | None, error: BaseException, where: str = "at"
) -> CorruptArchiveError:
    place = f" {where} member {member!r}" if member else ""
    return CorruptArchiveError(
        f"{archive_path} is damaged{place} ({type(error).__name__}: {error}): it must be "
        "downloaded again."
    )


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


def _unzip(archive_path: Path, tmp: Path, limits: tuple[int, float]) -> int:
    try:
        with zipfile.ZipFile(archive_path) as zf:
            infos = zf.infolist()
            for info in infos:
                is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
                _check_member(
                    info.filename, zf.read(info).decode(errors="replace") if is_link else None, tmp
                )
            needed = sum(info.file_size for info in infos)
            _check_expansion(archive_path, needed, len(infos), limits)
            counted = _Counted(infos, archive_path.name)
            try:
                _with_space(needed, tmp, lambda: zf.extractall(tmp, members=counted))
            except (zipfile.BadZipFile, zlib.error, EOFError) as e:
                raise _damaged(archive_path, getattr(counted.current, "filename", None), e) from e
    except (zipfile.BadZipFile, EOFError) as e:
        raise _damaged(archive_path, None, e) from e
    return needed


def _read_to_end(tf: tarfile.TarFile) -> None:
    """Read what follows the last header: tarfile stops at the end-of-archive marker, so without
    this a gzip'd tar's CRC and length, in its last 8 bytes, would never be checked, and a tar cut
    short at a header, or with a damaged header in mid-archive, would end there without a word."""
    if tf.fileobj.tell() - tf.offset < tarfile.BLOCKSIZE:  # the marker block is missing or short
        raise EOFError("the archive ends before its end-of-archive marker")
    while chunk := tf.fileobj.read(1 << 20):  # the marker's padding; gzip checks its CRC at EOF
        if chunk.strip(b"\0"):
            raise tarfile.ReadError("a damaged header ended the archive early")


def _untar(archive_path: Path, tmp: Path, limits: tuple[int, float]) -> int:
    try:
        tf = tarfile.open(archive_path)  # noqa: SIM115 (`with tf:` below; opening has its own errors)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise CorruptArchiveError(
            f"{archive_path} is not a readable archive ({e}): it must be downloaded again."
        ) from e
    with tf:
        members: list[tarfile.TarInfo] = []
        try:
            while (member := tf.next()) is not None:
                members.append(member)
            _read_to_end(tf)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
            last = members[-1].name if members else None
            raise _damaged(archive_path, last, e, where="after") from e
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
        _check_expansion(archive_path, needed, len(members), limits)
        counted = _Counted(members, archive_path.name)

        def unpack() -> None:
            if hasattr(tarfile, "data_filter"):
                tf.extractall(tmp, members=counted, filter="data")
            else:  # Python < 3.10.12: every member was checked above
                tf.extractall(tmp, members=counted)

        try:
            _with_space(needed, tmp, unpack)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
            raise _damaged(archive_path, getattr(counted.current, "name", None), e) from e
    return needed


def _un7z(archive_path: Path, tmp: Path, limits: tuple[int, float]) -> int:
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
            _check_expansion(archive_path, needed, len(infos), limits)
            listed = all(info.uncompressed is not None for info in infos)
            _with_space(needed if listed else None, tmp, lambda: archive.extractall(path=tmp))
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
            needed += _untar(tar, tmp, limits)
        finally:
            tar.unlink(missing_ok=True)
    return needed


def _with_space(needed: int | None, tmp: Path, unpack: Callable[[], object]) -> None:
    """Run ``unpack``; if the disk fills up, say how much room the archive needs (``None``: an
    archive that does not list its members' sizes)."""
    try:
        unpack()
    except OSError as e:
        if e.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # our own half-written folder
        tmp.mkdir()
        free = shutil.disk_usage(tmp).free
        if needed is None:
            room = (
                f"the archive does not list its size and {format_size(free)} are free. Free space"
            )
        else:
            room = (
                f"the archive needs {format_size(needed)} and {format_size(free)} are free. Free "
                f"at least {format_size(max(needed - free, 0) + 10**6)}"
            )
        raise ExtractError(
            f"the disk filled up while extracting into {tmp.parent}: {room} there (or set "
            "COURSEKIT_HOME to a larger disk) and run again."
        ) from e


def extract_archive(
    archive_path: Path,
    dest: Path,
    max_total: int = MAX_TOTAL_BYTES,
    max_ratio: float = MAX_RATIO,
) -> Path:
    """Extract a .tgz/.tar/.zip/.7z/.tar.7z into the folder ``dest``, which must not exist yet.

    Everything is checked before anything is written (members that would land outside; more than
    ``max_total`` bytes in all, or more than ``max_ratio`` times the archive's size); then the
    archive is unpacked into a temporary sibling folder that is renamed to ``dest``, so ``dest``
    is whole or absent. A damaged member, or a .tgz whose checksum fails, raises
    ``CorruptArchiveError`` naming the member (or the one it comes after).

    >>> extract_archive(home / 'archive' / 'pets.tgz', home / 'data' / 'pets')   # doctest: +SKIP
    """
    archive_path, dest = Path(archive_path), Path(dest).resolve()
    if dest.exists():
        raise FileExistsError(
            f"{dest} already exists; coursekit extracts only into a new folder. Rename or "
            "remove it yourself, or choose another destination."
        )

    limits = (max_total, max_ratio)

    def unpack(tmp: Path) -> None:
        tmp.mkdir()
        if archive_path.name.endswith(".7z"):
            _un7z(archive_path, tmp, limits)
        elif zipfile.is_zipfile(archive_path):
            _unzip(archive_path, tmp, limits)
        else:
            _untar(archive_path, tmp, limits)

    return atomic_write(dest, unpack)
