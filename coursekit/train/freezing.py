"""Freezing layer groups: which parts of a pretrained network train (lessons 1 and 2).

    learn.freeze_to(-1)     # only the head trains (what Learner.pretrained starts with)
    learn.freeze_to(-2)     # the later layers and the head
    learn.unfreeze()        # everything: freeze_to(0)

Frozen means *all* of a group's parameters, BatchNorm weights and biases included, get no
gradient, and (as fastai 0.7) its BatchNorm layers stay in evaluation mode while training, so their
running statistics remain those learned on ImageNet. ``bn_freeze(True)`` keeps every BatchNorm
layer in evaluation mode, trainable groups' too.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from coursekit.train.convnet import LayerGroup

__all__ = ["freeze_to", "train_mode"]


def freeze_to(layer_groups: Sequence[LayerGroup], n: int) -> int:
    """Freeze the groups before index ``n`` and make the rest trainable; return the index of the
    first trainable group. As fastai 0.7's ``layer_groups[n:]``: ``n`` may count from the end
    (``-1``: the head) and ``n = len(layer_groups)`` freezes every group; beyond that a ValueError,
    rather than wrapping around."""
    count = len(layer_groups)
    if not -count <= n <= count:
        raise ValueError(
            f"freeze_to({n}): this learner has {count} layer groups, so n must be between "
            f"{-count} and {count} (freeze_to(-1): only the head trains; freeze_to(0): all)."
        )
    first_trainable = n + count if n < 0 else n
    for i, group in enumerate(layer_groups):
        for p in group.parameters():
            p.requires_grad_(i >= first_trainable)
            if i < first_trainable:
                p.grad = None  # a stale gradient would still move a frozen weight
    return first_trainable


def train_mode(model: nn.Module, layer_groups: Sequence[LayerGroup], bn_frozen: bool) -> None:
    """``model.train()`` as fastai 0.7's ``set_train_mode``: BatchNorm layers of frozen groups
    stay in evaluation mode, and with ``bn_frozen`` those of trainable groups too.
    (fastai v2 does the opposite by default: ``train_bn=True`` trains frozen groups' BatchNorm.)"""
    model.train()
    for group in layer_groups:
        if bn_frozen or not group.trainable:
            for m in group.modules:
                for bn in m.modules():
                    if isinstance(bn, nn.modules.batchnorm._BatchNorm):
                        bn.eval()
