"""What every panel needs: Colab's widget manager, throttled redraws, decimated plots."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np

from coursekit.train.plan import lr_slider_format

__all__ = [
    "GROUP_RATIOS",
    "Throttle",
    "decimate",
    "enable_colab_widgets",
    "lr_controls",
    "y_axis",
]


def enable_colab_widgets() -> bool:
    """In Google Colab, switch on the custom widget manager that bqplot needs; elsewhere do nothing
    (the call raises outside Colab, so it is guarded). Returns True when it was switched on."""
    if "google.colab" not in sys.modules:
        return False
    try:
        from google.colab import output

        output.enable_custom_widget_manager()
        return True
    except Exception:  # an older or future Colab without it: the panels still build
        return False


class Throttle:
    """``ready()`` is True at most ``per_second`` times a second: live plots redraw no faster."""

    def __init__(self, per_second: float = 10.0):
        self.interval, self.last = 1.0 / per_second, -float("inf")

    def ready(self) -> bool:
        now = time.perf_counter()
        if now - self.last >= self.interval:
            self.last = now
            return True
        return False


def decimate(n: int, max_points: int = 600, keep: Iterable[int] = ()) -> np.ndarray:
    """At most about ``max_points`` sorted indices into ``range(n)``, evenly spread, always including
    0, n-1 and each index in ``keep`` with its neighbour before (so a restart's jump is drawn).

    >>> decimate(1000, max_points=5).tolist()
    [0, 250, 500, 749, 999]
    >>> decimate(1000, max_points=5, keep=[300]).tolist()  # a restart at step 300
    [0, 250, 299, 300, 500, 749, 999]
    """
    if n <= max_points:
        return np.arange(n)
    idx = np.linspace(0, n - 1, max_points).round().astype(np.int64)
    extra = [k for s in keep for k in (s - 1, s) if 0 <= k < n]
    return np.unique(np.concatenate([idx, np.asarray(extra, dtype=np.int64)]))


def y_axis(scale: Any, label: str, **kwargs: Any) -> Any:
    """A vertical bqplot axis on bqplot 0.12 (Colab: ``orientation='vertical'``) and 0.13 (``side='left'``)."""
    import bqplot as bq

    if "orientation" in bq.Axis.class_trait_names():
        kwargs["orientation"] = "vertical"
    return bq.Axis(scale=scale, label=label, side="left", **kwargs)


# differential learning rates: the factor between one layer group's rate and the next (lesson 2)
GROUP_RATIOS = [
    ("10x between groups: photos like ImageNet's", 10),
    ("3x between groups: satellite images", 3),
    ("1x: the same rate for every group", 1),
]


def lr_controls(
    lr: float, ratio: int, lr_label: str = "lr"
) -> tuple[widgets.FloatLogSlider, widgets.Dropdown]:
    """A learning-rate slider on a log scale (1e-6 to 1) and the ratio between layer groups' rates,
    as the schedule and layer-groups panels show them."""
    slider = widgets.FloatLogSlider(
        value=lr,
        base=10,
        min=-6,
        max=0,
        step=0.1,
        description=lr_label,
        readout_format=lr_slider_format(),
    )
    return slider, widgets.Dropdown(options=GROUP_RATIOS, value=ratio, description="groups")
