"""The trainer core: models and layer groups, schedules, the Learner, LR finder, metrics."""

from coursekit.train.learner import EVENTS, Learner, cnn_learner
from coursekit.train.lr_finder import LRFinderResult, plot_lr_find, plot_lr_ramp, suggest_lr
from coursekit.train.metrics import accuracy, accuracy_thresh, error_rate, f2, fbeta
from coursekit.train.models import ARCHS, LayerGroup, PretrainedWeightsError

__all__ = [
    "ARCHS",
    "EVENTS",
    "LRFinderResult",
    "LayerGroup",
    "Learner",
    "PretrainedWeightsError",
    "accuracy",
    "accuracy_thresh",
    "cnn_learner",
    "error_rate",
    "f2",
    "fbeta",
    "plot_lr_find",
    "plot_lr_ramp",
    "suggest_lr",
]
