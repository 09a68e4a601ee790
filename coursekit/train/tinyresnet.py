"""'tinyresnet': a small ResNet whose pretrained weights ship inside coursekit.

Transfer learning needs a body that has already learned to see. Offline — on CI, on a laptop
with no GPU, in a classroom with no network — there are no ImageNet weights, and freezing a
randomly initialised body teaches nothing. So coursekit ships its own: a ResNet with the same
structure as torchvision's (stem, layer1-4, three layer groups), a quarter of the width, sized
for 64-128 px pictures, pretrained by ``tools/pretrain_backbone.py`` on 48 classes of drawn
geometric objects (``coursekit.data.corpus``) that share no class with the lessons.

    learn = Learner.pretrained('tinyresnet', data)      # works with no network
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

from coursekit.train.weights import PretrainedWeightsError

__all__ = ["WEIGHTS_FILE", "WEIGHTS_SHA256", "TinyResNet", "load_tinyresnet_weights", "tinyresnet"]

WEIGHTS_FILE = Path(__file__).resolve().parents[1] / "weights" / "tinyresnet.pth"
# Written by tools/pretrain_backbone.py; loading refuses a file whose hash differs.
WEIGHTS_SHA256 = "6fe5b6dddadfaa68d1aa06b4f1c82f1944f2763440fe39a95ce9844d082c5065"


def _layer(inplanes: int, planes: int, stride: int) -> nn.Sequential:
    downsample = None
    if stride != 1 or inplanes != planes:
        downsample = nn.Sequential(
            nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes)
        )
    return nn.Sequential(BasicBlock(inplanes, planes, stride, downsample))


class TinyResNet(nn.Module):
    """conv3x3/2 -> max-pool -> four one-block stages of 32, 64, 128, 256 channels -> pool -> fc.
    About 1.2 million parameters; the attribute names match torchvision's ResNet."""

    def __init__(self, num_classes: int = 48, widths: tuple[int, ...] = (32, 64, 128, 256)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = _layer(widths[0], widths[0], 1)
        self.layer2 = _layer(widths[0], widths[1], 2)
        self.layer3 = _layer(widths[1], widths[2], 2)
        self.layer4 = _layer(widths[2], widths[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[3], num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def load_tinyresnet_weights(
    model: TinyResNet, path: Path = WEIGHTS_FILE, sha256: str = WEIGHTS_SHA256
) -> None:
    """Load the shipped body weights into ``model`` after checking the file's SHA-256."""
    if not path.exists():
        raise PretrainedWeightsError(
            f"the tinyresnet weights file {path} is missing. Reinstall coursekit, or rebuild it with "
            f"`python tools/pretrain_backbone.py`; or use pretrained=False."
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise PretrainedWeightsError(
            f"the tinyresnet weights file {path} has been altered: its SHA-256 is {digest}, expected {sha256}. "
            f"Reinstall coursekit, or rebuild it with `python tools/pretrain_backbone.py`."
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    missing, unexpected = model.load_state_dict(
        {k: v.float() for k, v in state.items()}, strict=False
    )
    if unexpected or any(not k.startswith("fc.") for k in missing):
        raise PretrainedWeightsError(
            f"{path} does not fit TinyResNet (missing {missing}, unexpected {unexpected})."
        )


def tinyresnet(weights: str | None = None, num_classes: int = 48) -> TinyResNet:
    """Build a TinyResNet; ``weights='shipped'`` loads the pretrained body that comes with coursekit."""
    model = TinyResNet(num_classes)
    if weights == "shipped":
        load_tinyresnet_weights(model)
    elif weights is not None:
        raise ValueError(f"tinyresnet weights are 'shipped' or None, not {weights!r}.")
    return model
