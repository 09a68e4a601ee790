"""A trained model's convolution filters, and what they respond to in a picture (lesson 3).

Works on any ``torch.nn.Module`` (``learn.model``): the filters are its ``Conv2d`` weights, the
activations what a forward hook sees when the picture goes through the model.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["activations", "conv_layers", "filter_images", "grid"]


def conv_layers(model: nn.Module) -> list[tuple[str, nn.Conv2d]]:
    """(name, layer) of every 2-D convolution, in the order the model runs them."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]


def filter_images(layer: nn.Conv2d, n: int = 16) -> list[np.ndarray]:
    """The first ``n`` filters as pictures: RGB (3, k, k) for a layer that sees colour (3 input
    channels), else the mean over input channels (k, k); each stretched to its own range."""
    w = layer.weight.detach().float().cpu().numpy()[:n]
    return [f if f.shape[0] == 3 else f.mean(0) for f in w]


@torch.no_grad()
def activations(model: nn.Module, layer: nn.Module, x: torch.Tensor) -> np.ndarray:
    """What ``layer`` outputs when the normalised picture ``x`` (3, H, W) goes through ``model``."""
    seen: dict[str, torch.Tensor] = {}
    handle = layer.register_forward_hook(lambda _m, _i, out: seen.setdefault("out", out))
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        model(x[None].to(device))
    finally:
        handle.remove()
        model.train(was_training)
    return seen["out"][0].float().cpu().numpy()


def grid(maps: list[np.ndarray], columns: int = 8, pad: int = 1) -> np.ndarray:
    """Side by side, each map stretched to 0..255 on its own: a (H, W) or (3, H, W) mosaic."""
    colour = maps[0].ndim == 3
    h, w = maps[0].shape[-2:]
    rows = -(-len(maps) // columns)
    out = np.full(((3,) if colour else ()) + (rows * (h + pad), columns * (w + pad)), 255.0)
    for i, m in enumerate(maps):
        lo, hi = m.min(), m.max()
        m = (m - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(m)
        r, c = divmod(i, columns)
        out[..., r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = m
    return out
