"""Predictions: on a whole split, with test-time augmentation, on one image, as a Kaggle file.

probs, y = learn.get_preds('valid')
probs, y = learn.tta(n_aug=4)          # lesson 2: the mean of the probabilities of 5 views
log_preds, y = learn.TTA()             # lessons 2-4, fastai 0.7: the model's output on each view
log_preds = learn.predict()            # lesson 2, fastai 0.7: log-probabilities of the valid set
learn.submission('submission.csv')     # lesson 3

The functions here take what they use: a ``Predictor`` (the model, its device and precision, the
forward pass), the data, the loaders, the probabilities. The Learner's methods pass them in.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from coursekit.data.batches import Batches, eval_batch_size
from coursekit.data.dataset import ImageDataset
from coursekit.data.image_input import ImageInput, as_image
from coursekit.data.transforms import train_transform, valid_transform
from coursekit.train.learner_data import LearnerData
from coursekit.train.precision import Precision, to_device

__all__ = [
    "Predictor",
    "get_preds",
    "log_probs",
    "predict",
    "predict_loader",
    "snapshot_preds",
    "to_probs",
    "tta_log_preds",
    "tta_views",
    "write_submission",
]


@dataclass(frozen=True)
class Predictor:
    """A model and how to run it: on which device, in which precision, through which forward
    pass (``forward``: the head alone on cached activations while precomputing; None: the whole
    model), and whether its outputs are one class (softmax) or tags (sigmoid)."""

    model: nn.Module
    device: torch.device
    precision: Precision
    multilabel: bool
    forward: Callable[[torch.Tensor], torch.Tensor] | None = None


@torch.no_grad()
def predict_loader(predictor: Predictor, loader: Batches) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits, targets) of every batch of ``loader``, in order, on the CPU (logits as float32)."""
    model = predictor.model
    forward = predictor.forward or model
    model_was_training = model.training
    model.eval()
    logits: list[torch.Tensor] = []
    targets: list[torch.Tensor] = []
    try:
        for xb, yb in loader:
            with predictor.precision.autocast():
                out = forward(to_device(xb, predictor.device))
            logits.append(out.float().cpu())
            targets.append(yb.cpu())  # cached activations' targets live on the GPU
    finally:
        model.train(model_was_training)
    return torch.cat(logits), torch.cat(targets)


def to_probs(logits: torch.Tensor, multilabel: bool) -> torch.Tensor:
    """Softmax for single-label data (probabilities sum to 1), sigmoid per tag for multi-label."""
    return torch.sigmoid(logits) if multilabel else torch.softmax(logits, dim=1)


def get_preds(predictor: Predictor, loader: Batches) -> tuple[torch.Tensor, torch.Tensor]:
    """(probabilities, targets) for every batch of ``loader``, in order."""
    logits, targets = predict_loader(predictor, loader)
    return to_probs(logits, predictor.multilabel), targets


