"""How a data set is cut into batches: one rule each for evaluation's batch size, the last
training batch, and so the number of batches in an epoch (``learn.fit`` plans with it, without
building a loader to count).

>>> eval_batch_size(64)            # no gradients are kept while predicting: twice as many fit
128
>>> drop_last(100, 64), drop_last(64, 64)
(True, False)
>>> batches_per_epoch(100, 64), batches_per_epoch(64, 64), batches_per_epoch(10, 64)
(1, 1, 1)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import torch

__all__ = ["Batches", "batch_count", "batches_per_epoch", "drop_last", "eval_batch_size"]


class Batches(Protocol):
    """Batches of (inputs, targets) that can be gone through again and counted: a DataLoader of
    images, or the cached activations while precomputing (what a fit, the LR finder and the
    predictions take)."""

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]: ...

    def __len__(self) -> int: ...


def eval_batch_size(bs: int) -> int:
    """The batch size for predicting and validating: twice the training one."""
    return 2 * bs


def drop_last(n: int, bs: int) -> bool:
    """Whether training on ``n`` items in batches of ``bs`` drops the short last batch: it does
    whenever there is more than one batch, since a batch of one image breaks BatchNorm."""
    return n > bs


def batch_count(n: int, bs: int, dropping_last: bool) -> int:
    """Batches of ``bs`` in ``n`` items, the short last one dropped or not."""
    return n // bs if dropping_last else -(-n // bs)


def batches_per_epoch(n: int, bs: int) -> int:
    """Training batches in one epoch over ``n`` items (``drop_last`` decides the last one)."""
    return batch_count(n, bs, drop_last(n, bs))
