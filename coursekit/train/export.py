"""Export a trained learner to one file, and load it back where the training data is absent.

    learn.export('pets.pth')                      # beside the data: <data.path>/pets.pth
    learn = ck.load_learner(path/'pets.pth')      # on another machine: no images needed
    label, index, probs = learn.predict('my_cat.jpg')

The file holds only tensors and plain data (strings, numbers, lists): the architecture's name,
the weights, the classes, the picture size, the normalisation and the multi-label threshold.
It loads with ``torch.load(..., weights_only=True)``, which never runs code, so opening an
exported model from someone else is safe. A file holding pickled objects (``torch.save(model)``,
fastai's ``export.pkl``) is refused rather than executed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import torch
from torch import nn

from coursekit.data.transforms import IMAGENET_STATS, Augmentation, Stats
from coursekit.fileio import atomic_write
from coursekit.train.convnet import LayerGroup
from coursekit.train.learner_data import LearnerData
from coursekit.train.models import ARCHS, create_convnet
from coursekit.train.torch_file import read_torch_file

__all__ = ["EXPORT_FORMAT", "Exported", "InferenceData", "export", "export_path", "read_export"]

EXPORT_FORMAT = "coursekit-export-1"


@dataclass
class InferenceData:
    """What a learner needs of its data to predict: classes, picture size, normalisation.

    ``load_learner`` gives the learner one of these in place of an ``ImageData`` (both are
    ``LearnerData``); it has no images, so ``get_preds`` and ``fit`` say there is no data rather
    than failing later.
    """

    path: Path
    classes: list[str]
    size: int
    stats: Stats = IMAGENET_STATS
    multilabel: bool = False
    bs: int = 64
    aug: Augmentation | None = None
    max_zoom: float = 1.0
    train_ds = None
    valid_ds = None
    test_ds = None

    @property
    def c(self) -> int:
        return len(self.classes)

    @property
    def is_multilabel(self) -> bool:
        return self.multilabel

    def split(self, name: str) -> NoReturn:
        raise ValueError(
            f"this data has no {name} set: the learner was loaded with load_learner and has no "
            "images. It can predict single images; to train or evaluate, build an ImageData and "
            "use Learner.pretrained."
        )

    def split_paths(self, name: str) -> NoReturn:
        self.split(name)

    def loader(self, dataset: object, shuffle: bool = False, bs: int | None = None) -> NoReturn:
        self.split("train")

    def __repr__(self) -> str:
        kind = "multi-label" if self.multilabel else "single-label"
        return f"InferenceData({kind}, {self.c} classes, size={self.size})"


def export_path(data_path: Path, fname: str | os.PathLike[str]) -> Path:
    """Where ``learn.export(fname)`` writes: ``fname`` (``.pth`` added when it has no suffix),
    relative to the data folder ``data_path`` unless absolute, as in fastai (``learn.path``)."""
    path = Path(fname)
    if not path.suffix:
        path = path.with_suffix(".pth")
    return path if path.is_absolute() else Path(data_path) / path


def export(
    path: Path, model: nn.Module, arch: str | None, data: LearnerData, thresh: float
) -> Path:
    """Write everything inference needs to ``path`` (atomically) and return it: ``model``'s
    weights, its architecture ``arch``, ``data``'s classes, picture size and normalisation, and
    the multi-label threshold ``thresh``."""
    if arch not in ARCHS:
        raise ValueError(
            f"export needs a learner made by Learner.pretrained (a known architecture: "
            f"{sorted(ARCHS)}); this one's model is a {type(model).__name__}. "
            f"Save its weights with learn.save(name) instead."
        )
    state = {
        "format": EXPORT_FORMAT,
        "arch": arch,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "classes": [str(c) for c in data.classes],
        "size": int(data.size),
        "stats": [[float(v) for v in data.stats[0]], [float(v) for v in data.stats[1]]],
        "multilabel": bool(data.is_multilabel),
        "thresh": float(thresh),
    }
    return atomic_write(path, lambda tmp: torch.save(state, tmp))


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise FileNotFoundError(
            f"no exported learner at {path}; write one with learn.export({path.name!r})."
        )
    state = read_torch_file(
        path,
        "cpu",
        "coursekit export",
        "load_learner reads the file that learn.export(...) wrote. To predict on a picture, "
        "give it to learn.predict(...) after loading.",
    )
    if not isinstance(state, dict) or state.get("format") != EXPORT_FORMAT:
        raise ValueError(
            f"{path} is not a coursekit export (no format {EXPORT_FORMAT!r}); weights saved with "
            f"learn.save() load with learn.load(name) on a learner built on the same data."
        )
    return state


@dataclass
class Exported:
    """What ``learn.export`` wrote, ready to build a learner from (``Learner.from_export``)."""

    model: nn.Module
    layer_groups: list[LayerGroup]
    data: InferenceData
    arch: str
    thresh: float


def read_export(path: str | os.PathLike[str]) -> Exported:
    """The network, its layer groups and an ``InferenceData`` from ``learn.export``'s file."""
    path = Path(path)
    state = _read(path)
    if state["arch"] not in ARCHS:
        raise ValueError(
            f"{path} holds a {state['arch']!r} model, an architecture this coursekit does not "
            f"know ({sorted(ARCHS)})."
        )
    model, groups = create_convnet(state["arch"], len(state["classes"]), pretrained=False)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as e:
        raise ValueError(
            f"{path}: the weights do not fit a {state['arch']}: {str(e).splitlines()[0]}"
        ) from None
    data = InferenceData(
        path.parent,
        list(state["classes"]),
        int(state["size"]),
        (tuple(state["stats"][0]), tuple(state["stats"][1])),
        bool(state["multilabel"]),
    )
    return Exported(model, groups, data, state["arch"], float(state["thresh"]))