def tta_views(
    predictor: Predictor, data: LearnerData, split: str = "valid", n_aug: int = 4
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The probabilities of each view of ``data``'s ``split``, always through the whole model:
    the plain (centre-crop) one first, then ``n_aug`` views made with the training augmentation;
    and the targets."""
    plain = data.split(split)
    augmented = plain.with_transform(
        train_transform(data.size, data.aug, data.max_zoom, data.stats)
    )
    whole = Predictor(predictor.model, predictor.device, predictor.precision, predictor.multilabel)

    def views_of(dataset: ImageDataset) -> tuple[torch.Tensor, torch.Tensor]:
        return get_preds(whole, data.loader(dataset, bs=eval_batch_size(data.bs)))

    probs, targets = views_of(plain)
    return [probs] + [views_of(augmented)[0] for _ in range(n_aug)], targets


def tta_log_preds(views: Sequence[torch.Tensor], multilabel: bool) -> np.ndarray:
    """fastai 0.7's ``learn.TTA()`` (old/fastai/learner.py) from ``tta_views``' plain view and
    ``n_aug`` augmented ones: what 0.7's model outputs on each view, stacked as numpy:
    ``ceil(n_aug / 4)`` copies of the plain (centre-crop) view first, then the augmented views —
    (5, N, C) with the default ``n_aug=4``.

    Single-label: log-probabilities (0.7's models end in ``LogSoftmax``); the course's prediction
    is ``np.mean(np.exp(log_preds), 0)`` (lesson 2). Multi-label: probabilities (0.7's end in a
    sigmoid); the course's is ``np.mean(multi_preds, 0)`` (the Planet notebook). (fastai 0.7 before
    29 November 2017 returned the mean over the views instead, which is why the dog-breeds notes
    write ``probs = np.exp(log_preds)`` with no mean.)"""
    n_aug = len(views) - 1
    stacked = torch.stack(list(views[:1]) * math.ceil(n_aug / 4) + list(views[1:]))
    return stacked.numpy() if multilabel else log_probs(stacked)


def log_probs(probs: torch.Tensor) -> np.ndarray:
    """fastai 0.7's ``learn.predict()`` from probabilities: their logarithms as a numpy array;
    ``np.exp`` turns them back (lesson 2)."""
    return probs.clamp_min(1e-12).log().numpy()


def predict(
    predictor: Predictor, data: LearnerData, image: ImageInput, thresh: float
) -> tuple[str, torch.Tensor, torch.Tensor]:
    """fastai's ``(label, index, probs)`` for one image: a path, a PIL image, the bytes of an
    image file or a numpy array; always through the whole model.

    Single-label: the class name, its index (a 0-d tensor) and the probabilities (they sum to 1).
    Multi-label: the tags whose probability exceeds ``thresh``, space-separated; a boolean
    vector saying which; and the probability of each tag.
    """
    img = as_image(image, min_size=data.size)
    x = valid_transform(data.size, data.stats)(img)[None]
    whole = Predictor(predictor.model, predictor.device, predictor.precision, predictor.multilabel)
    probs = get_preds(whole, [(x, torch.zeros(1))])[0][0]
    if predictor.multilabel:
        chosen = probs > thresh
        return " ".join(c for c, on in zip(data.classes, chosen) if on), chosen, probs
    index = probs.argmax()
    return data.classes[int(index)], index, probs


def snapshot_preds(
    model: nn.Module,
    names: Sequence[str],
    load: Callable[[str], None],
    preds: Callable[[], tuple[torch.Tensor, torch.Tensor]],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean probabilities over the snapshots ``names`` (each put into ``model`` by ``load``, then
    ``preds()``); ``model``'s own weights are put back afterwards."""
    current = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        runs = []
        for snap in names:
            load(snap)
            runs.append(preds())
    finally:
        model.load_state_dict(current)
    total = sum((probs for probs, _ in runs[1:]), runs[0][0])  # in order: the same sum as ever
    return total / len(names), runs[0][1]


def write_submission(
    path: str | os.PathLike[str],
    probs: torch.Tensor,
    image_paths: Sequence[Path],
    classes: Sequence[str],
    multilabel: bool,
    thresh: float = 0.2,
) -> Path:
    """Write a Kaggle submission file of ``probs`` (one row per image) and return its path.

    Single-label (dog breeds): ``id,<class 1>,<class 2>,...`` with a probability per class.
    Multi-label (planet): ``image_name,tags`` with the tags whose probability exceeds ``thresh``.
    Ids are the image file names without their extension.
    """
    ids = [Path(p).stem for p in image_paths]
    path = Path(path)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        if multilabel:
            writer.writerow(["image_name", "tags"])
            for image_id, row in zip(ids, probs):
                writer.writerow([image_id, " ".join(c for c, p in zip(classes, row) if p > thresh)])
        else:
            writer.writerow(["id", *classes])
            for image_id, row in zip(ids, probs):
                writer.writerow([image_id, *(f"{p:.6f}" for p in row.tolist())])
    return path
