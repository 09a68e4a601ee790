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
from PIL import Image, UnidentifiedImageError

from coursekit.config import coursekit_home
from coursekit.data.heic import HEIC_EXTENSIONS, HEIC_READABLE, heic_help
from coursekit.data.pixel_ranges import from_16_bit, to_uint8
from coursekit.fileio import atomic_write, atomic_write_text
from coursekit.progress import progress_bar

__all__ = [
    "DECODE_ERRORS",
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
]

# Whatever a student may hand over as one picture (see ``coursekit.data.image_input.as_image``).
ImageInput = str | os.PathLike[str] | Image.Image | bytes | np.ndarray

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}

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


def eight_bit(img: Image.Image) -> Image.Image:
    """A 16-bit picture (mode ``I;16``, a 16-bit greyscale PNG) as 8-bit greyscale, scaled by its
    bit depth (``Image.convert`` would clip it, leaving it almost white); a 32-bit one (``I``,
    ``F``) by the array rules of ``coursekit.data.pixel_ranges``; any other mode as it is."""
    return _eight_bit(img, _is_16_bit(img))


def _is_16_bit(img: Image.Image) -> bool:
    return img.mode.startswith("I;16") or (img.mode == "I" and img.format == "PNG")


def _eight_bit(img: Image.Image, sixteen_bit: bool) -> Image.Image:
    if sixteen_bit:
        return Image.fromarray(from_16_bit(np.asarray(img)))
    if img.mode in ("I", "F"):
        return Image.fromarray(to_uint8(np.asarray(img)))
    return img


# The EXIF orientation tag's values, as the turn that makes the picture upright. Turning the
# small picture, not the decoded one, spares a full-size copy (``ImageOps.exif_transpose``).
_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _shrunk_rgb(img: Image.Image, min_size: int | None) -> Image.Image:
    """``img`` as 8-bit RGB; a very large one reduced by the largest integer factor that keeps both
    sides at least ``min_size`` (box averaging, as JPEG draft mode does while decoding).

    Scaling 16 bits to 8 and laying transparent pixels on white each copy the picture, so a large
    one is converted a strip at a time, each strip reduced at once: the full-size copies never
    exist (a 12000 x 12000 RGBA PNG would need 1.2 GB more). Strips hold whole blocks of
    ``factor`` rows, so the result is the same as converting first and reducing after."""
    factor = min(img.size) // min_size if min_size else 1
    if factor < 2 or img.width * img.height <= LARGE_IMAGE_PIXELS:
        return to_rgb(eight_bit(img))
    sixteen_bit = _is_16_bit(img)  # asked once: a strip no longer knows it came from a PNG
    if img.mode in ("I", "F") and not sixteen_bit:
        img = eight_bit(img)  # its range is judged on the whole picture, not strip by strip
    if img.mode in ("L", "RGB"):
        return to_rgb(img.reduce(factor))
    rows = factor * max(1, 256 // factor)
    small = Image.new("RGB", (-(-img.width // factor), -(-img.height // factor)))
    for top in range(0, img.height, rows):
        strip = img.crop((0, top, img.width, min(top + rows, img.height)))
        small.paste(to_rgb(_eight_bit(strip, sixteen_bit)).reduce(factor), (0, top // factor))
    return small


def open_image(path: str | os.PathLike, min_size: int | None = None) -> Image.Image:
    """Decode ``path`` as an upright RGB picture.

    ``min_size``: the smallest side the caller needs. A JPEG is then decoded in draft mode at
    the smallest scale (1/2, 1/4, 1/8) that still keeps both sides at least ``min_size``; another
    very large picture (over ``LARGE_IMAGE_PIXELS``) is reduced right after decoding. 16-bit
    pictures are scaled by their bit depth (``eight_bit``).

    >>> img = open_image(path/'images'/'Bengal_1.jpg', min_size=64)
    >>> img.mode, min(img.size) >= 64
    ('RGB', True)

    Raises ``UnreadableImageError`` naming the file when it is not an image PIL can decode (for
    an iPhone photo that this Python cannot read, saying how to read or convert it).
    """
    try:
        return decode_image(path, min_size)
    except DECODE_ERRORS as e:
        why = heic_help(_first_bytes(path), str(path)) or f"{e}. Delete or replace this file."
        raise UnreadableImageError(f"cannot read image {path}: {why}") from e


def _first_bytes(path: str | os.PathLike, n: int = 12) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError:
        return b""


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
    """A decoded picture as upright 8-bit RGB, a very large one reduced first (``_shrunk_rgb``)
    and turned after, so that no full-size copy is made; copies only what it changes."""
    turn = _TURNS.get(img.getexif().get(0x0112, 1))
    small = _shrunk_rgb(img, min_size)
    return small if turn is None else small.transpose(turn)


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
