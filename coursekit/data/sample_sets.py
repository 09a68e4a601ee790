"""Each lesson's sample set, labelled the way the lesson labels it (the demo, ``coursekit train``),
and drawn at the size the lesson draws it (``coursekit data``, Binder's postBuild).

data = sample_data('pets', size=64)      # ImageData over ck.samples.pets(), lesson 1's way
lesson_sample('pets')                    # the folder of ck.samples.pets(n_per_class=42), lesson 1's set
SAMPLE_SETS                              # ('pets', 'dogscats', 'dogbreeds', 'planet')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coursekit.config import SAMPLE_SETS
from coursekit.data import samples
from coursekit.data.imagedata import ImageData
from coursekit.data.labels import PETS_PATTERN
from coursekit.data.transforms import side_on, top_down

__all__ = ["LESSON_SAMPLES", "SAMPLE_SETS", "lesson_sample", "sample_data"]


# The arguments of each lesson's own ck.samples call (tests/test_lessons.py checks they agree):
# big enough for the lesson to compare two numbers on 100 validation pictures or more.
LESSON_SAMPLES: dict[str, dict[str, int]] = {
    "pets": {"n_per_class": 42},
    "dogscats": {"n_per_class": 100, "n_valid": 50},
    "dogbreeds": {"n_per_class": 50},
    "planet": {"n_per_class": 125},
}


def lesson_sample(name: str) -> Path:
    """The folder of the sample set as its lesson draws it (drawn once, then reused)."""
    if name not in SAMPLE_SETS:
        raise ValueError(f"unknown sample set {name!r}; choose one of {SAMPLE_SETS}")
    return getattr(samples, name)(**LESSON_SAMPLES[name])


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
