"""torchvision's ImageNet weight files: where they live, and fetching them with coursekit's downloader.

torchvision keeps each weight file in ``$TORCH_HOME/hub/checkpoints/`` under the name at the end
of its URL (``resnet34-b627a593.pth``); the 8 hex digits are the start of the file's SHA-256.
``fetch_weights`` puts the file there through coursekit's downloader (progress, resume, checks,
``COURSEKIT_MIRROR``), so torchvision's own weights API then finds it and reads it unchanged::

    path, fetched = fetch_weights('ResNet34_Weights.IMAGENET1K_V1')
    model = torchvision.models.resnet34(weights='IMAGENET1K_V1')     # reads that file
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from coursekit.data.download import Archive, download_url

__all__ = ["PretrainedWeightsError", "fetch_weights", "weights_enum", "weights_file"]


class PretrainedWeightsError(RuntimeError):
    """Pretrained weights could not be found or downloaded; the message says where and what to do."""


def weights_enum(spec: str) -> Any:
    """torchvision's weights enum member from its name, e.g. ``'ResNet34_Weights.IMAGENET1K_V1'``."""
    import torchvision

    enum_name, member = spec.split(".")
    return getattr(getattr(torchvision.models, enum_name), member)


def weights_file(url: str) -> Path:
    """Where torchvision keeps (and looks for) the weight file at ``url``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def fetch_weights(spec: str) -> tuple[Path, bool]:
    """Download the weight file of torchvision's ``spec`` (e.g. ``'ResNet34_Weights.IMAGENET1K_V1'``)
    unless torchvision's cache has it; return ``(path, fetched)``."""
    url = weights_enum(spec).url
    path = weights_file(url)
    if path.is_file():
        return path, False
    # torch.hub's file names end in the first hex digits of the file's SHA-256
    prefix = os.path.basename(url).rsplit("-", 1)[-1].split(".")[0]
    download_url(Archive(url, checksum=f"sha256-prefix:{prefix}"), path)
    return path, True
