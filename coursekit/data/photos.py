"""Real photographs that ship with coursekit, so a lesson has a real picture with no download.

>>> path = photo('chelsea')          # a tabby cat, 451x300 (lesson 5 starts from it)
>>> ConvExplorer(path)

``chelsea`` (a cat, by Stefan van der Walt) and ``coffee`` (a cup of espresso, by Rachel
Michetti) are both CC0, from scikit-image's sample data; see ``photos/README.md``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PHOTOS", "photo"]

FOLDER = Path(__file__).with_name("photos")
PHOTOS = ("chelsea", "coffee")


def photo(name: str = "chelsea") -> Path:
    """The path of one of the photos that ship with coursekit: ``'chelsea'`` or ``'coffee'``."""
    if name not in PHOTOS:
        raise ValueError(
            f"no photo {name!r} ships with coursekit; choose one of {PHOTOS}, "
            "or pass the path of a picture of your own."
        )
    return FOLDER / f"{name}.jpg"
