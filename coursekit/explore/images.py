"""Pictures for the explorers: the built-in handwritten 7, the student's own image or upload,
and arrays drawn as enlarged PNGs with boxes on them."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

__all__ = ["digit_seven", "load_image", "to_grey", "to_png", "uploaded_bytes"]


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
    draw.line(
        [(12 * s, 14.5 * s), (20 * s, 14 * s)], fill=220, width=int(1.6 * s)
    )  # the continental bar
    img = img.filter(ImageFilter.GaussianBlur(s * 0.6)).resize(
        (size, size), Image.Resampling.LANCZOS
    )
    return np.asarray(img, dtype=np.float64)


def uploaded_bytes(value: Any) -> bytes | None:
    """The file content of a ``FileUpload.value``: a dict of name -> {'content': ...} on ipywidgets 7,
    a tuple of {'content': memoryview, ...} on ipywidgets 8. None when nothing was uploaded."""
    if not value:
        return None
    item = next(iter(value.values())) if isinstance(value, dict) else value[0]
    return bytes(item["content"])


def load_image(source: Any = None, max_size: int = 256) -> np.ndarray:
    """(3, H, W) float RGB in 0..255 from: None (the digit 7), a path, a PIL image, an array
    ((H, W), (H, W, 3) or (3, H, W)), uploaded bytes, or ``(image_data, index)`` for an item of an
    ``ImageData``'s training set. Larger pictures are shrunk to ``max_size`` on the longer side."""
    if source is None:
        grey = digit_seven()
        return np.stack([grey] * 3)
    if isinstance(source, tuple) and len(source) == 2 and hasattr(source[0], "train_paths"):
        source = source[0].train_paths[source[1]]
    if isinstance(source, np.ndarray):
        arr = source.astype(np.float64)
        if arr.ndim == 2:
            return np.stack([arr] * 3)
        return arr if arr.shape[0] == 3 else arr.transpose(2, 0, 1)
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    img = (
        source
        if isinstance(source, Image.Image)
        else Image.open(Path(source) if isinstance(source, str) else source)
    )
    img = ImageOps.exif_transpose(img).convert("RGB")
    img.thumbnail((max_size, max_size))
    return np.asarray(img, dtype=np.float64).transpose(2, 0, 1)


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """(3, H, W) RGB -> (H, W) luminance (ITU-R 601, as PIL's 'L')."""
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def to_png(
    arr: np.ndarray,
    min_width: int = 224,
    boxes: Iterable[tuple[int, int, int, int, str]] = (),
    rescale: bool = False,
    highlight: np.ndarray | None = None,
) -> bytes:
    """An (H, W) or (3, H, W) array as a PNG, enlarged by a whole factor (pixels stay square and
    sharp) to at least ``min_width``. Values are clipped to 0..255, or stretched to fill it with
    ``rescale`` (for activations and filters). ``boxes``: (top, left, height, width, colour)
    rectangles in array cells; ``highlight``: a boolean (H, W) mask of cells tinted green."""
    a = np.asarray(arr, dtype=np.float64)
    if rescale:
        lo, hi = a.min(), a.max()
        a = (a - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(a)
    a = a.clip(0, 255)
    if highlight is not None:
        rgb = np.stack([a] * 3) if a.ndim == 2 else a.copy()
        rgb[:, highlight] = rgb[:, highlight] * 0.4 + np.array([0, 200, 0])[:, None] * 0.6
        a = rgb
    a = a.astype(np.uint8)
    img = Image.fromarray(a.transpose(1, 2, 0) if a.ndim == 3 else a)
    scale = max(1, -(-min_width // img.width))
    img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST).convert(
        "RGB"
    )
    draw = ImageDraw.Draw(img)
    for top, left, h, w, colour in boxes:
        draw.rectangle(
            (left * scale, top * scale, (left + w) * scale - 1, (top + h) * scale - 1),
            outline=colour,
            width=max(1, scale // 4),
        )
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()
