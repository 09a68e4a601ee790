"""Saving and loading a learner's weights: ``learn.save('stage-1')``, ``learn.load('stage-1')``.

A checkpoint is a dict ``{'model': state_dict, 'arch': ..., 'classes': [...]}`` in
``<data.path>/models/<name>.pth``, written atomically (a temporary file renamed into place) and
read with ``weights_only=True`` (no code in the file can run). Loading checks that it fits: the same
architecture, the same classes, the same shapes; each refusal names the file and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from coursekit.fileio import atomic_write
from coursekit.train.torch_file import read_torch_file

__all__ = ["load_weights", "save_weights"]


def save_weights(path: Path, model: nn.Module, arch: str | None, classes: Sequence[str]) -> Path:
    """Write ``model``'s weights with its architecture and classes to ``path``; return the path."""
    state = {"model": model.state_dict(), "arch": arch, "classes": list(classes)}
    return atomic_write(path, lambda tmp: torch.save(state, tmp))


def _read(path: Path, device: torch.device) -> dict[str, Any]:
    state = read_torch_file(
        path, device, "coursekit checkpoint", "save it again with learn.save(...), or delete it."
    )
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(
            f"{path} is not a coursekit checkpoint (no 'model' weights in it); "
            "save with learn.save(name)."
        )
    return state


def _preview(classes: Sequence[str] | None) -> str:
    return (
        "none recorded"
        if classes is None
        else f"{list(classes)[:5]}{'...' if len(classes) > 5 else ''}"
    )


def load_weights(
    path: Path, model: nn.Module, arch: str | None, classes: Sequence[str], device: torch.device
) -> None:
    """Load the weights in ``path`` into ``model`` (an ``arch`` for ``classes``, on ``device``),
    refusing a file that does not fit."""
    if not path.exists():
        raise FileNotFoundError(
            f"no saved weights {path}; saved ones: "
            f"{sorted(p.stem for p in path.parent.glob('*.pth'))}"
        )
    state = _read(path, device)
    if state.get("arch") != arch:
        raise ValueError(f"{path} holds a {state.get('arch')} but this learner is a {arch}.")
    saved = state.get("classes")
    if saved is None or list(saved) != list(classes):
        raise ValueError(
            f"{path} was saved for classes {_preview(saved)} but this data has "
            f"{_preview(classes)}; use the same data set (or its classes)."
        )
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as e:
        raise ValueError(f"{path} does not fit this model: {str(e).splitlines()[0]}") from e
