"""The architectures a learner can be built on, and how each gets its pretrained weights.

``ARCHS`` names every architecture: torchvision's ResNets (ImageNet weights, downloaded),
``'tinyresnet'`` (weights ship with coursekit) and ``'efficientnet_lite0'`` (weights from a package).
``create_convnet`` puts a new head on one's body and splits it into layer groups (``convnet.py``)::

    learn = Learner.pretrained('resnet34', data)
    learn.layer_groups          # [stem+layer1+layer2, layer3+layer4, head] with parameter counts
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from torch import nn

from coursekit.data.imagedata import ImageData
from coursekit.data.transforms import IMAGENET_STATS, Stats
from coursekit.train.convnet import AdaptiveConcatPool2d, ConvNet, LayerGroup, create_head
from coursekit.train.efficientnet import (
    EFFICIENTNET_LITE_STATS,
    efficientnet_lite0,
    efficientnet_lite0_body,
    efficientnet_lite0_groups,
)
from coursekit.train.tinyresnet import tinyresnet
from coursekit.train.weights import (
    PretrainedWeightsError,
    fetch_weights,
    weights_enum,
    weights_file,
)

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
    "normalised_for",
]


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
    stats: Stats = IMAGENET_STATS


_RESNET_BODY = ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4")


def _resnet_body(model: nn.Module) -> nn.Sequential:
    """A torchvision ResNet without its average pooling and fully connected layer."""
    return nn.Sequential(*(model.get_submodule(name) for name in _RESNET_BODY))


def _resnet_groups(net: ConvNet) -> list[LayerGroup]:
    body = list(net.body.children())
    return [
        LayerGroup("stem+layer1+layer2", body[:6]),
        LayerGroup("layer3+layer4", body[6:]),
        LayerGroup("head", [net.head]),
    ]


def _torchvision(name: str) -> Callable[..., nn.Module]:
    def build(**kwargs: Any) -> nn.Module:
        import torchvision  # its models load only when one is built

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


# The offline backbone that ships with coursekit (coursekit.train.tinyresnet).
ARCHS["tinyresnet"] = Arch(tinyresnet, "shipped", 256, _resnet_groups, _resnet_body)


# A real ImageNet network whose weights install as a package (coursekit.train.efficientnet).
ARCHS["efficientnet_lite0"] = Arch(
    efficientnet_lite0,
    "imagenet",
    1280,
    efficientnet_lite0_groups,
    efficientnet_lite0_body,
    EFFICIENTNET_LITE_STATS,
)


def input_stats(arch_name: str) -> Stats:
    """The (mean, std) normalisation the pretrained weights of ``arch_name`` expect."""
    return ARCHS[arch_name].stats if arch_name in ARCHS else IMAGENET_STATS


def normalised_for(arch_name: str, data: ImageData) -> ImageData:
    """``data`` with the input statistics ``arch_name``'s pretrained weights expect (a copy if they differ)."""
    stats = input_stats(arch_name)
    if tuple(map(tuple, data.stats)) == tuple(map(tuple, stats)):
        return data
    return replace(data, stats=stats)


def _load_pretrained(arch_name: str, arch: Arch) -> nn.Module:
    """Build ``arch`` with its pretrained weights, or say clearly why that failed.

    torchvision's weight file is fetched first by coursekit's downloader (progress, resume, checks,
    ``COURSEKIT_MIRROR``); torchvision's weights API then reads it from its cache unchanged.
    """
    if arch.weights is None:
        raise PretrainedWeightsError(
            f"{arch_name} has no pretrained weights; build it with pretrained=False."
        )
    if "." not in arch.weights:  # not a torchvision weights enum: the arch loads its own
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
