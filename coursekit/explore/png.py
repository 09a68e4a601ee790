"""Arrays drawn as enlarged PNGs, with boxes and highlighted cells: what the explorers show.

png = to_png(image, min_width=224, boxes=[(0, 0, 3, 3, 'red')])   # a 3x3 window outlined
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["to_png"]


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
