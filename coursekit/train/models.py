"""Architectures, the course's classifier head, layer groups, and pretrained weights.

A transfer-learning model is a *body* (a network pretrained on ImageNet, without its pooling and
final layer) and a new *head* for our classes. The parameters are split into three *layer
groups* — early layers, later layers, head — so they can be frozen and given different
learning rates as a group (lessons 1 and 2)::

    learn = Learner.pretrained('resnet34', data)
    learn.layer_groups          # [stem+layer1+layer2, layer3+layer4, head] with parameter counts
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from coursekit.data.transforms import IMAGENET_STATS
from coursekit.train.efficientnet import (
    EFFICIENTNET_LITE_STATS,
    efficientnet_lite0,
    efficientnet_lite0_body,
    efficientnet_lite0_groups,
)
from coursekit.train.weights import fetch_weights, weights_enum, weights_file

__all__ = [
    "ARCHS",
    "AdaptiveConcatPool2d",
    "Arch",
    "ConvNet",
    "LayerGroup",
    "PretrainedWeightsError",
    "create_convnet",
    "create_head",
    "input_stats",
    "register_arch",
]


class PretrainedWeightsError(RuntimeError):
    """Pretrained weights could not be found or downloaded; the message says where and what to do."""


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

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    @property
    def trainable(self) -> bool:
        return any(p.requires_grad for p in self.parameters())

    def __repr__(self) -> str:
        return f"LayerGroup({self.name!r}, {self.n_params:,} params, {'trainable' if self.trainable else 'frozen'})"


@dataclass(frozen=True)
class Arch:
    """How to build an architecture: a constructor taking ``weights=``, the name of its
    pretrained weights, a function splitting a ``ConvNet`` into layer groups, and the input
    normalisation (mean, std) its pretrained weights expect."""

    build: Callable[..., nn.Module]
    weights: str | None
    n_features: int
    groups: Callable[[ConvNet], list[LayerGroup]]
    make_body: Callable[[nn.Module], nn.Module] | None = None
    stats: tuple = IMAGENET_STATS


def _resnet_body(model: nn.Module) -> nn.Sequential:
    """A torchvision ResNet without its average pooling and fully connected layer."""
    return nn.Sequential(
        model.conv1,
        model.bn1,
        model.relu,
        model.maxpool,
        model.layer1,
        model.layer2,
        model.layer3,
        model.layer4,
    )


def _resnet_groups(net: ConvNet) -> list[LayerGroup]:
    b = net.body
    return [
        LayerGroup("stem+layer1+layer2", list(b[:6])),
        LayerGroup("layer3+layer4", list(b[6:])),
        LayerGroup("head", [net.head]),
    ]


def _torchvision(name: str) -> Callable[..., nn.Module]:
    def build(**kwargs):
        import torchvision

        return getattr(torchvision.models, name)(**kwargs)

    build.__name__ = name
    return build


ARCHS: dict[str, Arch] = {
    "resnet18": Arch(
        _torchvision("resnet18"),
        "ResNet18_Weights.IMAGENET1K_V1",
        512,
        _resnet_groups,
        _resnet_body,
    ),
    "resnet34": Arch(
        _torchvision("resnet34"),
        "ResNet34_Weights.IMAGENET1K_V1",
        512,
        _resnet_groups,
        _resnet_body,
    ),
    "resnet50": Arch(
        _torchvision("resnet50"),
        "ResNet50_Weights.IMAGENET1K_V2",
        2048,
        _resnet_groups,
        _resnet_body,
    ),
    "resnet101": Arch(
        _torchvision("resnet101"),
        "ResNet101_Weights.IMAGENET1K_V2",
        2048,
        _resnet_groups,
        _resnet_body,
    ),
    "resnext50_32x4d": Arch(
        _torchvision("resnext50_32x4d"),
        "ResNeXt50_32X4D_Weights.IMAGENET1K_V2",
        2048,
        _resnet_groups,
        _resnet_body,
    ),
}


def _tinyresnet(**kwargs) -> nn.Module:
    from coursekit.train.tinyresnet import tinyresnet

    return tinyresnet(**kwargs)


# The offline backbone that ships with coursekit (coursekit.train.tinyresnet).
ARCHS["tinyresnet"] = Arch(_tinyresnet, "shipped", 256, _resnet_groups, _resnet_body)


# A real ImageNet network whose weights install as a package (coursekit.train.efficientnet).
ARCHS["efficientnet_lite0"] = Arch(
    efficientnet_lite0,
    "imagenet",
    1280,
    efficientnet_lite0_groups,
    efficientnet_lite0_body,
    EFFICIENTNET_LITE_STATS,
)


def input_stats(arch_name: str) -> tuple:
    """The (mean, std) normalisation the pretrained weights of ``arch_name`` expect."""
    return ARCHS[arch_name].stats if arch_name in ARCHS else IMAGENET_STATS


def register_arch(name: str, arch: Arch) -> None:
    """Add an architecture to the registry."""
    ARCHS[name] = arch


def _load_pretrained(arch_name: str, arch: Arch) -> nn.Module:
    """Build ``arch`` with its pretrained weights, or say clearly why that failed.

    torchvision's weight file is fetched first by coursekit's downloader (progress, resume, checks,
    ``COURSEKIT_MIRROR``); torchvision's weights API then reads it from its cache unchanged.
    """
    if not arch.weights.count("."):  # not a torchvision weights enum: the arch loads its own
        return arch.build(weights=arch.weights)
    weights = weights_enum(arch.weights)
    file = weights_file(weights.url)
    try:
        fetch_weights(arch.weights)
        return arch.build(weights=weights)
    except (
        OSError,
        RuntimeError,
    ) as e:  # DownloadError is a RuntimeError; a cut file a RuntimeError too
        raise PretrainedWeightsError(
            f"could not load the pretrained weights of {arch_name} ({e}). They are the file {file.name}, "
            f"expected in {file.parent} (set TORCH_HOME to change where). With no network, copy that file "
            f"there from a machine that has it (`coursekit data --full all` fetches every lesson's), use "
            f"Learner.pretrained('tinyresnet', data) (weights ship with coursekit), or train from scratch "
            f"with pretrained=False."
        ) from e


def create_convnet(
    arch_name: str, n_classes: int, pretrained: bool = True, ps: float = 0.5
) -> tuple[ConvNet, list[LayerGroup]]:
    """A ``ConvNet`` for ``n_classes`` on the body of ``arch_name``, and its layer groups."""
    if arch_name not in ARCHS:
        raise ValueError(f"unknown architecture {arch_name!r}; choose one of {sorted(ARCHS)}.")
    arch = ARCHS[arch_name]
    model = _load_pretrained(arch_name, arch) if pretrained else arch.build(weights=None)
    body = arch.make_body(model) if arch.make_body else model
    net = ConvNet(body, create_head(arch.n_features, n_classes, ps))
    return net, arch.groups(net)
