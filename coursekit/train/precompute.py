"""Precompute: run the frozen body once, then train the head on the cached activations.

With the body frozen, every epoch would push each image through the same body again to get
the same activations. ``learn.precompute = True`` computes them once (on the *un-augmented*
images — so augmentation has no effect while precomputing, as lesson 2 explains) and trains only
the head on them: an epoch then costs a few matrix multiplications per image.

Activations live in memory up to ``max_bytes``, otherwise in a memory-mapped file in
``$COURSEKIT_HOME/precompute`` that is deleted when the cache is dropped. On a GPU they move to
the GPU when they take less than a quarter of its free memory (a few tens of MB for the course's
data sets), so an epoch of the head copies nothing from the CPU.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from coursekit.config import coursekit_home
from coursekit.data.batches import batch_count, drop_last, eval_batch_size
from coursekit.data.transforms import Augmentation
from coursekit.progress import progress_bar
from coursekit.train.convnet import LayerGroup
from coursekit.train.learner_data import LearnerData
from coursekit.train.models import ConvNet
from coursekit.train.notices import cpu_pass_notice
from coursekit.train.precision import Precision, to_device

__all__ = ["FeatureBatches", "FeatureCache", "check_precompute"]


def check_precompute(
    model: nn.Module,
    layer_groups: Sequence[LayerGroup],
    aug: Augmentation | None,
    precomputing: bool,
    stacklevel: int = 3,
) -> None:
    """Raise a ValueError if ``model`` cannot precompute (not a body and a head, or a body with a
    trainable group); warn that the augmentation ``aug`` stops working unless ``precomputing``
    already (``stacklevel``: the warning names the student's line, as ``warnings.warn``'s)."""
    if not isinstance(model, ConvNet):
        raise ValueError("precompute needs a model made by Learner.pretrained (a body and a head).")
    if any(g.trainable for g in layer_groups[:-1]):
        raise ValueError("precompute needs a frozen body: call learn.freeze() first.")
    if not precomputing and aug is not None and aug.name != "no_aug":
        warnings.warn(
            f"augmentation ({aug!r}) has no effect while precomputing: the body's "
            "activations are computed once, on the un-augmented images. Set "
            "learn.precompute = False to train with augmentation.",
            stacklevel=stacklevel,
        )


def _on_device(features: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``features`` on a CUDA ``device`` when they take under a quarter of its free memory."""
    if device.type != "cuda":
        return features
    free, _ = torch.cuda.mem_get_info(device)
    if features.numel() * features.element_size() < free // 4:
        return features.to(device)
    return features.pin_memory()  # too big for the GPU: copied batch by batch, without blocking


class FeatureBatches:
    """Batches of cached activations and their targets, cut from the tensors where they lie (on
    the GPU, nothing is copied): what ``learn.loader`` gives while precomputing.

    >>> batches = FeatureBatches(torch.zeros(10, 4), torch.arange(10), bs=4, shuffle=False)
    >>> len(batches), [len(yb) for _, yb in batches]
    (3, [4, 4, 2])
    """

    def __init__(
        self,
        features: torch.Tensor,
        targets: torch.Tensor,
        bs: int,
        shuffle: bool,
        drop_last: bool = False,
    ):
        self.features, self.targets = features, targets
        self.batch_size, self.shuffle, self.drop_last = bs, shuffle, drop_last

    def __len__(self) -> int:
        return batch_count(len(self.features), self.batch_size, self.drop_last)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.features)
        # drawn on the CPU from torch's global generator, as DataLoader(shuffle=True) does
        order = torch.randperm(n) if self.shuffle else torch.arange(n)
        for b in range(len(self)):
            rows = order[b * self.batch_size : (b + 1) * self.batch_size]
            rows = rows.to(self.features.device)
            yield self.features[rows], self.targets[rows.to(self.targets.device)]


class FeatureCache:
    """Pooled body activations of each split of a learner's data, computed on first use."""

    def __init__(self, max_bytes: int = 512 * 2**20):
        self.max_bytes = max_bytes
        self.features: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.files: list[Path] = []

    @torch.no_grad()
    def get(
        self,
        split: str,
        data: LearnerData,
        model: nn.Module,
        precision: Precision,
        arch: str | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(features, targets) of ``data``'s ``split`` ('train', 'valid' or 'test'): the pooled
        activations of ``model``'s body, run in ``precision`` on the device of its parameters
        (on a CPU, the notice of ``arch``'s slow pass is printed), computed on first use."""
        if split in self.features:
            return self.features[split]
        ds = data.split(split)
        if split == "train":  # the plain views: the same transform as validation
            ds = ds.with_transform(data.split("valid").transform)
        loader = data.loader(ds, bs=eval_batch_size(data.bs))
        if not isinstance(model, ConvNet):
            raise TypeError(
                "precompute needs a model made by Learner.pretrained (a body and a head)."
            )
        device = next(model.parameters()).device
        was_training = model.training
        model.eval()
        out, row = None, 0
        tick = cpu_pass_notice(arch, device, len(loader), f"Precomputing its {split} activations")
        bar = progress_bar(len(loader), f"precomputing {split} activations")
        try:
            for xb, _ in loader:
                with precision.autocast():
                    feats = model.features(to_device(xb, device)).float().cpu().numpy()
                if out is None:
                    out = self._allocate((len(ds), feats.shape[1]))
                out[row : row + len(feats)] = feats
                row += len(feats)
                bar.update(1)
                tick()
        finally:
            bar.close()
            model.train(was_training)
        self.features[split] = (
            _on_device(torch.from_numpy(np.asarray(out)), device),
            ds.targets.to(device),
        )
        return self.features[split]

    def _allocate(self, shape: tuple[int, int]) -> np.ndarray:
        if shape[0] * shape[1] * 4 <= self.max_bytes:
            return np.empty(shape, np.float32)
        folder = coursekit_home() / "precompute"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.f32"
        self.files.append(path)
        return np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=shape)

    def loader(
        self,
        split: str,
        data: LearnerData,
        model: nn.Module,
        precision: Precision,
        arch: str | None = None,
        shuffle: bool = False,
    ) -> FeatureBatches:
        """Batches of ``split``'s cached activations (see ``get``): of the training batch size,
        shuffled, when ``shuffle``; of the evaluation batch size otherwise."""
        feats, targets = self.get(split, data, model, precision, arch)
        bs = data.bs if shuffle else eval_batch_size(data.bs)
        return FeatureBatches(
            feats, targets, bs, shuffle, drop_last=shuffle and drop_last(len(feats), bs)
        )

    def clear(self) -> None:
        """Forget every cached activation and delete the memory-mapped files."""
        self.features.clear()
        for path in self.files:
            path.unlink(missing_ok=True)
        self.files.clear()

    def __del__(self) -> None:
        self.clear()
