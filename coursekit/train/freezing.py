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
too. ``Freezing`` is the part of ``Learner`` that does this (a base class of it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from coursekit.train.learner import Learner

__all__ = ["Freezing"]


class Freezing:
    """``Learner``'s freezing methods (a base class of it; they act on ``learn.layer_groups``)."""

    def freeze_to(self, n: int) -> None:
        """Freeze the groups before index ``n`` and train the rest, as fastai 0.7's
        ``layer_groups[n:]``: ``n`` may count from the end (``-1``: only the head trains) and
        ``n = len(layer_groups)`` freezes every group; any other index raises a ValueError
        (rather than wrapping around)."""
        learn = cast("Learner", self)
        learn.check_idle("freeze or unfreeze layer groups")
        count = len(learn.layer_groups)
        if not -count <= n <= count:
            raise ValueError(
                f"freeze_to({n}): this learner has {count} layer groups, so n must be between "
                f"{-count} and {count} (freeze_to(-1): only the head trains; freeze_to(0): all)."
            )
        first_trainable = n + count if n < 0 else n
        for i, group in enumerate(learn.layer_groups):
            keep = group.batchnorm_param_ids() if learn.train_bn else set()
            for p in group.parameters():
                trains = i >= first_trainable or id(p) in keep
                p.requires_grad_(trains)
                if not trains:
                    p.grad = None  # a stale gradient would still move a frozen weight
        if first_trainable < count - 1:
            learn.precompute = False  # the body will change: its cached activations would be stale
            learn._features.clear()

    def freeze(self) -> None:
        """Train only the last layer group (the head)."""
        self.freeze_to(-1)

    def unfreeze(self) -> None:
        """Train every layer group (turns precompute off)."""
        self.freeze_to(0)

    def bn_freeze(self, frozen: bool = True) -> None:
        """Keep *every* BatchNorm layer in evaluation mode while training, so all running means and
        variances stay those learned on ImageNet. The course calls ``learn.bn_freeze(True)`` right
        after ``unfreeze()`` for big models (resnet50, resnext101) on photos like ImageNet's."""
        learn = cast("Learner", self)
        learn.check_idle("change bn_freeze")
        learn.bn_frozen = frozen

    def train_mode(self) -> None:
        """``model.train()`` as fastai 0.7's ``set_train_mode``: BatchNorm layers of frozen groups
        stay in evaluation mode (unless ``train_bn``, as fastai v1 and v2 by default), and with
        ``bn_freeze(True)`` those of trainable groups too."""
        learn = cast("Learner", self)
        learn.model.train()
        for group in learn.layer_groups:
            if learn.bn_frozen or not (group.trainable or learn.train_bn):
                for bn in group.batchnorms():
                    bn.eval()
