"""Augmenting whole batches on the GPU, so that two CPU cores only decode and crop.

The per-image path (``coursekit.data.transforms.train_transform``) does everything on the CPU,
one picture at a time: resize, rotate and zoom, crop, flip, relight, convert to float, normalise.
On Colab's two cores that cannot keep up with a GPU. Here the work is split:

* the loader's workers decode each JPEG (in draft mode), resize its shorter side to ``size`` and
  take a random ``size`` x ``size`` crop, and hand over **uint8** tensors (a quarter of the bytes
  of float32), collated into batches in pinned memory;
* the batch is copied to the GPU without blocking, and ``BatchAugment`` rotates, zooms, flips and
  relights every image of it at once, with its own random values for each image, then normalises.

The random values follow the same distributions as the per-image path (``draw_params`` says
which, and ``tests/test_gpu_augment.py`` checks them against torchvision's own transforms).
One difference is deliberate: the per-image path rotates and zooms the whole resized photo and
then crops; here the crop comes first and is rotated and zoomed about its own centre, so the
black corners a rotation leaves show up slightly more often.

>>> augment = BatchAugment(224, side_on, max_zoom=1.1)
>>> xb = augment(uint8_batch.cuda(non_blocking=True))       # (bs, 3, 224, 224) float, normalised

Used automatically by ``ImageData``'s training loader when CUDA is present (lessons 1-4).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from coursekit.data.batches import drop_last
from coursekit.data.transforms import IMAGENET_STATS, Augmentation, Stats, no_aug

if TYPE_CHECKING:
    from coursekit.data.dataset import ImageDataset

__all__ = [
    "BatchAugment",
    "BatchParams",
    "DeviceLoader",
    "device_loader",
    "draw_params",
    "uint8_train_transform",
]


def uint8_train_transform(size: int) -> v2.Compose:
    """The CPU's share of the work: PIL image -> uint8 tensor (3, size, size), a random crop of
    the picture whose shorter side was resized to ``size``."""
    return v2.Compose(
        [
            v2.Resize(size, antialias=True),
            v2.PILToTensor(),
            v2.RandomCrop(size, pad_if_needed=True, padding_mode="reflect"),
        ]
    )


@dataclass(frozen=True)
class BatchParams:
    """The random values of one batch, one entry per image."""

    angle: torch.Tensor  # degrees, clockwise on screen (torchvision's convention)
    scale: torch.Tensor  # zoom factor, >= 1
    flip: torch.Tensor  # bool: mirror left-right
    turns: torch.Tensor  # number of 90-degree turns (dihedral only; else 0)
    brightness: torch.Tensor  # factor, 1 = unchanged
    contrast: torch.Tensor  # factor, 1 = unchanged
    brightness_first: torch.Tensor  # bool: ColorJitter applies its changes in a random order


def _uniform(
    n: int, low: float, high: float, generator: torch.Generator | None, device: torch.device | str
) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator, device=device)


def draw_params(
    n: int,
    aug: Augmentation,
    max_zoom: float = 1.0,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> BatchParams:
    """Random values for ``n`` images, distributed as in the per-image path's torchvision
    transforms: ``RandomAffine(degrees=aug.rotate, scale=(1, max_zoom))`` (uniform angle, uniform
    zoom), ``RandomHorizontalFlip()`` (p = 0.5), ``RandomDihedral`` (uniform turn, then p = 0.5 mirror)
    and ``ColorJitter(brightness=l, contrast=l)`` (uniform factors in [1-l, 1+l], random order)."""

    def coin() -> torch.Tensor:
        return torch.rand(n, generator=generator, device=device) < 0.5

    none = torch.zeros(n, dtype=torch.bool, device=device)
    lighting = aug.lighting
    return BatchParams(
        angle=_uniform(n, -aug.rotate, aug.rotate, generator, device),
        scale=_uniform(n, 1.0, max(max_zoom, 1.0), generator, device),
        flip=coin() if (aug.flip or aug.dihedral) else none,
        turns=(
            torch.randint(4, (n,), generator=generator, device=device)
            if aug.dihedral
            else torch.zeros(n, dtype=torch.long, device=device)
        ),
        brightness=_uniform(n, max(0.0, 1 - lighting), 1 + lighting, generator, device),
        contrast=_uniform(n, max(0.0, 1 - lighting), 1 + lighting, generator, device),
        brightness_first=coin(),
    )


class BatchAugment:
    """uint8 batch (bs, 3, H, W) -> augmented, normalised float32 batch, on the batch's device.

    Each image gets its own random rotation, zoom, flip and lighting (``draw_params``); all of
    them are applied in a handful of whole-batch operations, which is what a GPU is fast at.
    """

    def __init__(
        self,
        size: int,
        aug: Augmentation | None = None,
        max_zoom: float = 1.0,
        stats: Stats = IMAGENET_STATS,
    ) -> None:
        self.size, self.aug, self.max_zoom, self.stats = size, aug or no_aug, max_zoom, stats

    def __call__(self, xb: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        params = draw_params(len(xb), self.aug, self.max_zoom, generator, xb.device)
        return self.apply(xb, params)

    def apply(self, xb: torch.Tensor, params: BatchParams) -> torch.Tensor:
        """The augmentation with given random values (``draw_params``); the tests call this."""
        x = TF.to_dtype(xb, torch.float32, scale=True)
        if self.aug.rotate or self.max_zoom > 1:
            x = rotate_and_zoom(x, params.angle, params.scale)
        if self.aug.dihedral:
            x = _turn(x, params.turns)
        x = torch.where(params.flip.view(-1, 1, 1, 1), x.flip(-1), x)
        if self.aug.lighting:
            x = relight(x, params.brightness, params.contrast, params.brightness_first)
        return TF.normalize(x, list(self.stats[0]), list(self.stats[1]))

    def __repr__(self) -> str:
        return f"BatchAugment({self.size}, {self.aug!r}, max_zoom={self.max_zoom})"


def rotate_and_zoom(x: torch.Tensor, angle: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Rotate each image by ``angle`` degrees and zoom in by ``scale`` about its centre, filling
    with black and picking the nearest pixel, as ``torchvision``'s ``affine`` does by default."""
    rad = angle.to(x.dtype) * (math.pi / 180)
    cos, sin = torch.cos(rad) / scale, torch.sin(rad) / scale
    zero = torch.zeros_like(cos)
    # the inverse map: where in the input each output pixel comes from (torchvision's matrix)
    h, w = x.shape[-2:]
    theta = torch.stack(
        [torch.stack([cos, sin * h / w, zero], -1), torch.stack([-sin * w / h, cos, zero], -1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def _turn(x: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    out = x.clone()
    for k in range(1, 4):
        pick = turns == k
        if pick.any():
            out[pick] = torch.rot90(x[pick], k, dims=(-2, -1))
    return out


def relight(
    x: torch.Tensor,
    brightness: torch.Tensor,
    contrast: torch.Tensor,
    brightness_first: torch.Tensor,
) -> torch.Tensor:
    """Brightness and contrast with one factor per image, in either order, as ``ColorJitter``:
    brightness scales the pixels; contrast pulls them towards the picture's mean grey."""
    b, c = brightness.view(-1, 1, 1, 1).to(x.dtype), contrast.view(-1, 1, 1, 1).to(x.dtype)

    def bright(t: torch.Tensor) -> torch.Tensor:
        return (t * b).clamp(0, 1)

    def contr(t: torch.Tensor) -> torch.Tensor:
        grey = TF.rgb_to_grayscale(t).mean(dim=(-3, -2, -1), keepdim=True)
        return (c * t + (1 - c) * grey).clamp(0, 1)

    return torch.where(brightness_first.view(-1, 1, 1, 1), contr(bright(x)), bright(contr(x)))


class DeviceLoader:
    """A DataLoader of uint8 batches, delivered on ``device`` augmented and normalised.

    Batches arrive in pinned memory (``pin_memory=True`` on CUDA), are copied without blocking
    the CPU, and go through ``augment`` on the device. Iterate it like the DataLoader it wraps.
    """

    def __init__(self, loader: DataLoader, augment: BatchAugment, device: torch.device | str):
        self.loader, self.augment, self.device = loader, augment, torch.device(device)

    def __len__(self) -> int:
        return len(self.loader)

    @property
    def dataset(self) -> Dataset[Any]:
        return self.loader.dataset

    @property
    def batch_size(self) -> int | None:
        return self.loader.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for xb, yb in self.loader:
            xb = xb.to(self.device, non_blocking=True)
            yb = yb.to(self.device, non_blocking=True)
            yield self.augment(xb), yb

    def __repr__(self) -> str:
        return f"DeviceLoader({self.augment!r}, on {self.device}, {len(self)} batches)"


def device_loader(ds: ImageDataset, bs: int, workers: int) -> DeviceLoader:
    """The training loader of ``ds`` (an ``ImageDataset`` carrying its ``batch_augment``): its
    workers hand over uint8 crops, augmented on the GPU (on the CPU when there is no GPU)."""
    if ds.batch_augment is None:
        raise ValueError("device_loader needs a training dataset, one with its batch_augment.")
    uint8_ds = ds.with_transform(uint8_train_transform(ds.size))
    on_cuda = torch.cuda.is_available()
    loader = DataLoader(
        uint8_ds,
        batch_size=bs,
        shuffle=True,
        num_workers=workers,
        pin_memory=on_cuda,
        persistent_workers=workers > 0,
        drop_last=drop_last(len(ds), bs),
    )
    return DeviceLoader(loader, ds.batch_augment, "cuda" if on_cuda else "cpu")
