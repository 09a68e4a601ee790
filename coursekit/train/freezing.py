"""Freezing layer groups: which parts of a pretrained network train (lessons 1 and 2).

    learn.freeze_to(-1)     # only the head trains (what Learner.pretrained starts with)
    learn.freeze_to(-2)     # the later layers and the head
    learn.unfreeze()        # everything: freeze_to(0)

Frozen means, as in fastai 0.7 (``Learner.pretrained``), that *all* of a group's parameters,
BatchNorm weights and biases included, get no gradient, and its BatchNorm layers stay in evaluation
mode while training, so their running statistics remain those learned on ImageNet. With
``learn.train_bn = True`` (fastai v1's ``train_bn``, what ``cnn_learner`` sets, as the 2019 course's
``cnn_learner`` did) a frozen group's BatchNorm layers still train: their weights and biases get
gradients and their running statistics follow the new data; every other layer of the group stays
as it was. ``bn_freeze(True)`` keeps every BatchNorm layer in evaluation mode, trainable groups'
too. ``Learner.freeze_to``, ``unfreeze``, ``bn_freeze`` and ``train_mode`` call these functions.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from coursekit.train.convnet import LayerGroup

__all__ = ["first_trainable_group", "freeze_to", "set_train_mode"]


def freeze_to(groups: Sequence[LayerGroup], n: int, train_bn: bool) -> int:
    """Freeze the groups before index ``n`` and train the rest, as fastai 0.7's
    ``layer_groups[n:]``; return the index of the first group that trains. ``n`` may count from
    the end (``-1``: only the head trains) and ``n = len(groups)`` freezes every group; any other
    index raises a ValueError (rather than wrapping around). With ``train_bn`` the frozen groups'
    BatchNorm parameters still train."""
    count = len(groups)
    if not -count <= n <= count:
        raise ValueError(
            f"freeze_to({n}): this learner has {count} layer groups, so n must be between "
            f"{-count} and {count} (freeze_to(-1): only the head trains; freeze_to(0): all)."
        )
    first_trainable = n + count if n < 0 else n
    for i, group in enumerate(groups):
        keep = group.batchnorm_param_ids() if train_bn else set()
        for p in group.parameters():
            trains = i >= first_trainable or id(p) in keep
            p.requires_grad_(trains)
            if not trains:
                p.grad = None  # a stale gradient would still move a frozen weight
    return first_trainable


def first_trainable_group(groups: Sequence[LayerGroup]) -> int:
    """The index of the first group that trains (``len(groups)`` when all are frozen)."""
    return next((i for i, g in enumerate(groups) if g.trainable), len(groups))


def set_train_mode(
    model: nn.Module, groups: Sequence[LayerGroup], bn_frozen: bool, train_bn: bool
) -> None:
    """``model.train()`` as fastai 0.7's ``set_train_mode``: BatchNorm layers of frozen groups
    stay in evaluation mode (unless ``train_bn``, as fastai v1 and v2 by default), and with
    ``bn_frozen`` (``bn_freeze(True)``) those of trainable groups too."""
    model.train()
    for group in groups:
        if bn_frozen or not (group.trainable or train_bn):
            for bn in group.batchnorms():
                bn.eval()
