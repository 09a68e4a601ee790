"""The shape of a transfer-learning network: a pretrained *body*, a new *head*, layer groups.

A body is a network pretrained on ImageNet, without its pooling and final layer; the head is
new, sized for our classes. The parameters are split into *layer groups* — early layers, later
layers, head — so they can be frozen and given different learning rates as a group (lessons 1, 2)::

    net = ConvNet(body, create_head(512, n_classes))
    groups = [LayerGroup('early', [...]), LayerGroup('late', [...]), LayerGroup('head', [net.head])]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["AdaptiveConcatPool2d", "ConvNet", "LayerGroup", "create_head"]


class AdaptiveConcatPool2d(nn.Module):
    """Average *and* max pooling side by side: twice the features, both kinds of summary."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.mean((2, 3)), x.amax((2, 3))], dim=1)


def create_head(
    n_features: int, n_classes: int, ps: float = 0.5, hidden: int = 512
) -> nn.Sequential:
    """The course's head: concat pooling -> BatchNorm -> dropout(ps/2) -> linear -> ReLU -> BatchNorm
    -> dropout(ps) -> linear to ``n_classes``. Its first module (the pooling) has no parameters,
    which is what lets ``precompute`` cache pooled features."""
    return nn.Sequential(
        AdaptiveConcatPool2d(),
        nn.BatchNorm1d(2 * n_features),
        nn.Dropout(ps / 2),
        nn.Linear(2 * n_features, hidden),
        nn.ReLU(inplace=True),
        nn.BatchNorm1d(hidden),
        nn.Dropout(ps),
        nn.Linear(hidden, n_classes),
    )


class ConvNet(nn.Module):
    """``body`` then ``head``; ``features(x)`` is the pooled body output that precompute caches."""

    def __init__(self, body: nn.Module, head: nn.Sequential):
        super().__init__()
        self.body, self.head = body, head

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.head[0](self.body(x))

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head[1:](features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.features(x))


@dataclass
class LayerGroup:
    """A named set of modules that are frozen, unfrozen and given a learning rate together."""

    name: str
    modules: list[nn.Module]

    def parameters(self) -> list[nn.Parameter]:
        return [p for m in self.modules for p in m.parameters()]

    def batchnorms(self) -> list[nn.Module]:
        """The group's BatchNorm layers."""
        return [
            bn
            for m in self.modules
            for bn in m.modules()
            if isinstance(bn, nn.modules.batchnorm._BatchNorm)
        ]

    def batchnorm_param_ids(self) -> set[int]:
        """``id`` of each parameter of the group's BatchNorm layers (what ``train_bn`` trains)."""
        return {id(p) for bn in self.batchnorms() for p in bn.parameters()}

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    @property
    def trainable(self) -> bool:
        """Whether the group trains; its BatchNorm layers training alone (``train_bn``) do not count."""
        in_batchnorms = self.batchnorm_param_ids()
        return any(p.requires_grad for p in self.parameters() if id(p) not in in_batchnorms)

    def __repr__(self) -> str:
        return f"LayerGroup({self.name!r}, {self.n_params:,} params, {'trainable' if self.trainable else 'frozen'})"
