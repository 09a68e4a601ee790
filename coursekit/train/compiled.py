"""``torch.compile`` for a learner's model: the same training, fused into fewer, faster kernels.

The first batches after compiling are slow (PyTorch traces the model and generates code for it,
tens of seconds for a ResNet); after that each step is faster, on a GPU most of all. A change of
batch size or of train/eval mode compiles once more. Worth it for long fits, not for a quick one.

>>> learn = Learner.pretrained('resnet34', data, compile=True)    # or: learn.compile()

The model is compiled in place (``nn.Module.compile``), so its ``state_dict`` keeps its names:
``save``, ``load``, ``export`` and the layer groups work unchanged.
"""

from __future__ import annotations

from typing import Any

from torch import nn

__all__ = ["compile_model", "is_compiled"]


def compile_model(model: nn.Module, **options: Any) -> nn.Module:
    """Compile ``model``'s forward in place with ``torch.compile(**options)`` (e.g. ``mode='max-autotune'``)
    and return it. Needs torch >= 2.2, and a C++ compiler on a CPU."""
    if not hasattr(model, "compile"):
        import torch

        raise RuntimeError(
            f"compiling a model in place needs torch >= 2.2; this is torch {torch.__version__}. "
            "Upgrade torch, or train without compile."
        )
    model.compile(**options)
    return model


def is_compiled(model: nn.Module) -> bool:
    """True when ``compile_model`` (``nn.Module.compile``) was applied to ``model``."""
    return getattr(model, "_compiled_call_impl", None) is not None
