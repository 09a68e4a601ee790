"""Precompute: run the frozen body once, then train the head on the cached activations.

With the body frozen, every epoch would push each image through the same body again to get
the same activations. ``learn.precompute = True`` computes them once (on the *un-augmented*
images — so augmentation has no effect while precomputing, as lesson 2 explains) and trains only
the head on them: an epoch then costs a few matrix multiplications per image.

Activations live in memory up to ``max_bytes``, otherwise in a memory-mapped file in
``$COURSEKIT_HOME/precompute`` that is deleted when the cache is dropped.
"""

from __future__ import annotations

import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from coursekit.config import coursekit_home
from coursekit.progress import progress_bar
from coursekit.train.models import ConvNet

if TYPE_CHECKING:
    from coursekit.train.learner import Learner

__all__ = ["FeatureCache", "check_precompute"]


def check_precompute(learn: Learner, on: bool, stacklevel: int = 3) -> None:
    """Raise a ValueError if ``learn`` cannot precompute; warn that augmentation stops working
    (``stacklevel``: the warning names the student's line, as ``warnings.warn``'s)."""
    if not on:
        return
    if not isinstance(learn.model, ConvNet):
        raise ValueError("precompute needs a model made by Learner.pretrained (a body and a head).")
    if any(g.trainable for g in learn.layer_groups[:-1]):
        raise ValueError("precompute needs a frozen body: call learn.freeze() first.")
    aug = learn.data.aug
    if not learn.precompute and aug is not None and aug.name != "no_aug":
        warnings.warn(
            f"augmentation ({aug!r}) has no effect while precomputing: the body's "
            "activations are computed once, on the un-augmented images. Set "
            "learn.precompute = False to train with augmentation.",
            stacklevel=stacklevel,
        )


class FeatureCache:
    """Pooled body activations of each split of ``learn.data``, computed on first use."""

    def __init__(self, max_bytes: int = 512 * 2**20):
        self.max_bytes = max_bytes
        self.features: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.files: list[Path] = []

    def get(self, learn: Learner, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(features, targets) of ``split`` ('train', 'valid' or 'test')."""
        if split not in self.features:
            self.features[split] = self._compute(learn, split)
        return self.features[split]

    @torch.no_grad()
    def _compute(self, learn: Learner, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        data = learn.data
        ds = data.split(split)
        if split == "train":  # the plain views: the same transform as validation
            ds = ds.with_transform(data.valid_ds.transform)
        loader = data.loader(ds, bs=data.bs * 2)
        model = learn.model
        if not isinstance(model, ConvNet):
            raise TypeError(
                "precompute needs a model made by Learner.pretrained (a body and a head)."
            )
        was_training = model.training
        model.eval()
        out, row = None, 0
        bar = progress_bar(len(loader), f"precomputing {split} activations")
        try:
            for xb, _ in loader:
                with learn.autocast():
                    feats = model.features(learn.to_device(xb)).float().cpu().numpy()
                if out is None:
                    out = self._allocate((len(ds), feats.shape[1]))
                out[row : row + len(feats)] = feats
                row += len(feats)
                bar.update(1)
        finally:
            bar.close()
            model.train(was_training)
        return torch.from_numpy(np.asarray(out)), ds.targets

    def _allocate(self, shape: tuple[int, int]) -> np.ndarray:
        if shape[0] * shape[1] * 4 <= self.max_bytes:
            return np.empty(shape, np.float32)
        folder = coursekit_home() / "precompute"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.f32"
        self.files.append(path)
        return np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=shape)

    def loader(self, learn: Learner, split: str, shuffle: bool = False) -> DataLoader:
        feats, targets = self.get(learn, split)
        bs = learn.data.bs if shuffle else learn.data.bs * 2
        return DataLoader(
            TensorDataset(feats, targets),
            batch_size=bs,
            shuffle=shuffle,
            drop_last=shuffle and len(feats) > bs,
        )

    def clear(self) -> None:
        """Forget every cached activation and delete the memory-mapped files."""
        self.features.clear()
        for path in self.files:
            path.unlink(missing_ok=True)
        self.files.clear()

    def __del__(self) -> None:
        self.clear()
