"""The course's two optimizers, with one parameter group per layer group.

fastai 0.7 (2018) trained with SGD and momentum 0.9, no weight decay unless asked; fastai v1 (2019)
with Adam, betas (0.9, 0.99) and decoupled weight decay 1e-2 (AdamW). Each layer group is one
parameter group, so the fit loop can give each its own learning rate::

    opt = create_optimizer(learn.layer_groups, 'sgd', wd=0.0)
    set_lrs(opt, [1e-4, 1e-3, 1e-2])          # differential learning rates
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from coursekit.train.convnet import LayerGroup

__all__ = ["OPTIMIZERS", "check_opt_name", "create_optimizer", "set_lrs"]

OPTIMIZERS = {"sgd": "SGD(momentum=0.9)", "adamw": "AdamW(betas=(0.9, 0.99))"}


def check_opt_name(opt_name: str) -> None:
    """Raise a ValueError naming the choices unless ``opt_name`` is one of ``OPTIMIZERS``."""
    if opt_name not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer opt_name={opt_name!r}; use 'adamw' (fastai v1) or 'sgd' (fastai 0.7)."
        )


def create_optimizer(
    layer_groups: Sequence[LayerGroup], opt_name: str, wd: float
) -> torch.optim.Optimizer:
    """AdamW with betas (0.9, 0.99) (``'adamw'``) or SGD with momentum 0.9 (``'sgd'``), one parameter
    group per layer group. Frozen parameters get no gradient, so it leaves them (and their weight
    decay) alone."""
    check_opt_name(opt_name)
    groups = [{"params": g.parameters(), "lr": 1e-3, "weight_decay": wd} for g in layer_groups]
    if opt_name == "sgd":
        return torch.optim.SGD(groups, lr=1e-3, momentum=0.9)
    return torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99))


def set_lrs(
    opt: torch.optim.Optimizer, lrs: Sequence[float], momentum: float | None = None
) -> None:
    """Write one learning rate per parameter group, and the momentum (Adam's beta1) if given."""
    for group, lr in zip(opt.param_groups, lrs):
        group["lr"] = lr
        if momentum is not None:
            if "betas" in group:
                group["betas"] = (momentum, group["betas"][1])
            else:
                group["momentum"] = momentum
