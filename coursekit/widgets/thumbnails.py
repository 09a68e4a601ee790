"""Small PNG thumbnails for panels, made only when shown and kept once made."""

from __future__ import annotations

import io
from collections import OrderedDict
from pathlib import Path

from coursekit.data import images

__all__ = ["Thumbnails"]


class Thumbnails:
    """An LRU cache of ``size``-pixel PNG thumbnails keyed by path; ``decoded`` counts real decodes."""

    def __init__(self, size: int = 112, capacity: int = 512):
        self.size, self.capacity = size, capacity
        self.cache: OrderedDict[Path, bytes] = OrderedDict()
        self.decoded = 0

    def __call__(self, path: Path) -> bytes:
        if path in self.cache:
            self.cache.move_to_end(path)
            return self.cache[path]
        img = images.open_image(path, min_size=self.size)
        self.decoded += 1
        img.thumbnail((self.size, self.size))
        buf = io.BytesIO()
        img.save(buf, "PNG")
        self.cache[path] = buf.getvalue()
        if len(self.cache) > self.capacity:
            self.cache.popitem(last=False)
        return self.cache[path]
