"""LRFinderPanel: run the learning-rate finder, then slide along its curve to choose a rate.

    panel = ckw.LRFinderPanel(learn)             # Run, or open on an existing result:
    panel = ckw.LRFinderPanel(learn, result=result, lr=result.min_lr_div10)   # lessons 1, 2
    lr = panel.lr                                # the rate chosen: the next cell fits with it

The slider moves a vertical line along the smoothed-loss curve and reads out the learning rate
and loss under it. The dashed line marks ``lr`` (the rate a rule gives; the result's suggestion by
default), where the slider starts. "Use this learning rate" stores the slider's rate, rounded as a
student types it, in ``panel.lr`` and shows the line of code that fits at that rate; a lesson's next
cell reads ``panel.lr`` (nothing is stored on the learner).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from coursekit.panel import Panel
from coursekit.plotting import presentable
from coursekit.train.lr_finder import LRFinderResult, plot_lr_find
from coursekit.train.plan import lr_slider_format, lr_text, typed_lr
from coursekit.widgets.common import enable_colab_widgets, y_axis

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from coursekit.train.learner import Learner

__all__ = ["LRFinderPanel"]


class LRFinderPanel(Panel):
    """The learning-rate finder of ``learn`` as a panel; see the module docstring."""

    def __init__(
        self,
        learn: Learner,
        result: LRFinderResult | None = None,
        num_it: int = 100,
        lr: float | None = None,
    ):
        enable_colab_widgets()
        self.learn, self.num_it = learn, num_it
        self.result: LRFinderResult | None = None
        self.marked_lr = lr  # the rate to mark and start at; None: each result's suggestion
        self.lr: float | None = None  # the rate chosen ("Use this learning rate"), rounded
        self.run = widgets.Button(description="Run lr_find", button_style="primary")
        self.progress = widgets.IntProgress(value=0, min=0, max=num_it, description="progress")
        self.slider = widgets.FloatLogSlider(
            value=1e-3,
            base=10,
            min=-7,
            max=1,
            step=0.01,
            description="lr",
            readout_format=lr_slider_format(digits=1),
        )
        self.readout = widgets.HTML()
        self.use = widgets.Button(
            description="Use this learning rate", disabled=True, layout=widgets.Layout(width="auto")
        )
        self.code, self.status = widgets.HTML(), widgets.HTML()
        x, y = bq.LogScale(), bq.LinearScale()
        self.curve = bq.Lines(x=[], y=[], scales={"x": x, "y": y}, colors=["#1f77b4"])
        self.suggestion_line = bq.Lines(
            x=[], y=[], scales={"x": x, "y": y}, colors=["red"], line_style="dashed"
        )
        self.marker = bq.Lines(x=[], y=[], scales={"x": x, "y": y}, colors=["black"])
        self.plot = bq.Figure(
            marks=[self.curve, self.suggestion_line, self.marker],
            axes=[bq.Axis(scale=x, label="learning rate (log scale)"), y_axis(y, "smoothed loss")],
            layout=widgets.Layout(width="600px", height="360px"),
            fig_margin={"top": 20, "bottom": 50, "left": 60, "right": 20},
        )
        self.run.on_click(self.handler(lambda _b: self.run_finder()))
        self.use.on_click(self.handler(lambda _b: self.use_lr()))
        self.slider.observe(self.handler(lambda _c: self._move_marker()), names="value")
        super().__init__(
            [
                widgets.HBox([self.run, self.progress]),
                self.plot,
                widgets.HBox([self.slider, self.readout]),
                widgets.HBox([self.use, self.code]),
                self.status,
            ]
        )
        if result is not None:
            self.show(result)

    def run_finder(self) -> LRFinderResult:
        """Run ``learn.lr_find`` (the model is restored afterwards) and show its curve."""
        self.run.disabled = True
        try:
            result = self.learn.lr_find(num_it=self.num_it, quiet=True, on_step=self._on_step)
        finally:
            self.run.disabled = False
        self.show(result)
        return result

    def _on_step(self, step: int, n: int) -> None:
        self.progress.max, self.progress.value = n, step

    def _finite(self) -> tuple[np.ndarray, np.ndarray]:
        if self.result is None:
            return np.empty(0), np.empty(0)
        lrs, losses = np.asarray(self.result.lrs), np.asarray(self.result.losses)
        ok = np.isfinite(losses)
        return lrs[ok], losses[ok]

    def show(self, result: LRFinderResult) -> None:
        """Draw ``result``: the curve, the suggestion, and the slider over its range."""
        self.result = result
        lrs, losses = self._finite()
        if len(lrs) == 0:
            self.readout.value = "<b>no finite losses:</b> try a smaller start_lr"
            return
        marked = self.marked()
        # the slider covers the curve, and the marked rate even where the curve stopped before it
        ends = [lrs.min(), lrs.max()] + ([marked] if marked else [])
        low, high = math.log10(min(ends)), math.log10(max(ends))
        with self.curve.hold_sync():
            self.curve.x, self.curve.y = lrs, losses
        # widen before narrowing: a slider refuses min > max at any moment
        self.slider.min, self.slider.max = min(low, self.slider.min), max(high, self.slider.max)
        self.slider.min, self.slider.max = low, high
        if marked:
            with self.suggestion_line.hold_sync():
                self.suggestion_line.x = [marked] * 2
                self.suggestion_line.y = [float(losses.min()), float(losses.max())]
        self.slider.value = marked or float(lrs[len(lrs) // 2])
        self.use.disabled = False
        self._move_marker()
        self.use_lr()

    def marked(self) -> float | None:
        """The rate the dashed line marks: the panel's ``lr`` if given, else the suggestion."""
        if self.result is None:
            return None
        return self.marked_lr or self.result.suggestion

    def loss_at(self, lr: float) -> float:
        """The smoothed loss at ``lr``, interpolated on the log scale."""
        lrs, losses = self._finite()
        return float(np.interp(math.log10(lr), np.log10(lrs), losses))

    def _move_marker(self) -> None:
        if self.result is None or not len(self._finite()[0]):
            return
        lr = float(self.slider.value)
        _, losses = self._finite()
        with self.marker.hold_sync():
            self.marker.x, self.marker.y = [lr, lr], [float(losses.min()), float(losses.max())]
        marked = self.marked()
        name = "dashed line" if self.marked_lr else "suggestion"
        hint = f" ({name} {lr_text(marked)})" if marked else ""
        self.readout.value = (
            f"lr <b>{lr_text(lr)}</b>, smoothed loss <b>{self.loss_at(lr):.3f}</b>{hint}"
        )

    def use_lr(self) -> float:
        """Choose the slider's rate, rounded as a student types it: stored in ``panel.lr`` (the
        next cell reads it) and shown as the line of code that fits with it."""
        lr = typed_lr(
            self.slider.value, digits=1
        )  # read off a curve: one digit, as the course does
        self.lr = lr
        self.code.value = f"chosen: <code>lr = {lr_text(lr)}</code>; e.g. <code>learn.fit(lr, 3, cycle_len=1)</code>"
        return lr

    @presentable
    def figure(self) -> Figure:
        """The panel as a static matplotlib figure: the curve, the suggestion, the slider's line."""
        if self.result is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(6, 4))
            fig.text(0.5, 0.5, "press Run to find a learning rate", ha="center")
            return fig
        fig = plot_lr_find(self.result, skip_end=0, lr=self.marked_lr)
        ax = fig.axes[0]
        if self.lr is not None:
            ax.axvline(self.lr, color="black", label=f"panel.lr {lr_text(self.lr)}")
            ax.legend()
        return fig
