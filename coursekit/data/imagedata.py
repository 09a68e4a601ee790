"""ImageData: a lesson's images split into train / valid / test, and the loaders that batch them.

>>> data = ImageData.from_name_re(path/'images', pat=PETS_PATTERN, size=64)
>>> data.classes[:3], data.c, len(data.train_ds), len(data.valid_ds)
>>> xb, yb = next(iter(data.train_dl))          # xb: (bs, 3, 64, 64), yb: class indices

Used in every lesson. The three constructors (``from_name_re``, ``from_folder``, ``from_csv``) match
the three ways the lessons' data sets are labelled (file names, folders, a CSV file); the labelling
itself is in factories.py, the dataset of one split in dataset.py.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from coursekit.config import max_picture_size
from coursekit.data.auto_resize import auto_copies
from coursekit.data.batches import drop_last, eval_batch_size
from coursekit.data.dataset import ImageDataset
from coursekit.data.factories import LabelledFiles, by_csv, by_folder, by_name_re
from coursekit.data.gpu_augment import BatchAugment, DeviceLoader, device_loader
from coursekit.data.images import check_images, resize_images
from coursekit.data.labels import Label
from coursekit.data.transforms import (
    IMAGENET_STATS,
    Augmentation,
    Stats,
    denormalize,
    train_transform,
    valid_transform,
)
from coursekit.data.workers import default_num_workers
from coursekit.plotting import presentable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SPLITS", "ImageData", "Label", "Loader", "default_num_workers"]

SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class _Split:
    """One row of ``ImageData._splits``: a split's files, labels and dataset (built on demand)."""

    paths: list[Path]
    labels: list[Label]
    dataset: Callable[[], ImageDataset | None]


# What yields (xb, yb) batches: a DataLoader, or a DeviceLoader that augments on the GPU.
Loader = DataLoader | DeviceLoader


