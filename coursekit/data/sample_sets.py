"""Each lesson's sample set, loaded exactly as the lesson loads it (``coursekit data``, the demo).

data = sample_data('pets', size=64)      # ImageData over ck.samples.pets(), lesson 1's way
SAMPLE_SETS                              # ('pets', 'dogscats', 'dogbreeds', 'planet')
"""

from __future__ import annotations

from typing import Any

from coursekit.data import samples
from coursekit.data.imagedata import ImageData
from coursekit.data.labels import PETS_PATTERN
from coursekit.data.transforms import side_on, top_down

__all__ = ["SAMPLE_SETS", "sample_data"]

SAMPLE_SETS = ("pets", "dogscats", "dogbreeds", "planet")


def sample_data(name: str, size: int = 64, **opts: Any) -> ImageData:
    """The lesson's sample set as ``ImageData``; ``opts`` go to ``ImageData`` (``bs``, ...)."""
    if name == "pets":
        return ImageData.from_name_re(
            samples.pets() / "images",
            pat=PETS_PATTERN,
            size=size,
            aug=side_on,
            max_zoom=1.1,
            **opts,
        )
    if name == "dogscats":
        return ImageData.from_folder(
            samples.dogscats(), test="test1", size=size, aug=side_on, max_zoom=1.1, **opts
        )
    if name == "dogbreeds":
        path = samples.dogbreeds()
        opts.update(test="test", aug=side_on, max_zoom=1.1)
        return ImageData.from_csv(path, "train", "labels.csv", ".jpg", size=size, **opts)
    if name == "planet":  # multi-label: each picture has a list of tags
        path = samples.planet()
        opts.update(label_delim=" ", test="test-jpg", aug=top_down)
        return ImageData.from_csv(path, "train-jpg", "train_v2.csv", ".jpg", size=size, **opts)
    raise ValueError(f"unknown sample set {name!r}; choose one of {SAMPLE_SETS}")
