"""Reading smaller copies automatically when the photos are much bigger than the training size.

The real data sets hold photos of about 500x375 pixels; the lessons train at 224. Decoding all
of each photo every epoch, only to shrink it, is most of what the loader's two CPU cores do on
Colab. The course's answer is ``data.resize(340, 'tmp')``: make smaller copies once. In full
mode ``ImageData`` does this by itself, with copies whose shorter side is the training size,
says so in one line, and the copies are re-used by every later run (``$COURSEKIT_HOME/resized``). ``ImageData(..., auto_resize=False)`` turns it off;
``auto_resize=True`` turns it on in sample mode too.

>>> cache_size_for([(500, 375)] * 100, size=224)      # the shorter side of the copies
224
>>> cache_size_for([(260, 250)] * 100, size=224) is None   # not much bigger: read the originals
True
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from coursekit.config import sample_mode
from coursekit.data.images import resize_images

if TYPE_CHECKING:
    from coursekit.data.imagedata import ImageData

__all__ = ["MUCH_LARGER", "auto_copies", "cache_size_for"]

MUCH_LARGER = 1.25  # photos whose shorter side is this much bigger than the training size


def cache_size_for(sizes: Sequence[tuple[int, int] | None], size: int) -> int | None:
    """The shorter side of the copies to train at ``size`` from pictures of ``sizes`` (width, height),
    or None when the pictures are not much larger than that.

    A training picture is resized so that its shorter side is ``size`` before a ``size`` x ``size``
    crop, so copies whose shorter side is already ``size`` lose nothing, and leave the loader
    nothing to resize. They are worth making when the median photo's shorter side is at least
    ``MUCH_LARGER`` times ``size`` (then they hold at most 1/1.56 of the pixels to decode).
    """
    shorter = [min(s) for s in sizes if s and min(s) > 0]
    if not shorter or statistics.median(shorter) < MUCH_LARGER * size:
        return None
    return size


def auto_copies(data: ImageData) -> dict[Path, Path]:
    """Original path -> smaller copy, for every image of ``data``; empty when none are needed.

    Used by ``ImageData`` when it builds its datasets: in full mode (``auto_resize=None`` and not
    ``ck.sample_mode()``), or always with ``auto_resize=True``.
    """
    on = (not sample_mode()) if data.auto_resize is None else data.auto_resize
    everything = data.train_paths + data.valid_paths + data.test_paths
    if not on or not everything:
        return {}
    max_size = cache_size_for([data.image_size_of.get(p) for p in everything], data.size)
    if max_size is None:
        return {}
    sizes = [s for s in (data.image_size_of.get(p) for p in everything) if s]
    typical = sorted(sizes, key=lambda s: s[0] * s[1])[len(sizes) // 2]
    print(
        f"The photos are about {typical[0]}x{typical[1]} px and training is at {data.size} px: reading copies "
        f"whose shorter side is {max_size} px, made once and kept in $COURSEKIT_HOME/resized (the course's "
        "data.resize). ImageData(..., auto_resize=False) reads the originals."
    )
    root = Path(os.path.commonpath([p.resolve().parent for p in everything]))
    return dict(zip(everything, resize_images(everything, root, max_size, shorter=True)))