@dataclass
class ImageData:
    """Train, validation and optional test images of a classification problem.

    Build it with ``from_name_re``, ``from_folder`` or ``from_csv``; change the picture size
    with ``with_size`` (progressive resizing) and make small cached copies with ``resize``.
    """

    path: Path
    classes: list[str]
    train_paths: list[Path]
    train_labels: list[Label]
    valid_paths: list[Path]
    valid_labels: list[Label]
    test_paths: list[Path] = field(default_factory=list)
    size: int = 224
    bs: int = 64
    aug: Augmentation | None = None
    max_zoom: float = 1.0
    num_workers: int | None = None
    stats: Stats = IMAGENET_STATS
    image_size_of: dict[Path, tuple[int, int]] = field(default_factory=dict, repr=False)
    # augment whole batches on the GPU; None: when CUDA is present
    batch_augment: bool | None = None
    # read smaller copies of big photos; None: in full mode (auto_resize.py)
    auto_resize: bool | None = None
    _copies: dict[Path, Path] | None = field(default=None, init=False, repr=False, compare=False)

    # --------------------------------------------------------------------------- constructors
    @classmethod
    def from_name_re(
        cls,
        folder: str | os.PathLike[str],
        pat: str,
        valid_pct: float = 0.2,
        seed: int = 42,
        val_idxs: Sequence[int] | None = None,
        test: str | None = None,
        **opts: Any,
    ) -> ImageData:
        """Labels from file names: ``pat``'s first group, searched in each image's path (lesson 1).
        ``opts``: the other fields (``size``, ``bs``, ``aug``, ``max_zoom``, ``num_workers``, ...).

        >>> ImageData.from_name_re(path/'images', pat=PETS_PATTERN, size=224, bs=64)
        """
        return cls._built(by_name_re(folder, pat, valid_pct, seed, val_idxs, test), opts)

    @classmethod
    def from_folder(
        cls,
        path: str | os.PathLike[str],
        train: str = "train",
        valid: str | None = "valid",
        test: str | None = None,
        valid_pct: float = 0.2,
        seed: int = 42,
        **opts: Any,
    ) -> ImageData:
        """Labels from folder names: ``path/train/<class>/*.jpg`` and ``path/valid/<class>/*.jpg``
        (lesson 2). With ``valid=None`` a random ``valid_pct`` of ``train`` is held out.

        >>> ImageData.from_folder(path, train='train', valid='valid', test='test1', size=224)
        """
        return cls._built(by_folder(path, train, valid, test, valid_pct, seed), opts)

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        folder: str,
        csv: str,
        suffix: str = "",
        label_delim: str | None = None,
        test: str | None = None,
        valid_pct: float = 0.2,
        val_idxs: Sequence[int] | None = None,
        seed: int = 42,
        **opts: Any,
    ) -> ImageData:
        """Labels from a CSV of ``id,label`` rows (lesson 3); with ``label_delim`` each label is a
        list of tags (lesson 4, multi-label).

        >>> ImageData.from_csv(path, folder='train-jpg', csv='train_v2.csv', suffix='.jpg', label_delim=' ')
        """
        files = by_csv(path, folder, csv, suffix, label_delim, test, valid_pct, val_idxs, seed)
        return cls._built(files, opts)

    @classmethod
    def _built(cls, files: LabelledFiles, opts: dict[str, Any]) -> ImageData:
        return cls(
            files.path,
            files.classes,
            files.train_paths,
            files.train_labels,
            files.valid_paths,
            files.valid_labels,
            files.test_paths,
            image_size_of=files.image_size_of,
            **opts,
        )

    def __post_init__(self) -> None:
        cap = max_picture_size()  # the full-mode rehearsal on a CPU (coursekit.config)
        if cap is not None and self.size > cap:
            print(
                f"rehearsal: pictures capped at {cap} px instead of {self.size} (COURSEKIT_MAX_SIZE={cap}); "
                "unset it to train at the course's sizes."
            )
            self.size = cap

    # ------------------------------------------------------------------------------- properties
    @property
    def c(self) -> int:
        """The number of classes (the size of the model's output)."""
        return len(self.classes)

    @property
    def is_multilabel(self) -> bool:
        """True when each image has a list of tags rather than one class (lesson 4)."""
        return bool(self.train_labels) and isinstance(self.train_labels[0], list)

    def encode(self, labels: Sequence[Label]) -> torch.Tensor:
        """Class indices, or multi-hot float rows for multi-label data."""
        index = {c: i for i, c in enumerate(self.classes)}
        if not self.is_multilabel:
            return torch.tensor([index[str(lab)] for lab in labels], dtype=torch.long)
        y = torch.zeros(len(labels), self.c)
        for row, tags in enumerate(labels):
            y[row, [index[t] for t in tags]] = 1.0
        return y

    def _reading(self, paths: list[Path]) -> list[Path]:
        """The files the datasets read: ``paths``, or their smaller copies (see ``auto_resize.py``)."""
        if self._copies is None:
            self._copies = auto_copies(self)
        return [self._copies.get(p, p) for p in paths]

    @property
    def train_ds(self) -> ImageDataset:
        tfm = train_transform(self.size, self.aug, self.max_zoom, self.stats)
        batch_side = BatchAugment(self.size, self.aug, self.max_zoom, self.stats)
        return ImageDataset(
            self._reading(self.train_paths),
            self.encode(self.train_labels),
            tfm,
            self.size,
            batch_side,
        )

    @property
    def valid_ds(self) -> ImageDataset:
        tfm = valid_transform(self.size, self.stats)
        return ImageDataset(
            self._reading(self.valid_paths), self.encode(self.valid_labels), tfm, self.size
        )

    @property
    def test_ds(self) -> ImageDataset | None:
        if not self.test_paths:
            return None
        shape = (len(self.test_paths), self.c) if self.is_multilabel else (len(self.test_paths),)
        targets = torch.zeros(shape, dtype=torch.float32 if self.is_multilabel else torch.long)
        return ImageDataset(
            self._reading(self.test_paths),
            targets,
            valid_transform(self.size, self.stats),
            self.size,
        )

    def loader(self, dataset: ImageDataset, shuffle: bool = False, bs: int | None = None) -> Loader:
        """A DataLoader over ``dataset`` with this data's batch size and workers (pinned memory on CUDA). With
        CUDA (or ``batch_augment=True``) the training loader is a ``DeviceLoader`` (``gpu_augment.py``)."""
        workers = default_num_workers() if self.num_workers is None else self.num_workers
        bs = bs or self.bs
        on_batches = torch.cuda.is_available() if self.batch_augment is None else self.batch_augment
        if shuffle and on_batches and dataset.batch_augment is not None:
            # the workers decode and crop; the GPU does the rest
            return device_loader(dataset, bs, workers)
        # Only a training loader is iterated epoch after epoch: its workers are kept alive between
        # epochs. Evaluation loaders are made afresh each time, so their workers end with them.
        return DataLoader(
            dataset,
            batch_size=bs,
            shuffle=shuffle,
            num_workers=workers,
            pin_memory=torch.cuda.is_available(),
            persistent_workers=shuffle and workers > 0,
            drop_last=shuffle and drop_last(len(dataset), bs),
        )

    @property
    def train_dl(self) -> Loader:
        return self.loader(self.train_ds, shuffle=True)

    @property
    def valid_dl(self) -> Loader:
        return self.loader(self.valid_ds, bs=eval_batch_size(self.bs))

    @property
    def test_dl(self) -> Loader | None:
        return (
            self.loader(self.split("test"), bs=eval_batch_size(self.bs))
            if self.test_paths
            else None
        )

    # ------------------------------------------------------------------------------ by name
    def _splits(self) -> dict[str, _Split]:
        """The one table of split names: each split's files, labels (the test set has none) and
        how to build its dataset (built only when asked for)."""
        return {
            "train": _Split(self.train_paths, self.train_labels, lambda: self.train_ds),
            "valid": _Split(self.valid_paths, self.valid_labels, lambda: self.valid_ds),
            "test": _Split(self.test_paths, [], lambda: self.test_ds),
        }

    def _split(self, name: str) -> _Split:
        splits = self._splits()
        if name not in splits:
            raise ValueError(f"unknown split {name!r}: use one of {', '.join(map(repr, SPLITS))}.")
        return splits[name]

    def split(self, name: str) -> ImageDataset:
        """The dataset of the split called ``name``: ``'train'``, ``'valid'`` or ``'test'``.

        >>> x, y = data.split('valid')[0]
        """
        dataset = self._split(name).dataset()
        if dataset is None:
            raise ValueError(
                "this data has no test set: give one when building it, e.g. "
                "ImageData.from_folder(path, test='test1')."
            )
        return dataset

    def split_paths(self, name: str) -> list[Path]:
        """The image files of the split called ``name`` (``'train'``, ``'valid'`` or ``'test'``)."""
        return self._split(name).paths

    def split_labels(self, name: str) -> list[Label]:
        """The labels of the split called ``name`` (none for ``'test'``: its images are unlabelled)."""
        return self._split(name).labels

    # -------------------------------------------------------------------------------- changes
    @property
    def val_y(self) -> np.ndarray:
        """The validation set's labels as class indices (multi-hot rows for multi-label data), in
        file order: fastai 0.7's ``data.val_y`` (lesson 2: ``array([0, 0, ..., 1, 1])``)."""
        return self.encode(self.valid_labels).numpy()

    def with_size(self, size: int, bs: int | None = None) -> ImageData:
        """The same images and split at another picture size (progressive resizing: 224 -> 299)."""
        return replace(self, size=size, bs=bs or self.bs)

    def resize(self, size: int, cache_dir: Path | None = None) -> ImageData:
        """The same data read from cached copies whose *shorter* side is ``size`` pixels.

        The course's ``data.resize(340, 'tmp')``: decoding a 500x375 photo to train at 224 or 299
        pixels wastes most of the work, so smaller copies are made once (a 500x375 photo becomes
        453x340) and re-made when a source file changes. As in the course, the shorter side is the
        one that is set, because the training transforms scale that side to the training size and
        crop the longer one. Unlike the course, a picture already smaller than ``size`` is copied
        as it is, never enlarged (the transforms scale it at training time anyway).
        """
        everything = self.train_paths + self.valid_paths + self.test_paths
        root = Path(os.path.commonpath([p.resolve().parent for p in everything]))
        small = resize_images(everything, root, size, cache_dir, shorter=True)
        mapping = dict(zip(everything, small))
        sizes, _ = check_images(small)
        return replace(
            self,
            train_paths=[mapping[p] for p in self.train_paths],
            valid_paths=[mapping[p] for p in self.valid_paths],
            test_paths=[mapping[p] for p in self.test_paths],
            image_size_of={p: s for p, s in zip(small, sizes) if s is not None},
        )

    # ---------------------------------------------------------------------------- looking at it
    def image_sizes(self, split: str = "train") -> list[tuple[int, int]]:
        """(width, height) of each image of ``split`` ('train', 'valid' or 'test'), from file headers;
        the dog-breeds lesson plots their histogram to choose a size."""
        return [self.image_size_of[p] for p in self.split_paths(split)]

    def class_counts(self, split: str = "train") -> Counter[str]:
        """How many images (or tags) of each class ``split`` has."""
        labels = self.split_labels(split)
        return Counter(t for lab in labels for t in (lab if isinstance(lab, list) else [lab]))

    def label_text(self, y: torch.Tensor) -> str:
        """A target as words: the class name, or the tags joined by spaces."""
        if self.is_multilabel:
            return " ".join(self.classes[i] for i in torch.nonzero(y).flatten().tolist())
        return self.classes[int(y)]

    @presentable
    def show_batch(self, n: int = 9, split: str = "train", ncols: int = 3) -> Figure:
        """A matplotlib figure of ``n`` images from ``split`` as the model sees them (augmented,
        denormalised), titled with their labels."""
        from matplotlib.figure import Figure

        dataset = self.split(split)
        n = min(n, len(dataset))
        nrows = -(-n // ncols)
        fig = Figure(figsize=(3 * ncols, 3 * nrows))
        for i in range(n):
            x, y = dataset[i * len(dataset) // n]
            ax = fig.add_subplot(nrows, ncols, i + 1)
            ax.imshow(denormalize(x, self.stats).permute(1, 2, 0).numpy())
            ax.set_title(self.label_text(y) if split != "test" else "?", fontsize="small")
            ax.axis("off")
        fig.tight_layout()
        return fig

    def summary(self) -> str:
        """A few lines describing the data: sizes of each split, classes, image sizes."""
        sizes = [s for s in self.image_size_of.values() if s]
        widths, heights = [s[0] for s in sizes], [s[1] for s in sizes]
        counts = self.class_counts()
        return "\n".join(
            [
                f"{self.path}",
                f"  train {len(self.train_paths)}, valid {len(self.valid_paths)}, test {len(self.test_paths)} images; "
                f"{self.c} {'tags (multi-label)' if self.is_multilabel else 'classes'}",
                "  per class (train): " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
                f"  image sizes: width {min(widths)}-{max(widths)}, height {min(heights)}-{max(heights)} px",
            ]
        )

    def __repr__(self) -> str:
        kind = "multi-label" if self.is_multilabel else "single-label"
        return (
            f"ImageData({kind}, {self.c} classes, train={len(self.train_paths)}, "
            f"valid={len(self.valid_paths)}, test={len(self.test_paths)}, size={self.size}, bs={self.bs})"
        )
