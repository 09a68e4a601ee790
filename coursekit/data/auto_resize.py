"""Reading smaller copies automatically when the photos are much bigger than the training size.

The real data sets hold photos of about 500x375 pixels; the lessons train at 224. Decoding all
of each photo every epoch, only to shrink it, is most of what the loader's two CPU cores do on
Colab. The course's answer is ``data.resize(340, 'tmp')``: make smaller copies once. In full
mode ``ImageData`` does this by itself, says so in one line, and the copies are re-used by
every later run (``$COURSEKIT_HOME/resized``). ``ImageData(..., auto_resize=False)`` turns it off;
``auto_resize=True`` turns it on in sample mode too.

>>> cache_size_for([(500, 375)] * 100, size=224)      # the long side of the copies
304
>>> cache_size_for([(260, 200)] * 100, size=224) is None   # not much bigger: read the originals
True
"""
from __future__ import annotations

import math
import os
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from coursekit.config import sample_mode
from coursekit.data.images import resize_images

if TYPE_CHECKING:
    from coursekit.data.imagedata import ImageData

__all__ = ["cache_size_for", "auto_copies", "MUCH_LARGER"]

MUCH_LARGER = 1.25    # sources whose long side is this much bigger than the copies': ~1.5x the pixels


def cache_size_for(sizes: Sequence[tuple[int, int] | None], size: int) -> int | None:
    """The longer side of the copies to train at ``size`` from pictures of ``sizes`` (width, height),
    or None when the pictures are not much larger than that.

    A copy must keep its *shorter* side at least ``size`` (the training crop is ``size`` x ``size``),
    so an elongated photo needs a longer long side: the copies' long side covers 9 in 10 photos,
    rounded up to a multiple of 16. They are worth making when the median photo's long side is at
    least ``MUCH_LARGER`` times that.
    """
    known = [(max(s), min(s)) for s in sizes if s and min(s) > 0]
    if not known:
        return None
    needed = sorted(math.ceil(size * long / short) for long, short in known)
    cover = needed[min(len(needed) - 1, int(0.9 * len(needed)))]
    max_size = 16 * math.ceil(cover / 16)
    if statistics.median(long for long, _ in known) < MUCH_LARGER * max_size:
        return None
    return max_size


def auto_copies(data: "ImageData") -> dict[Path, Path]:
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
    print(f"The photos are about {typical[0]}x{typical[1]} px and training is at {data.size} px: reading copies "
          f"at most {max_size} px (as data.resize({max_size})), made once and kept in "
          f"$COURSEKIT_HOME/resized. ImageData(..., auto_resize=False) reads the originals.")
    root = Path(os.path.commonpath([p.resolve().parent for p in everything]))
    return dict(zip(everything, resize_images(everything, root, max_size)))
