"""Saving and loading a learner's weights: ``learn.save('stage-1')``, ``learn.load('stage-1')``.

A checkpoint is a dict ``{'model': state_dict, 'arch': ..., 'classes': [...]}`` in
``<data.path>/models/<name>.pth``, written atomically (a temporary file renamed into place) and
read with ``weights_only=True`` (no code in the file can run). Loading checks that it fits: the same
architecture, the same classes, the same shapes; each refusal names the file and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from coursekit.fileio import atomic_write
from coursekit.train.torch_file import read_torch_file

if TYPE_CHECKING:
    from coursekit.train.learner import Learner

__all__ = ["load_weights", "save_weights"]


def save_weights(learn: Learner, name: str) -> Path:
    """Write ``models/<name>.pth`` and return its path."""
    state = {
        "model": learn.model.state_dict(),
        "arch": learn.arch,
        "classes": list(learn.data.classes),
    }
    return atomic_write(learn.models_dir / f"{name}.pth", lambda tmp: torch.save(state, tmp))


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


def load_weights(learn: Learner, name: str) -> None:
    """Load ``models/<name>.pth`` into ``learn.model``, refusing one that does not fit."""
    path = learn.models_dir / f"{name}.pth"
    if not path.exists():
        raise FileNotFoundError(
            f"no saved weights {path}; saved ones: "
            f"{sorted(p.stem for p in learn.models_dir.glob('*.pth'))}"
        )
    state = _read(path, learn.device)
    if state.get("arch") != learn.arch:
        raise ValueError(f"{path} holds a {state.get('arch')} but this learner is a {learn.arch}.")
    classes = state.get("classes")
    if classes is None or list(classes) != list(learn.data.classes):
        raise ValueError(
            f"{path} was saved for classes {_preview(classes)} but this data has "
            f"{_preview(learn.data.classes)}; use the same data set (or its classes)."
        )
    try:
        learn.model.load_state_dict(state["model"])
    except RuntimeError as e:
        raise ValueError(f"{path} does not fit this model: {str(e).splitlines()[0]}") from e
