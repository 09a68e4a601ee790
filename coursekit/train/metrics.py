"""Metrics: numbers a person reads in the epoch table, computed on the whole validation set.

Each metric takes the model's raw outputs (``preds``: logits) and the targets and returns a
float. Single-label metrics take the arg-max; multi-label metrics take a sigmoid and a threshold.
Give other thresholds with ``functools.partial``: ``partial(fbeta, beta=1, thresh=0.5)``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = [
    "Metric",
    "accuracy",
    "accuracy_thresh",
    "error_rate",
    "f2",
    "fbeta",
    "fbeta_on_probs",
    "metric_name",
]

# A metric: (logits, targets) -> a number for the epoch table.
Metric = Callable[[torch.Tensor, torch.Tensor], float]


def accuracy(preds: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of images whose highest-scoring class is the target (single-label).

    >>> logits = torch.tensor([[2.0, 0.5], [0.1, 1.0], [3.0, -1.0]])
    >>> round(accuracy(logits, torch.tensor([0, 1, 1])), 4)  # the third is wrong
    0.6667
    """
    return (preds.argmax(dim=1) == targets).float().mean().item()


def error_rate(preds: torch.Tensor, targets: torch.Tensor) -> float:
    """``1 - accuracy``: the lesson-1 reference is an error rate (0.071 for resnet34 on pets).

    >>> round(error_rate(torch.tensor([[2.0, 0.5], [0.1, 1.0], [3.0, -1.0]]), torch.tensor([0, 1, 1])), 4)
    0.3333
    """
    return 1.0 - accuracy(preds, targets)


def accuracy_thresh(preds: torch.Tensor, targets: torch.Tensor, thresh: float = 0.5) -> float:
    """Multi-label: fraction of (image, tag) pairs right when a tag is predicted at sigmoid > ``thresh``.

    >>> logits = torch.tensor([[2.0, -3.0, 0.5], [-3.0, 3.0, -3.0]])  # predicts tags {0, 2}, {1}
    >>> round(accuracy_thresh(logits, torch.tensor([[1.0, 0, 0], [0, 1, 1]])), 4)  # 4 of 6 right
    0.6667
    """
    return ((torch.sigmoid(preds) > thresh).float() == targets).float().mean().item()


def fbeta(
    preds: torch.Tensor,
    targets: torch.Tensor,
    beta: float = 2.0,
    thresh: float = 0.2,
    eps: float = 1e-9,
) -> float:
    """Multi-label F-beta averaged over samples (scikit-learn's ``average='samples'``).

    For each image: precision P and recall R of its predicted tags (sigmoid > ``thresh``), then
    ``(1 + beta²) P R / (beta² P + R)``; the mean over images. ``beta=2`` (Kaggle Planet) weighs
    recall more than precision. An image with no true and no predicted tags scores 0.
    """
    return fbeta_on_probs(torch.sigmoid(preds), targets, beta, thresh, eps)


def fbeta_on_probs(
    probs: torch.Tensor,
    targets: torch.Tensor,
    beta: float = 2.0,
    thresh: float = 0.2,
    eps: float = 1e-9,
) -> float:
    """``fbeta`` on probabilities rather than logits: a tag is predicted when its probability
    exceeds ``thresh`` (``Interpretation.best_threshold`` tries many thresholds this way)."""
    predicted = (probs > thresh).float()
    tp = (predicted * targets).sum(1)
    precision = tp / (predicted.sum(1) + eps)
    recall = tp / (targets.sum(1) + eps)
    b2 = beta**2
    score = (1 + b2) * precision * recall / (b2 * precision + recall + eps)
    return score.mean().item()


def f2(preds: torch.Tensor, targets: torch.Tensor) -> float:
    """F-beta with beta=2 at threshold 0.2: the planet lesson's metric.

    >>> logits = torch.tensor([[2.0, -3.0, 0.5], [-3.0, 3.0, -3.0]])  # predicts tags {0, 2}, {1}
    >>> round(f2(logits, torch.tensor([[1.0, 0, 0], [0, 1, 1]])), 4)  # (5/6 + 5/9) / 2
    0.6944
    """
    return fbeta(preds, targets, beta=2.0, thresh=0.2)


def metric_name(metric: Callable[..., float]) -> str:
    """The column name of a metric in the epoch table (works for ``functools.partial`` too).

    >>> from functools import partial
    >>> metric_name(accuracy), metric_name(partial(fbeta, beta=1))
    ('accuracy', 'fbeta')
    """
    name = getattr(metric, "__name__", None) or getattr(
        getattr(metric, "func", None), "__name__", "metric"
    )
    return str(name)
