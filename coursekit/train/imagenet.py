"""What a pretrained network already knows: its ImageNet guesses for any picture, offline.

Before training anything, ask the ImageNet network what it sees (lesson 1)::

    >>> ck.imagenet_top_k(ck.open_image(path), k=3)
    [('Egyptian cat', 0.77), ('tabby', 0.10), ('tiger cat', 0.07)]

It has never seen our labels, yet it already tells cats from dogs and one breed from another:
that knowledge is what transfer learning reuses. The network is EfficientNet-Lite0
(``coursekit.train.efficientnet``); the 1000 class names come with torchvision.
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import nn

from coursekit.data.image_input import ImageInput, as_image
from coursekit.data.transforms import valid_transform
from coursekit.train.efficientnet import EFFICIENTNET_LITE_STATS, efficientnet_lite0

__all__ = ["imagenet_classes", "imagenet_network", "imagenet_top_k"]

IMAGE_SIZE = 224


def imagenet_classes() -> list[str]:
    """The 1000 ImageNet class names in the order of the network's outputs (from torchvision)."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


@lru_cache(maxsize=1)
def imagenet_network() -> nn.Module:
    """EfficientNet-Lite0 with its ImageNet weights, in evaluation mode (built once, then reused)."""
    return efficientnet_lite0(weights="imagenet").eval()


def imagenet_top_k(image: ImageInput, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` most likely ImageNet classes of ``image`` (a path, PIL image, file bytes or RGB
    array; see ``as_image``) with their probabilities, most likely first. Runs on the CPU in a
    fraction of a second."""
    if not 1 <= k <= 1000:
        raise ValueError(f"k must be between 1 and 1000, not {k}.")
    x = valid_transform(IMAGE_SIZE, EFFICIENTNET_LITE_STATS)(as_image(image))
    with torch.inference_mode():
        probs = imagenet_network()(x[None]).softmax(1)[0]
    top = probs.topk(k)
    names = imagenet_classes()
    return [(names[i], round(float(p), 4)) for p, i in zip(top.values, top.indices)]
