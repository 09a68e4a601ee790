"""Predictions: on a whole split, with test-time augmentation, on one image, as a Kaggle file.

probs, y = learn.get_preds('valid')
probs, y = learn.tta(n_aug=4)          # lesson 2: the mean of the probabilities of 5 views
log_preds, y = learn.TTA()             # lessons 2-4, fastai 0.7: the model's output on each view
log_preds = learn.predict()            # lesson 2, fastai 0.7: log-probabilities of the valid set
learn.submission('submission.csv')     # lesson 3
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from coursekit.data.batches import eval_batch_size
from coursekit.data.dataset import ImageDataset
from coursekit.data.image_input import ImageInput, as_image
from coursekit.data.imagedata import Loader
from coursekit.data.transforms import train_transform, valid_transform
from coursekit.progress import progress_bar
from coursekit.train.precompute import FeatureBatches
from coursekit.train.replay import recorded_or_live
from coursekit.train.snapshots import snapshot_names

if TYPE_CHECKING:
    from coursekit.train.learner import Learner

__all__ = [
    "get_preds",
    "log_preds",
    "predict",
    "predict_loader",
    "snapshot_preds",
    "submission",
    "to_probs",
    "tta",
    "tta_log_preds",
    "tta_views",
]


@torch.no_grad()
def predict_loader(
    learn: Learner, loader: Loader | FeatureBatches, desc: str = "", whole_model: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits, targets) of every batch of ``loader``, in order, on the CPU (logits as float32).
    ``whole_model``: images through body and head even while precomputing (TTA's views)."""
    model_was_training = learn.model.training
    learn.model.eval()
    logits: list[torch.Tensor] = []
    targets: list[torch.Tensor] = []
    bar = progress_bar(len(loader), desc) if desc else None
    try:
        for xb, yb in loader:
            with learn.autocast():
                xb = learn.to_device(xb)
                out = learn.model(xb) if whole_model else learn.forward(xb)
            logits.append(out.float().cpu())
            targets.append(yb.cpu())  # cached activations' targets live on the GPU
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        learn.model.train(model_was_training)
    return torch.cat(logits), torch.cat(targets)


def to_probs(learn: Learner, logits: torch.Tensor) -> torch.Tensor:
    """Softmax for single-label data (probabilities sum to 1), sigmoid per tag for multi-label."""
    return torch.sigmoid(logits) if learn.data.is_multilabel else torch.softmax(logits, dim=1)


def get_preds(learn: Learner, split: str = "valid") -> tuple[torch.Tensor, torch.Tensor]:
    """(probabilities, targets) for every image of ``split`` ('valid', 'test' or 'train', in file order)."""
    learn.data.split(split)  # a clear error for an unknown split or a missing test set

    def predict() -> list[torch.Tensor]:
        logits, targets = predict_loader(learn, learn.loader(split))
        return [to_probs(learn, logits), targets]

    probs, targets = recorded_or_live(learn, f"learn.get_preds({split!r})", predict)
    return probs, targets


