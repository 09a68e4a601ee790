"""coursekit: a Jupyter teaching kit for practical deep learning.

>>> import coursekit as ck
>>> path = ck.samples.pets() if ck.sample_mode() else ck.untar_data(ck.URLs.PETS)
>>> data = ck.ImageData.from_name_re(path/'images', pat=ck.PETS_PATTERN, size=224)

Each public name is imported from its module the first time it is used (``_WHERE`` says which
module), so that ``coursekit --help`` answers at once instead of waiting seconds for torch; the
imports under ``TYPE_CHECKING`` say the same to type checkers and editors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coursekit import demo
    from coursekit.config import coursekit_home, sample_mode
    from coursekit.data import samples
    from coursekit.data.download import Archive, DownloadError, UnsafeArchiveError, URLs, untar_data
    from coursekit.data.imagedata import ImageData
    from coursekit.data.images import UnreadableImageError, open_image
    from coursekit.data.kaggle import kaggle_data
    from coursekit.data.labels import PETS_PATTERN, LabelError, get_cv_idxs
    from coursekit.data.photos import photo
    from coursekit.data.planet import planet_data
    from coursekit.data.transforms import IMAGENET_STATS, denormalize, no_aug, side_on, top_down
    from coursekit.presenter import PresenterStyle, present
    from coursekit.seeding import set_seed
    from coursekit.train import schedules
    from coursekit.train.checks import check_claims, check_result
    from coursekit.train.distributed import distribute, launch
    from coursekit.train.imagenet import imagenet_classes, imagenet_top_k
    from coursekit.train.interpret import Interpretation
    from coursekit.train.learner import EVENTS, Learner, cnn_learner, load_learner
    from coursekit.train.lr_finder import LRFinderResult, plot_lr_find, plot_lr_ramp, suggest_lr
    from coursekit.train.metrics import accuracy, accuracy_thresh, error_rate, f2, fbeta
    from coursekit.train.models import ARCHS, LayerGroup, PretrainedWeightsError
    from coursekit.widgets.screen_server import SecondScreen, second_screen

__version__ = "0.1.0"

# Where each public name lives: a module's attribute, or (``demo``, ``samples``, ``schedules``) a
# module.
_WHERE = {
    "accuracy": "coursekit.train.metrics",
    "accuracy_thresh": "coursekit.train.metrics",
    "Archive": "coursekit.data.download",
    "ARCHS": "coursekit.train.models",
    "check_claims": "coursekit.train.checks",
    "check_result": "coursekit.train.checks",
    "cnn_learner": "coursekit.train.learner",
    "coursekit_home": "coursekit.config",
    "demo": "coursekit.demo",
    "denormalize": "coursekit.data.transforms",
    "distribute": "coursekit.train.distributed",
    "DownloadError": "coursekit.data.download",
    "error_rate": "coursekit.train.metrics",
    "EVENTS": "coursekit.train.learner",
    "f2": "coursekit.train.metrics",
    "fbeta": "coursekit.train.metrics",
    "get_cv_idxs": "coursekit.data.labels",
    "ImageData": "coursekit.data.imagedata",
    "imagenet_classes": "coursekit.train.imagenet",
    "IMAGENET_STATS": "coursekit.data.transforms",
    "imagenet_top_k": "coursekit.train.imagenet",
    "Interpretation": "coursekit.train.interpret",
    "kaggle_data": "coursekit.data.kaggle",
    "LabelError": "coursekit.data.labels",
    "launch": "coursekit.train.distributed",
    "LayerGroup": "coursekit.train.models",
    "Learner": "coursekit.train.learner",
    "load_learner": "coursekit.train.learner",
    "LRFinderResult": "coursekit.train.lr_finder",
    "no_aug": "coursekit.data.transforms",
    "open_image": "coursekit.data.images",
    "PETS_PATTERN": "coursekit.data.labels",
    "photo": "coursekit.data.photos",
    "planet_data": "coursekit.data.planet",
    "plot_lr_find": "coursekit.train.lr_finder",
    "plot_lr_ramp": "coursekit.train.lr_finder",
    "present": "coursekit.presenter",
    "PresenterStyle": "coursekit.presenter",
    "PretrainedWeightsError": "coursekit.train.models",
    "sample_mode": "coursekit.config",
    "samples": "coursekit.data.samples",
    "schedules": "coursekit.train.schedules",
    "second_screen": "coursekit.widgets.screen_server",
    "SecondScreen": "coursekit.widgets.screen_server",
    "set_seed": "coursekit.seeding",
    "side_on": "coursekit.data.transforms",
    "suggest_lr": "coursekit.train.lr_finder",
    "top_down": "coursekit.data.transforms",
    "UnreadableImageError": "coursekit.data.images",
    "UnsafeArchiveError": "coursekit.data.download",
    "untar_data": "coursekit.data.download",
    "URLs": "coursekit.data.download",
}


def __getattr__(name: str) -> Any:
    """``ck.Learner`` and the rest: imported on first use, then kept in this module."""
    if name not in _WHERE:
        raise AttributeError(f"module 'coursekit' has no attribute {name!r}")
    where = _WHERE[name]
    if where.endswith(f".{name}"):  # a module of its own
        value = importlib.import_module(where)
    else:
        value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
    "ARCHS",
    "EVENTS",
    "IMAGENET_STATS",
    "PETS_PATTERN",
    "Archive",
    "DownloadError",
    "ImageData",
    "Interpretation",
    "LRFinderResult",
    "LabelError",
    "LayerGroup",
    "Learner",
    "PresenterStyle",
    "PretrainedWeightsError",
    "SecondScreen",
    "URLs",
    "UnreadableImageError",
    "UnsafeArchiveError",
    "accuracy",
    "accuracy_thresh",
    "check_claims",
    "check_result",
    "cnn_learner",
    "coursekit_home",
    "demo",
    "denormalize",
    "distribute",
    "error_rate",
    "f2",
    "fbeta",
    "get_cv_idxs",
    "imagenet_classes",
    "imagenet_top_k",
    "kaggle_data",
    "launch",
    "load_learner",
    "no_aug",
    "open_image",
    "photo",
    "planet_data",
    "plot_lr_find",
    "plot_lr_ramp",
    "present",
    "sample_mode",
    "samples",
    "schedules",
    "second_screen",
    "set_seed",
    "side_on",
    "suggest_lr",
    "top_down",
    "untar_data",
]
