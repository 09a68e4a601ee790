"""Turning image files into RGB pictures, checking them, and caching smaller copies.

Photos come in every mode a camera or a web page can produce: grayscale, CMYK, palette, RGBA,
sideways with an EXIF orientation tag. ``open_image`` turns all of them into upright RGB, and
asks the JPEG decoder for a smaller picture when only a small one is needed ("draft" mode:
the decoder skips detail it would throw away, several times faster than decoding everything).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from coursekit.config import coursekit_home
from coursekit.data.pixel_ranges import from_16_bit, to_uint8
from coursekit.fileio import atomic_write, atomic_write_text
from coursekit.progress import progress_bar

__all__ = [
    "DECODE_ERRORS",
    "HEIC_EXTENSIONS",
    "HEIC_READABLE",
    "IMAGE_EXTENSIONS",
    "LARGE_IMAGE_PIXELS",
    "ImageInput",
    "UnreadableImageError",
    "check_images",
    "decode_image",
    "eight_bit",
    "is_image_file",
    "open_image",
    "reduced_rgb",
    "resize_images",
    "to_rgb",
    "upright",
]

# Whatever a student may hand over as one picture (see ``coursekit.data.image_input.as_image``).
ImageInput = str | os.PathLike[str] | Image.Image | bytes | np.ndarray

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
HEIC_EXTENSIONS = (".heic", ".heif")  # iPhone photos: readable only with the pillow-heif plug-in


def _heic_readable() -> bool:
    """Register pillow-heif's opener with Pillow when it is installed (coursekit does not require
    it); True if HEIC photos can then be read."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


HEIC_READABLE = _heic_readable()

# A picture with more pixels than this (a 2048 x 2048 scan) is shrunk by an integer factor right
# after decoding when only a much smaller one is needed; smaller pictures are decoded as they are.
LARGE_IMAGE_PIXELS = 2048 * 2048


# What PIL raises for a file it cannot decode (a decompression bomb included).
DECODE_ERRORS = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    OSError,
    SyntaxError,
    ValueError,
)


class UnreadableImageError(ValueError):
    """An image file that cannot be decoded; the message names the file and why."""


def is_image_file(path: Path) -> bool:
    """True for file names with an image extension (``.jpg``, ``.png``, ... and ``.heic`` when
    ``HEIC_READABLE``); not a content check."""
    suffix = path.suffix.lower()
    readable = suffix in IMAGE_EXTENSIONS or (HEIC_READABLE and suffix in HEIC_EXTENSIONS)
    return readable and not path.name.startswith(".")


def to_rgb(img: Image.Image) -> Image.Image:
    """Any PIL mode as RGB; transparent pixels become white rather than black."""
    if img.mode == "RGB":
        return img
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA"):
        white = Image.new("RGB", img.size, (255, 255, 255))
        white.paste(img, mask=img.getchannel("A"))
        return white
    return img.convert("RGB")


def upright(img: Image.Image) -> Image.Image:
    """``img`` turned as its EXIF orientation tag says; the same object, not a copy, when it has
    no rotation to apply (``ImageOps.exif_transpose`` copies every picture, a 12000 x 12000 one too)."""
    if img.getexif().get(0x0112, 1) in (2, 3, 4, 5, 6, 7, 8):
        return ImageOps.exif_transpose(img) or img
    return img


def eight_bit(img: Image.Image) -> Image.Image:
    """A 16-bit picture (mode ``I;16``, a 16-bit greyscale PNG) as 8-bit greyscale, scaled by its
    bit depth (``Image.convert`` would clip it, leaving it almost white); a 32-bit one (``I``,
    ``F``) by the array rules of ``coursekit.data.pixel_ranges``; any other mode as it is."""
    if img.mode.startswith("I;16") or (img.mode == "I" and img.format == "PNG"):
        return Image.fromarray(from_16_bit(np.asarray(img)))
    if img.mode in ("I", "F"):
        return Image.fromarray(to_uint8(np.asarray(img)))
    return img


def _shrunk(img: Image.Image, min_size: int | None) -> Image.Image:
    """A very large picture reduced by the largest integer factor that keeps both sides at least
    ``min_size`` (box averaging, as JPEG draft mode does while decoding)."""
    factor = min(img.size) // min_size if min_size else 1
    if factor < 2 or img.width * img.height <= LARGE_IMAGE_PIXELS:
        return img
    return img.reduce(factor)


def open_image(path: str | os.PathLike, min_size: int | None = None) -> Image.Image:
    """Decode ``path`` as an upright RGB picture.

    ``min_size``: the smallest side the caller needs. A JPEG is then decoded in draft mode at
    the smallest scale (1/2, 1/4, 1/8) that still keeps both sides at least ``min_size``; another
    very large picture (over ``LARGE_IMAGE_PIXELS``) is reduced right after decoding. 16-bit
    pictures are scaled by their bit depth (``eight_bit``).

    >>> img = open_image(path/'images'/'Bengal_1.jpg', min_size=64)
    >>> img.mode, min(img.size) >= 64
    ('RGB', True)

    Raises ``UnreadableImageError`` naming the file when it is not an image PIL can decode.
    """
    try:
        return decode_image(path, min_size)
    except DECODE_ERRORS as e:
        raise UnreadableImageError(
            f"cannot read image {path}: {e}. Delete or replace this file."
        ) from e


