"""SchedulePanel: see the learning rate at every iteration of a fit before running it.

    ckw.SchedulePanel()                 # explore SGDR, constant and one-cycle schedules
    ckw.SchedulePanel(learn)            # ... with the learner's layer groups and epoch length, and
                                        # follow its fits live; "Fit" runs the plan shown

The plan is a ``FitPlan`` made by ``coursekit.train.plan.plan_fit`` or ``plan_one_cycle`` — the
very functions ``learn.fit`` and ``learn.fit_one_cycle`` use — and "Fit" runs that same object
(``learn.run_plan``), so what is drawn is what the fit does; the code line shown is the plan's. With a learner, a marker follows the current iteration and
the learning rates actually applied (``learn.recorder.lrs``) are drawn over the plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from coursekit.panel import Panel
from coursekit.plotting import presentable
from coursekit.train.plan import FitPlan, plan_fit, plan_one_cycle, typed_lr
from coursekit.train.schedules import differential_lrs
from coursekit.widgets.common import Throttle, decimate, enable_colab_widgets, lr_controls, y_axis

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from coursekit.train.background import BackgroundFit
    from coursekit.train.learner import Learner
    from coursekit.train.recorder import Recorder

__all__ = ["SchedulePanel"]

COLOURS = ["#9467bd", "#ff7f0e", "#1f77b4", "#2ca02c", "#d62728"]


class SchedulePanel(Panel):
    """Controls for a fit's schedule and a plot of its learning rates; see the module docstring."""

    def __init__(
        self,
        learn: Learner | None = None,
        lr: float = 1e-2,
        n_cycle: int = 3,
        cycle_len: int = 1,
        cycle_mult: int = 2,
        steps_per_epoch: int | None = None,
        max_points: int = 600,
    ):
        enable_colab_widgets()
        self.learn, self.max_points, self.throttle = learn, max_points, Throttle(10)
        self.n_groups = len(learn.layer_groups) if learn is not None else 3
        if steps_per_epoch is None:
            steps_per_epoch = len(learn.loader("train", shuffle=True)) if learn is not None else 100
        self.mode = widgets.ToggleButtons(
            options=["SGDR", "constant", "one-cycle"], value="SGDR", description="mode"
        )
        self.lr, self.ratio = lr_controls(lr, ratio=1)
        self.n_cycle = widgets.IntSlider(value=n_cycle, min=1, max=100, description="n_cycle")
        self.cycle_len = widgets.IntSlider(value=cycle_len, min=1, max=10, description="cycle_len")
        self.cycle_mult = widgets.IntSlider(
            value=cycle_mult, min=1, max=4, description="cycle_mult"
        )
        self.steps_per_epoch = widgets.BoundedIntText(
            value=steps_per_epoch,
            min=1,
            max=100_000,
            description="steps/epoch",
            disabled=learn is not None,
        )
        self.summary, self.status = widgets.HTML(), widgets.HTML()
        self.fit_button = widgets.Button(
            description="Fit with this schedule",
            disabled=learn is None,
            layout=widgets.Layout(width="auto"),
            button_style="primary",
        )
        x, y = bq.LinearScale(), bq.LinearScale(min=0.0)
        self.scales = {"x": x, "y": y}
        self.plan_lines = bq.Lines(
            x=[],
            y=[],
            scales=self.scales,
            colors=COLOURS[-self.n_groups :],
            stroke_width=2,
            labels=[f"group {i}" for i in range(self.n_groups)],
            display_legend=True,
        )
        self.boundaries = bq.Lines(
            x=[], y=[], scales=self.scales, colors=["#bbbbbb"], line_style="dashed"
        )
        self.actual = bq.Lines(
            x=[],
            y=[],
            scales=self.scales,
            colors=["black"],
            stroke_width=1,
            labels=["applied (the learner's last fit)"],
            display_legend=True,
        )
        self.marker = bq.Lines(x=[], y=[], scales=self.scales, colors=["red"])
        self.plot = bq.Figure(
            marks=[self.boundaries, self.plan_lines, self.actual, self.marker],
            axes=[
                bq.Axis(scale=x, label="iteration"),
                y_axis(y, "learning rate", tick_format=".2~e"),
            ],
            layout=widgets.Layout(width="700px", height="340px"),
            fig_margin={"top": 20, "bottom": 50, "left": 70, "right": 20},
        )
        for control in (
            self.mode,
            self.lr,
            self.ratio,
            self.n_cycle,
            self.cycle_len,
            self.cycle_mult,
            self.steps_per_epoch,
        ):
            control.observe(self.handler(lambda _c: self.redraw()), names="value")
        self.fit_button.on_click(self.handler(lambda _b: self.fit(background=True)))
        super().__init__(
            [
                self.mode,
                widgets.HBox([self.lr, self.ratio]),
                widgets.HBox([self.n_cycle, self.cycle_len, self.cycle_mult]),
                widgets.HBox([self.steps_per_epoch, self.summary]),
                self.plot,
                self.fit_button,
                self.status,
            ]
        )
        if learn is not None:
            self.listen(
                learn,
                before_fit=self._on_before_fit,
                after_batch=self._on_batch,
                after_fit=self._on_after_fit,
            )
        self.redraw()

    # ---------------------------------------------------------------------------- the plan
    def group_lrs(self) -> list[float]:
        """One rate per layer group: the top rate, divided by the ratio once per group below it,
        rounded to two digits as a student would type them (so the code line is the exact fit)."""
        return [
            typed_lr(lr) for lr in differential_lrs(self.lr.value, self.n_groups, self.ratio.value)
        ]

    def plan(self) -> FitPlan:
        """The plan of the fit these controls describe, made by the planner of its mode."""
        lrs = self.group_lrs()[-1] if self.ratio.value == 1 else self.group_lrs()
        spe, n = self.steps_per_epoch.value, self.n_cycle.value
        if self.mode.value == "one-cycle":
            return plan_one_cycle(lrs, self.n_groups, spe, n)
        cycle_len = self.cycle_len.value if self.mode.value == "SGDR" else None
        return plan_fit(lrs, self.n_groups, spe, n, cycle_len, self.cycle_mult.value)

    def code(self) -> str:
        """The line of code that runs this fit (the plan's own)."""
        return self.plan().code

    def redraw(self) -> None:
        """Recompute the plan and update the marks' data in place (decimated to ``max_points``)."""
        self.cycle_len.disabled = self.cycle_mult.disabled = self.mode.value != "SGDR"
        plan = self.plan()
        if plan.n_epochs > 10_000:  # e.g. 60 cycles doubling in length: nobody trains that long
            self.summary.value = (
                f"<b>{plan.n_epochs:.3g}</b> epochs: too long to plan; lower n_cycle or cycle_mult"
            )
            return
        jumps = (*plan.cycle_ends, plan.schedule.warmup_steps)  # drawn as steps, not slopes
        steps = decimate(plan.total_steps, self.max_points, keep=jumps)
        top = np.array([plan.schedule.lr_at(int(s)) for s in steps])
        ends = plan.cycle_ends[:-1]
        with self.plot.hold_sync():
            self.plan_lines.x = steps
            self.plan_lines.y = np.outer(plan.schedule.scales, top)
            self.boundaries.x = [[e, e] for e in ends]
            self.boundaries.y = [[0, self.lr.value] for _ in ends]
        self.summary.value = (
            f"<b>{plan.n_epochs}</b> epochs, {plan.total_steps:,} iterations"
            f"{f', {len(plan.cycle_ends)} cycles' if plan.cycle_ends else ''}: "
            f"<code>{plan.code}</code>"
        )

    # ------------------------------------------------------------------------ following a fit
    def fit(self, background: bool = False) -> Recorder | BackgroundFit:
        """Run the plan this panel shows on its learner (in a thread with ``background=True``)."""
        if self.learn is None:
            raise ValueError("this SchedulePanel has no learner: make it with SchedulePanel(learn)")
        return self.learn.run_plan(self.plan(), background=background, quiet=background)

    def _on_before_fit(self, learn: Learner) -> None:
        with self.plot.hold_sync():
            self.actual.x, self.actual.y, self.marker.x, self.marker.y = [], [], [], []

    def _on_batch(self, learn: Learner) -> None:
        if self.throttle.ready():
            self.follow(learn.recorder)

    def _on_after_fit(self, learn: Learner) -> None:
        self.follow(learn.recorder)

    def follow(self, recorder: Recorder) -> None:
        """Draw the learning rates the fit applied so far (top group) and mark its iteration."""
        n = len(recorder.lrs)
        if not n:
            return
        idx = decimate(n, self.max_points)
        top = np.array([recorder.lrs[i][-1] for i in idx])
        with self.plot.hold_sync():
            self.actual.x, self.actual.y = idx, top
            self.marker.x, self.marker.y = [n - 1, n - 1], [0, float(max(top.max(), self.lr.value))]

    @presentable
    def figure(self) -> Figure:
        """The plan (and what was applied, if following a fit) as a static matplotlib figure."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 3.5))
        ax = fig.add_subplot()
        plan = self.plan()
        jumps = (*plan.cycle_ends, plan.schedule.warmup_steps)  # drawn as steps, not slopes
        steps = decimate(plan.total_steps, self.max_points, keep=jumps)
        top = np.array([plan.schedule.lr_at(int(s)) for s in steps])
        for g, scale in enumerate(plan.schedule.scales):
            ax.plot(steps, top * scale, label=f"group {g}")
        for end in plan.cycle_ends[:-1]:
            ax.axvline(end, color="#bbbbbb", linestyle="--")
        if len(self.actual.x):
            ax.plot(
                self.actual.x,
                self.actual.y,
                color="black",
                linewidth=1,
                label="applied (the learner's last fit)",
            )
        ax.set_xlabel("iteration")
        ax.set_ylabel("learning rate")
        ax.set_title(plan.code, fontsize="small")
        ax.legend()
        return fig
