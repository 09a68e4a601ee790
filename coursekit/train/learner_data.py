"""What a ``Learner`` needs of its data, as a ``Protocol``: the classes, the picture size and
normalisation, the batch size, and the splits' images and loaders.

``ImageData`` has all of it. The data of a learner rebuilt by ``load_learner``
(``coursekit.train.export.InferenceData``) has the classes, size and normalisation, enough to
predict single pictures, and refuses the splits with a clear error: it has no images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from coursekit.data.dataset import ImageDataset
from coursekit.data.imagedata import Loader
from coursekit.data.transforms import Augmentation, Stats

__all__ = ["LearnerData"]


class LearnerData(Protocol):
    """The data a learner trains on, predicts with and names its classes from."""

    path: Path
    classes: list[str]
    size: int
    stats: Stats
    bs: int
    aug: Augmentation | None
    max_zoom: float

    @property
    def c(self) -> int:
        """How many classes (or tags)."""
        ...

    @property
    def is_multilabel(self) -> bool:
        """True when each image has a list of tags rather than one class."""
        ...

    def split(self, name: str) -> ImageDataset:
        """The dataset of the split ``name``: 'train', 'valid' or 'test'."""
        ...

    def split_paths(self, name: str) -> list[Path]:
        """The image files of the split ``name``."""
        ...

    def loader(self, dataset: ImageDataset, shuffle: bool = False, bs: int | None = None) -> Loader:
        """Batches of ``dataset``."""
        ...