def tta_views(
    learn: Learner, n_aug: int = 4, split: str = "valid"
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The probabilities of each view of ``split``: the plain (centre-crop) one first, then
    ``n_aug`` views made with the training augmentation; and the targets."""
    data = learn.data
    plain_ds = data.split(split)
    aug_ds = plain_ds.with_transform(
        train_transform(data.size, data.aug, data.max_zoom, data.stats)
    )

    def predict() -> list[torch.Tensor]:
        probs, targets = get_preds_images(learn, plain_ds)
        return [targets, probs] + [get_preds_images(learn, aug_ds)[0] for _ in range(n_aug)]

    # the rehearsal's views in ck.demo.replay() (coursekit.train.replay), else computed now
    targets, *views = recorded_or_live(learn, f"learn.tta({n_aug}, {split!r})", predict)
    return views, targets


def tta(learn: Learner, n_aug: int = 4, split: str = "valid") -> tuple[torch.Tensor, torch.Tensor]:
    """Test-time augmentation: ``probs = (p_plain + p_aug_1 + ... + p_aug_n) / (n_aug + 1)``,
    the mean of the probabilities on the plain (centre-crop) view and on ``n_aug`` views made with
    the training augmentation. Returns (probabilities, targets)."""
    views, targets = tta_views(learn, n_aug, split)
    return torch.stack(views).mean(0), targets


def log_preds(learn: Learner, split: str = "valid") -> np.ndarray:
    """fastai 0.7's ``learn.predict()``: the log-probabilities of every image of ``split`` as a
    numpy array (N, C); ``np.exp`` turns them into probabilities (lesson 2)."""
    probs, _ = get_preds(learn, split)
    return probs.clamp_min(1e-12).log().numpy()


def tta_log_preds(
    learn: Learner, n_aug: int = 4, split: str = "valid"
) -> tuple[np.ndarray, np.ndarray]:
    """fastai 0.7's ``learn.TTA()`` (old/fastai/learner.py): ``(preds, y)`` as numpy arrays, what
    0.7's model outputs on each view, stacked: ``ceil(n_aug / 4)`` copies of the plain (centre-crop)
    view first, then ``n_aug`` augmented views — (5, N, C) with the default ``n_aug=4``.

    Single-label: log-probabilities (0.7's models end in ``LogSoftmax``); the course's prediction
    is ``np.mean(np.exp(log_preds), 0)`` (lesson 2). Multi-label: probabilities (0.7's end in a
    sigmoid); the course's is ``np.mean(multi_preds, 0)`` (the Planet notebook). (fastai 0.7 before
    29 November 2017 returned the mean over the views instead, which is why the dog-breeds notes
    write ``probs = np.exp(log_preds)`` with no mean.)"""
    views, targets = tta_views(learn, n_aug, split)
    stacked = torch.stack(views[:1] * math.ceil(n_aug / 4) + views[1:])
    if not learn.data.is_multilabel:
        stacked = stacked.clamp_min(1e-12).log()
    return stacked.numpy(), targets.numpy()


def get_preds_images(learn: Learner, dataset: ImageDataset) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities on an image dataset, always through the whole model."""
    loader = learn.data.loader(dataset, bs=eval_batch_size(learn.data.bs))
    logits, targets = predict_loader(learn, loader, whole_model=True)
    return to_probs(learn, logits), targets


def predict(learn: Learner, image: ImageInput) -> tuple[str, torch.Tensor, torch.Tensor]:
    """fastai's ``(label, index, probs)`` for one image: a path, a PIL image, the bytes of an
    image file or a numpy array.

    Single-label: the class name, its index (a 0-d tensor) and the probabilities (they sum to 1).
    Multi-label: the tags whose probability exceeds ``learn.thresh``, space-separated; a boolean
    vector saying which; and the probability of each tag.
    """
    img = as_image(image, min_size=learn.data.size)
    x = valid_transform(learn.data.size, learn.data.stats)(img)[None]
    with torch.no_grad():
        learn.model.eval()  # the whole model, even while precomputing
        with learn.autocast():
            probs = to_probs(learn, learn.model(learn.to_device(x)).float())[0].cpu()
    if learn.data.is_multilabel:
        chosen = probs > learn.thresh
        return " ".join(c for c, on in zip(learn.data.classes, chosen) if on), chosen, probs
    index = probs.argmax()
    return learn.data.classes[int(index)], index, probs


def snapshot_preds(
    learn: Learner, name: str, split: str = "valid"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean probabilities over the snapshots saved by ``fit(..., cycle_save_name=name)`` (one per
    cycle of the last such fit, as ``models/<name>_cycles.json`` lists them); the learner's own
    weights are put back afterwards."""
    names = snapshot_names(learn.models_dir, name)
    if not names:
        raise FileNotFoundError(
            f"the last fit with cycle_save_name={name!r} ended before its first cycle did: "
            "no snapshot to average; fit again."
        )
    current = {k: v.clone() for k, v in learn.model.state_dict().items()}
    try:
        runs = []
        for snap in names:
            learn.load(snap)
            runs.append(get_preds(learn, split))
    finally:
        learn.model.load_state_dict(current)
        learn.feature_cache.clear()
    total = sum((probs for probs, _ in runs[1:]), runs[0][0])  # in order: the same sum as ever
    return total / len(names), runs[0][1]


def submission(
    learn: Learner,
    path: str | os.PathLike[str],
    split: str = "test",
    use_tta: bool = True,
    thresh: float = 0.2,
) -> Path:
    """Write a Kaggle submission file for ``split`` and return its path.

    Single-label (dog breeds): ``id,<class 1>,<class 2>,...`` with a probability per class.
    Multi-label (planet): ``image_name,tags`` with the tags whose probability exceeds ``thresh``.
    Ids are the image file names without their extension.
    """
    probs, _ = tta(learn, split=split) if use_tta else get_preds(learn, split)
    ids = [Path(p).stem for p in learn.data.split_paths(split)]
    path = Path(path)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        if learn.data.is_multilabel:
            writer.writerow(["image_name", "tags"])
            for image_id, row in zip(ids, probs):
                writer.writerow(
                    [image_id, " ".join(c for c, p in zip(learn.data.classes, row) if p > thresh)]
                )
        else:
            writer.writerow(["id", *learn.data.classes])
            for image_id, row in zip(ids, probs):
                writer.writerow([image_id, *(f"{p:.6f}" for p in row.tolist())])
    return path