def decode_image(source: str | os.PathLike | BinaryIO, min_size: int | None = None) -> Image.Image:
    """``open_image``'s decoding, for a path or an open binary file (an upload's bytes): raises
    PIL's own errors (``DECODE_ERRORS``), which each caller words for its input."""
    with Image.open(source) as img:
        if min_size and img.format == "JPEG":
            # EXIF rotation swaps width and height, so ask for a square: both sides >= min_size.
            img.draft("RGB", (min_size, min_size))
        img.load()
        return reduced_rgb(img, min_size)


def reduced_rgb(img: Image.Image, min_size: int | None = None) -> Image.Image:
    """A decoded picture as upright 8-bit RGB, a very large one first reduced (``_shrunk``) while
    it is still in its own, smaller mode; copies only what it changes."""
    img = eight_bit(upright(img))
    if img.mode not in ("L", "RGB"):  # reduce() takes a few modes; these two stay small
        img = to_rgb(img)
    return to_rgb(_shrunk(img, min_size))


def _header_ok(path: Path) -> tuple[tuple[int, int] | None, str | None]:
    """(size, None) when the file's header decodes, else (None, reason). Reads no pixels."""
    try:
        with Image.open(path) as img:
            size = img.size
            if img.format == "JPEG":
                if img.getexif().get(0x0112) in (5, 6, 7, 8):  # stored sideways
                    size = size[::-1]
                # a JPEG cut short by an interrupted copy lacks its end-of-image marker
                with open(path, "rb") as f:
                    f.seek(-2, os.SEEK_END)
                    if f.read(2) != b"\xff\xd9":
                        return None, "the file is truncated (no JPEG end marker)"
            elif img.format == "PNG":
                img.verify()  # checks every chunk's CRC
            return size, None
    except DECODE_ERRORS as e:
        return None, str(e) or type(e).__name__


def check_images(
    paths: Sequence[Path], workers: int = 4
) -> tuple[list[tuple[int, int] | None], list[tuple[Path, str]]]:
    """Read every file's header: returns the (width, height) of each (None if unreadable) and a
    list of ``(path, reason)`` for the unreadable ones. Fast: no pixels are decoded."""
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(_header_ok, paths))
    sizes = [size for size, _ in results]
    bad = [(p, reason) for p, (_, reason) in zip(paths, results) if reason]
    return sizes, bad


def warn_unreadable(bad: Iterable[tuple[Path, str]]) -> None:
    """One warning listing every unreadable file, so nothing is dropped silently."""
    bad = list(bad)
    if bad:
        listing = "\n".join(f"  {p}: {reason}" for p, reason in bad[:20])
        more = f"\n  ... and {len(bad) - 20} more" if len(bad) > 20 else ""
        warnings.warn(
            f"{len(bad)} image file(s) could not be read and were left out:\n{listing}{more}\n"
            "Delete or replace them to use them.",
            stacklevel=3,
        )


# ------------------------------------------------------------------------------------ resize cache


def _resize_one(src: Path, dst: Path, max_size: int, shorter: bool = False) -> None:
    img = open_image(src, min_size=max_size)
    if shorter and min(img.size) > max_size:
        scale = max_size / min(img.size)
        img = img.resize(
            (max(max_size, round(img.width * scale)), max(max_size, round(img.height * scale))),
            Image.Resampling.LANCZOS,
        )
    elif not shorter and max(img.size) > max_size:
        img.thumbnail((max_size, max_size), Image.Resampling.LANCZOS)
    atomic_write(dst, lambda tmp: img.save(tmp, "JPEG", quality=92))  # never half-written


def resize_images(
    paths: Sequence[Path],
    root: Path,
    max_size: int,
    cache_dir: Path | None = None,
    workers: int = 4,
    progress: bool = True,
    shorter: bool = False,
) -> list[Path]:
    """Cached copies of ``paths`` (all under ``root``) whose longer side is at most ``max_size``
    (with ``shorter=True``: whose *shorter* side is ``max_size``, as the training size needs).

    The copies live in ``cache_dir`` (default ``$COURSEKIT_HOME/resized/<root's hash>/<max_size>``),
    mirroring the folders under ``root``, as RGB JPEGs. A copy is re-made when its source file's
    size or modification time changes. Returns the copies' paths, in the order of ``paths``.
    This is the course's ``data.resize(340, 'tmp')``.
    """
    root = Path(root).resolve()
    if cache_dir is None:
        tag = hashlib.sha256(str(root).encode()).hexdigest()[:12]
        cache_dir = (
            coursekit_home()
            / "resized"
            / f"{root.name}-{tag}"
            / (f"short{max_size}" if shorter else str(max_size))
        )
    cache_dir = Path(cache_dir)
    manifest_path = cache_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}

    jobs, outputs, stamps = [], [], {}
    for src in paths:
        rel = Path(src).resolve().relative_to(root)
        dst = cache_dir / rel.with_suffix(
            rel.suffix if rel.suffix.lower() in (".jpg", ".jpeg") else rel.suffix + ".jpg"
        )
        stat = os.stat(src)
        stamps[str(rel)] = [stat.st_size, stat.st_mtime_ns]
        if manifest.get(str(rel)) != stamps[str(rel)] or not dst.exists():
            jobs.append((Path(src), dst))
        outputs.append(dst)

    if jobs:
        bar = progress_bar(len(jobs), f"resizing to {max_size}px", unit="img") if progress else None
        with ThreadPoolExecutor(workers) as pool:
            for _ in pool.map(lambda job: _resize_one(job[0], job[1], max_size, shorter), jobs):
                if bar is not None:
                    bar.update(1)
        if bar is not None:
            bar.close()
        manifest.update(stamps)
        atomic_write_text(manifest_path, json.dumps(manifest))
    return outputs
