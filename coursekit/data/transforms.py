"""Augmentation presets, normalisation, and the views test-time augmentation uses.

Two presets follow the course:

* ``side_on`` — photos taken from the side (pets, dogs): flip left-right, rotate a little,
  zoom in up to ``max_zoom``, vary the lighting. Never flip upside down: cats do not stand on
  their heads.
* ``top_down`` — pictures taken from above (satellites): any of the 8 flips and 90° rotations
  (the "dihedral" group) is an equally valid picture, plus a little zoom and lighting.

>>> tfm = train_transform(64, side_on, max_zoom=1.1)
>>> tfm(open_image(path)).shape
torch.Size([3, 64, 64])
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torchvision.transforms import v2

__all__ = [
    "IMAGENET_STATS",
    "Augmentation",
    "RandomDihedral",
    "Stats",
    "denormalize",
    "no_aug",
    "side_on",
    "top_down",
    "train_transform",
    "valid_transform",
]

# The (mean, std) of each colour channel that inputs are normalised with.
Stats = tuple[tuple[float, float, float], tuple[float, float, float]]

IMAGENET_STATS: Stats = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


@dataclass(frozen=True)
class Augmentation:
    """A preset of random changes applied to training images (see the module docstring)."""

    name: str
    flip: bool = False  # left-right mirror
    dihedral: bool = False  # any flip and 90-degree rotation
    rotate: float = 0.0  # up to this many degrees either way
    lighting: float = 0.0  # brightness and contrast vary by up to this fraction

    def __repr__(self) -> str:
        return f"ck.{self.name}"


side_on = Augmentation("side_on", flip=True, rotate=10.0, lighting=0.2)
top_down = Augmentation("top_down", dihedral=True, lighting=0.1)
no_aug = Augmentation("no_aug")


class RandomDihedral(torch.nn.Module):
    """One of the 8 symmetries of a square, uniformly: a random 90° turn, maybe mirrored."""

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        k = int(torch.randint(4, ()).item())
        img = torch.rot90(img, k, dims=(-2, -1))
        return img.flip(-1) if torch.rand(()) < 0.5 else img


def _finish(stats: Stats) -> list[torch.nn.Module]:
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(*stats)]


def train_transform(
    size: int, aug: Augmentation | None = None, max_zoom: float = 1.0, stats: Stats = IMAGENET_STATS
) -> v2.Compose:
    """PIL image -> normalised float tensor (3, size, size), with ``aug``'s random changes.

    Resize the shorter side to ``size``, zoom in by up to ``max_zoom`` and rotate, take a random
    ``size`` x ``size`` crop, then flip and relight.
    """
    aug = aug or no_aug
    steps: list[torch.nn.Module] = [v2.Resize(size, antialias=True), v2.PILToTensor()]
    if aug.rotate or max_zoom > 1:
        steps.append(v2.RandomAffine(degrees=aug.rotate, scale=(1.0, max_zoom)))
    steps.append(v2.RandomCrop(size, pad_if_needed=True, padding_mode="reflect"))
    if aug.flip:
        steps.append(v2.RandomHorizontalFlip())
    if aug.dihedral:
        steps.append(RandomDihedral())
    if aug.lighting:
        steps.append(v2.ColorJitter(brightness=aug.lighting, contrast=aug.lighting))
    return v2.Compose(steps + _finish(stats))


def valid_transform(size: int, stats: Stats = IMAGENET_STATS) -> v2.Compose:
    """PIL image -> normalised float tensor: shorter side to ``size``, centre crop. No randomness."""
    return v2.Compose(
        [v2.Resize(size, antialias=True), v2.CenterCrop(size), v2.PILToTensor(), *_finish(stats)]
    )


def denormalize(x: torch.Tensor, stats: Stats = IMAGENET_STATS) -> torch.Tensor:
    """Undo ``Normalize``: a (..., 3, H, W) tensor back to [0, 1] for display."""
    mean = torch.tensor(stats[0], device=x.device).view(3, 1, 1)
    std = torch.tensor(stats[1], device=x.device).view(3, 1, 1)
    return (x * std + mean).clamp(0, 1)
