"""ImageDataset: image files and their targets, each decoded and transformed when asked for.

>>> ds = ImageDataset(paths, targets, valid_transform(224), size=224)
>>> x, y = ds[0]                    # x: (3, 224, 224), normalised; y: the target

``ImageData`` makes one per split (``data.train_ds``, ``data.valid_ds``, ``data.test_ds``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset

from coursekit.data.gpu_augment import BatchAugment
from coursekit.data.images import open_image

__all__ = ["ImageDataset"]


class ImageDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Image files with their targets: ``ds[i]`` is ``(x, y)``, ``x`` a normalised tensor.

    ``y`` is a class index (single-label), a multi-hot float vector (multi-label), or 0 for an
    unlabelled test image. ``transform`` turns the decoded RGB picture into ``x``.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        targets: torch.Tensor,
        transform: Callable[[Image.Image], torch.Tensor],
        size: int,
        batch_augment: BatchAugment | None = None,
    ) -> None:
        self.paths, self.targets, self.transform, self.size = list(paths), targets, transform, size
        self.batch_augment = batch_augment  # the same augmentation on whole batches (gpu_augment)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.transform(open_image(self.paths[i], min_size=self.size)), self.targets[i]

    def with_transform(self, transform: Callable[[Image.Image], torch.Tensor]) -> ImageDataset:
        """The same images and targets under another transform (e.g. TTA's augmented views)."""
        return ImageDataset(self.paths, self.targets, transform, self.size)
