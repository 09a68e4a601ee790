"""TrainingMonitor: watch a fit live, and stop it (lessons 1-4).

    monitor = ckw.TrainingMonitor(learn)
    monitor                                            # show it, then in the next cell:
    learn.fit(1e-2, 3, cycle_len=1, background=True)   # the Stop button works mid-epoch

It draws the smoothed training loss per batch and the validation loss per epoch, a progress bar,
the epoch table and the last fit's error, if any. It listens to the learner's events; from a
background thread it only changes widget traits (never ``with output:``), and it redraws at most
ten times a second, so it costs the fit almost nothing.

``monitor.open_second_screen()`` shows the same curves in a browser tab of their own, for the
projector (``coursekit.widgets.screen_server``); closing the monitor closes it.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from coursekit.panel import Panel, error_html
from coursekit.plotting import presentable
from coursekit.train.epoch_table import epoch_table_html
from coursekit.train.recorder import SmoothedLoss
from coursekit.widgets.common import Throttle, decimate, enable_colab_widgets, y_axis
from coursekit.widgets.screen_server import SecondScreen, second_screen

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from coursekit.train.learner import Learner

__all__ = ["TrainingMonitor"]


class TrainingMonitor(Panel):
    """Live loss plot, progress, epoch table and a Stop button for ``learn``'s fits."""

    second_screen: SecondScreen | None = None  # open_second_screen()'s, until close()

    def __init__(
        self,
        learn: Learner,
        redraws_per_second: float = 10.0,
        max_points: int = 600,
        beta: float = 0.98,
    ):
        enable_colab_widgets()
        self.learn, self.max_points, self.beta = learn, max_points, beta
        self.throttle = Throttle(redraws_per_second)
        self.smoothed: list[float] = []
        self.smoother = SmoothedLoss(beta)
        x, y = bq.LinearScale(), bq.LinearScale()
        self.train_line = bq.Lines(
            x=[],
            y=[],
            scales={"x": x, "y": y},
            colors=["#1f77b4"],
            labels=["train (smoothed)"],
            display_legend=True,
        )
        self.valid_line = bq.Lines(
            x=[],
            y=[],
            scales={"x": x, "y": y},
            colors=["#ff7f0e"],
            marker="circle",
            labels=["valid"],
            display_legend=True,
        )
        self.plot = bq.Figure(
            marks=[self.train_line, self.valid_line],
            axes=[bq.Axis(scale=x, label="batch"), y_axis(y, "loss")],
            layout=widgets.Layout(width="600px", height="320px"),
            fig_margin={"top": 20, "bottom": 50, "left": 60, "right": 20},
        )
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="batches")
        self.status = widgets.HTML("waiting for a fit")
        self.table = widgets.HTML()
        self.stop_button = widgets.Button(
            description="Stop", button_style="danger", icon="stop", disabled=True
        )
        self.stop_button.on_click(self.handler(lambda _b: self.stop()))
        super().__init__(
            [widgets.HBox([self.progress, self.stop_button, self.status]), self.plot, self.table]
        )
        self.listen(
            learn,
            before_fit=self._before_fit,
            after_batch=self._after_batch,
            after_epoch=self._after_epoch,
            after_fit=self._after_fit,
        )

    def stop(self) -> None:
        """Ask the fit to stop at the next batch (what the Stop button does)."""
        self.learn.stop()
        self.status.value = "stopping at the next batch..."

    def open_second_screen(self, port: int = 0) -> str:
        """Serve these curves on http://127.0.0.1:PORT/ for a second tab or window (the projector)
        and return that address; ``close()`` stops it. See ``ck.second_screen``."""
        if self.second_screen is None:
            self.second_screen = second_screen(self.learn, port=port)
        return self.second_screen.url

    def close(self) -> None:
        """Detach the listeners, stop the second screen if one is open, and close the panel."""
        if self.second_screen is not None:
            self.second_screen.close()
            self.second_screen = None
        super().close()

    # -------------------------------------------------------------------------- events
    def _before_fit(self, learn: Learner) -> None:
        self.smoothed, self.smoother = [], SmoothedLoss(self.beta)
        with self.plot.hold_sync():
            self.train_line.x, self.train_line.y, self.valid_line.x, self.valid_line.y = (
                [],
                [],
                [],
                [],
            )
        self.progress.max, self.progress.value = max(1, learn.recorder.n_iterations), 0
        self.stop_button.disabled = False
        self.status.value = f"training: {learn.recorder.n_epochs} epochs"
        if learn.recorder.demo:  # ck.demo: "replaying the recording of ... (10x)", or why not
            self.status.value += f" &mdash; {html.escape(learn.recorder.demo)}"
        self.table.value = ""

    def _after_batch(self, learn: Learner) -> None:
        # the per-batch cost: one moving-average update; drawing waits for the throttle
        self.smoothed.append(self.smoother.update(learn.recorder.losses[-1]))
        if self.throttle.ready():
            self.redraw()

    def _after_epoch(self, learn: Learner) -> None:
        self.redraw()

    def _after_fit(self, learn: Learner) -> None:
        self.redraw()
        self.stop_button.disabled = True
        rec = learn.recorder
        if rec.error is not None:
            kind = "interrupted" if isinstance(rec.error, KeyboardInterrupt) else "failed"
            self.status.value = error_html(f"fit {kind}", rec.error)
        elif rec.stopped:
            self.status.value = f"<b>fit ended early:</b> {html.escape(rec.stopped)}"
        else:
            self.status.value = f"done: {len(rec.rows)} epochs"

    # -------------------------------------------------------------------------- drawing
    def redraw(self) -> None:
        """Update the marks' data in place from the recorder and the smoothed losses."""
        rec = self.learn.recorder
        n = len(self.smoothed)
        idx = decimate(n, self.max_points)
        per_epoch = rec.n_iterations // max(1, rec.n_epochs)
        with self.plot.hold_sync():
            self.train_line.x, self.train_line.y = idx, np.asarray(self.smoothed)[idx] if n else []
            self.valid_line.x = [per_epoch * (i + 1) - 1 for i in range(len(rec.rows))]
            self.valid_line.y = [row["val_loss"] for row in rec.rows]
        self.progress.value = min(rec.iteration, self.progress.max)
        if rec.rows:
            self.table.value = epoch_table_html(list(rec.rows[0]), rec.rows)

    @presentable
    def figure(self) -> Figure:
        """The losses so far as a static matplotlib figure."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4))
        ax = fig.add_subplot()
        ax.plot(self.smoothed, label="train (smoothed)")
        if len(self.valid_line.x):
            ax.plot(self.valid_line.x, self.valid_line.y, "o-", label="valid")
        ax.set_xlabel("batch")
        ax.set_ylabel("loss")
        ax.legend()
        return fig
