"""Pictures for the explorers: the built-in handwritten 7, the student's own image or upload,
as arrays (``png.py`` draws arrays back as pictures)."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

__all__ = ["PictureSource", "digit_seven", "load_image", "to_grey", "uploaded_bytes"]

# What an explorer can show: see ``load_image`` (the tuple is ``(image_data, index)``).
PictureSource = str | os.PathLike[str] | Image.Image | np.ndarray | bytes | tuple[Any, int] | None


def digit_seven(size: int = 28) -> np.ndarray:
    """A handwritten-style 7 (white on black, like MNIST), drawn by the package: (size, size) in 0..255."""
    big = 8 * size
    img = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(img)
    s = big / 28
    stroke = int(2.6 * s)
    draw.line(
        [(6 * s, 7 * s), (13 * s, 6.2 * s), (21.5 * s, 6 * s)],
        fill=255,
        width=stroke,
        joint="curve",
    )
    draw.line(
        [(21.5 * s, 6 * s), (18 * s, 12 * s), (14.5 * s, 18 * s), (12.5 * s, 23 * s)],
        fill=255,
        width=stroke,
        joint="curve",
    )
    # the continental bar
    draw.line([(12 * s, 14.5 * s), (20 * s, 14 * s)], fill=220, width=int(1.6 * s))
    img = img.filter(ImageFilter.GaussianBlur(s * 0.6)).resize(
        (size, size), Image.Resampling.LANCZOS
    )
    return np.asarray(img, dtype=np.float64)


def uploaded_bytes(
    value: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]] | None,
) -> bytes | None:
    """The file content of a ``FileUpload.value``: a dict of name -> {'content': ...} on ipywidgets 7,
    a tuple of {'content': memoryview, ...} on ipywidgets 8. None when nothing was uploaded."""
    if not value:
        return None
    item = next(iter(value.values())) if isinstance(value, Mapping) else value[0]
    return bytes(item["content"])


def load_image(source: PictureSource = None, max_size: int = 256) -> np.ndarray:
    """(3, H, W) float RGB in 0..255 from: None (the digit 7), a path, a PIL image, an array
    ((H, W), (H, W, 3) or (3, H, W)), uploaded bytes, or ``(image_data, index)`` for an item of an
    ``ImageData``'s training set. Larger pictures are shrunk to ``max_size`` on the longer side."""
    if source is None:
        grey = digit_seven()
        return np.stack([grey] * 3)
    if isinstance(source, tuple):
        if len(source) != 2 or not hasattr(source[0], "train_paths"):
            raise TypeError("a tuple must be (image_data, index): an item of its training set.")
        return load_image(source[0].train_paths[source[1]], max_size)
    if isinstance(source, np.ndarray):
        arr = source.astype(np.float64)
        if arr.ndim == 2:
            return np.stack([arr] * 3)
        return arr if arr.shape[0] == 3 else arr.transpose(2, 0, 1)
    if isinstance(source, Image.Image):
        img = source
    elif isinstance(source, (bytes, bytearray, memoryview)):
        img = Image.open(io.BytesIO(bytes(source)))
    else:
        img = Image.open(Path(source))
    img = ImageOps.exif_transpose(img).convert("RGB")
    img.thumbnail((max_size, max_size))
    return np.asarray(img, dtype=np.float64).transpose(2, 0, 1)


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """(3, H, W) RGB -> (H, W) luminance (ITU-R 601, as PIL's 'L')."""
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
