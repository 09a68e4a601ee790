"""Where the lessons' data comes from, and how a download is known to be the right file.

fast.ai publishes each archive's check as two numbers: its size in bytes and the MD5 of its
**first MiB** (2**20 bytes), not of the whole file (see fastai's ``download_checks.py`` /
``checks.txt`` and fastdownload's ``path_stats``); hashing 800 MB would take as long as a
lesson's first epoch. ``Archive.checksum`` says which kind it holds: ``md5-first-mib:<hex>``
for fast.ai's, ``md5:<hex>`` or ``sha256:<hex>`` for a whole-file digest.

``COURSEKIT_MIRROR=http://127.0.0.1:PORT`` points every download at a mirror (e.g.
``tools/mirror_server.py``): ``https://HOST/PATH`` is fetched from ``{mirror}/HOST/PATH``.
Nothing else changes, except that a mirror may publish its own checks, in fast.ai's
``checks.txt`` format, at ``{mirror}/checks.txt``: a mirror holds smaller stand-ins.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from coursekit.data.answers import read_json

__all__ = [
    "FIRST_MIB",
    "Archive",
    "URLs",
    "fastai_check",
    "mirror_checks",
    "mirror_url",
    "mirrored",
    "verify",
]

FIRST_MIB = 2**20


@dataclass(frozen=True)
class Archive:
    """A file's URL with what is known about it: size in bytes and a checksum.

    ``checksum`` is ``md5-first-mib:<hex>`` (fast.ai's check), ``md5:<hex>``, ``sha256:<hex>``, or
    ``sha256-prefix:<hex>`` (torch.hub's weight files, whose names hold their SHA-256's first digits).

    >>> Archive('https://example.org/pets.tgz', 1234, 'md5-first-mib:' + 32 * '0').name
    'pets'
    """

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


def _fastai(url: str, size: int, md5_first_mib: str) -> Archive:
    return Archive(url, size, f"md5-first-mib:{md5_first_mib}")


class URLs:
    """The course's data sets, with the size and first-MiB MD5 that fast.ai publishes for each."""

    PETS = _fastai(
        "https://s3.amazonaws.com/fast-ai-imageclas/oxford-iiit-pet.tgz",
        811706944,
        "e4db5c768afd933bb91f5f594d7417a4",
    )
    DOGSCATS = _fastai(
        "https://s3.amazonaws.com/fast-ai-sample/dogscats.tgz",
        839285364,
        "3e483c8d6ef2175e9d395a6027eb92b7",
    )
    PLANET_SAMPLE = _fastai(
        "https://s3.amazonaws.com/fast-ai-sample/planet_sample.tgz",
        15523994,
        "8bfb174b3162f07fbde09b54555bdb00",
    )
    PLANET_TINY = _fastai(
        "https://s3.amazonaws.com/fast-ai-sample/planet_tiny.tgz",
        997569,
        "490873c5683454d4b2611fb1f00a68a9",
    )


def mirror_url() -> str | None:
    """The mirror named by ``COURSEKIT_MIRROR`` (without a trailing slash), or None when unset."""
    mirror = os.environ.get("COURSEKIT_MIRROR", "").strip().rstrip("/")
    return mirror or None


def mirrored(url: str) -> str:
    """Where to fetch ``url`` from: ``{mirror}/HOST/PATH`` under ``COURSEKIT_MIRROR``, else ``url``.

    >>> mirrored('https://s3.amazonaws.com/fast-ai-sample/dogscats.tgz')  # with the variable unset
    'https://s3.amazonaws.com/fast-ai-sample/dogscats.tgz'
    """
    mirror = mirror_url()
    parts = urlsplit(url)
    if mirror is None or url.startswith(mirror + "/") or parts.scheme not in ("http", "https"):
        return url
    query = f"?{parts.query}" if parts.query else ""
    return f"{mirror}/{parts.netloc}{parts.path}{query}"


def fastai_check(path: str | os.PathLike) -> tuple[int, str]:
    """fast.ai's check of a file: ``(size in bytes, MD5 of its first MiB)``, as ``checks.txt`` lists it.

    >>> size, md5 = fastai_check(archive_file)          # doctest: +SKIP
    """
    with open(path, "rb") as f:
        first = f.read(FIRST_MIB)
    return os.path.getsize(path), hashlib.md5(first).hexdigest()


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(archive: Archive, path: Path) -> str | None:
    """Check the file at ``path`` against ``archive``'s size and checksum; None if it passes,
    else a sentence saying what is wrong."""
    size = path.stat().st_size
    if archive.size is not None and size != archive.size:
        return f"it has {size:,} bytes, expected {archive.size:,}"
    if archive.checksum:
        kind, want = archive.checksum.split(":", 1)
        if kind == "sha256-prefix":  # torch.hub's weight files: the name holds the digest's start
            have = _digest(path, "sha256")[: len(want)]
        else:
            have = fastai_check(path)[1] if kind == "md5-first-mib" else _digest(path, kind)
        if have != want:
            return f"its {kind} is {have}, expected {want}"
    return None


def mirror_checks(archive: Archive, timeout: float = 30) -> Archive:
    """``archive`` with the check the mirror publishes for its URL, when a mirror is set and lists one.

    The mirror's ``checks.txt`` is fast.ai's format: JSON ``{url: [size, md5 of the first MiB]}``.
    """
    mirror = mirror_url()
    if mirror is None:
        return archive
    try:
        with urllib.request.urlopen(f"{mirror}/checks.txt", timeout=timeout) as response:
            checks = read_json(f"{mirror}/checks.txt", response)
    except urllib.error.HTTPError as e:
        if e.code in (403, 404):  # no checks.txt (an S3-like server answers 403 for a missing key)
            return archive
        raise
    if archive.url not in checks:
        return archive
    size, md5 = checks[archive.url]
    return replace(archive, size=int(size), checksum=f"md5-first-mib:{md5}")
