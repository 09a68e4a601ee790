"""LayerGroupsPanel: which layer groups train, and at which learning rates (lessons 1, 2, 4).

    ckw.LayerGroupsPanel(learn)

One toggle per layer group (name, parameter count, trainable or frozen), Freeze and Unfreeze-all
buttons, the per-group learning rates for a top rate and a ratio (the course's rule of thumb:
10x between groups for photos like ImageNet's, 3x for satellite images) with the line of code that
fits with them (nothing is stored on the learner: the rates are used when that line runs), and
``bn_freeze``.
Every change calls the learner (``freeze_to``, ``unfreeze``, ``bn_freeze``); the panel then
redraws from the learner's real state, so ``refresh()`` also shows changes made in code.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as widgets

from coursekit.html_table import html_table
from coursekit.panel import Panel
from coursekit.plotting import presentable
from coursekit.train.plan import FitPlan, lr_text, plan_fit, typed_lr
from coursekit.train.schedules import differential_lrs
from coursekit.widgets.common import enable_colab_widgets, lr_controls

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from coursekit.train.learner import Learner

__all__ = ["LayerGroupsPanel"]


class LayerGroupsPanel(Panel):
    """Freeze, unfreeze and set differential learning rates of ``learn``'s layer groups."""

    def __init__(self, learn: Learner, lr: float = 1e-2, ratio: int = 10):
        enable_colab_widgets()
        self.learn = learn
        self.toggles = [
            widgets.ToggleButton(layout=widgets.Layout(width="460px")) for _ in learn.layer_groups
        ]
        for i, toggle in enumerate(self.toggles):
            toggle.observe(
                self.handler(lambda change, i=i: self._on_toggle(i, change["new"])), names="value"
            )
        self.freeze_button = widgets.Button(
            description="Freeze (train the head only)", layout=widgets.Layout(width="auto")
        )
        self.unfreeze_button = widgets.Button(
            description="Unfreeze all", layout=widgets.Layout(width="auto")
        )
        self.freeze_button.on_click(self.handler(lambda _b: self._change(learn.freeze)))
        self.unfreeze_button.on_click(self.handler(lambda _b: self._change(learn.unfreeze)))
        self.bn = widgets.Checkbox(
            value=learn.bn_frozen,
            description="bn_freeze: keep every BatchNorm layer's statistics",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto"),
        )
        self.bn.observe(
            self.handler(lambda change: self._change(learn.bn_freeze, change["new"])),
            names="value",
        )
        self.lr, self.ratio = lr_controls(lr, ratio, lr_label="top lr")
        self.lrs_view, self.status = widgets.HTML(), widgets.HTML()
        for control in (self.lr, self.ratio):
            control.observe(self.handler(lambda _c: self.refresh()), names="value")
        super().__init__(
            [
                widgets.VBox(self.toggles),
                widgets.HBox([self.freeze_button, self.unfreeze_button]),
                self.bn,
                widgets.HBox([self.lr, self.ratio]),
                self.lrs_view,
                self.status,
            ]
        )
        self.refresh()

    def group_lrs(self) -> list[float]:
        """The learning rate of each group: the top rate divided by the ratio once per group below."""
        lrs = differential_lrs(self.lr.value, len(self.learn.layer_groups), self.ratio.value)
        return [typed_lr(lr) for lr in lrs]

    def _change(self, call: Callable[..., None], *args: object) -> None:
        """Change the learner, then show its real state (also when the change was refused)."""
        try:
            call(*args)
        finally:
            self.refresh()

    def _on_toggle(self, i: int, trainable: bool) -> None:
        # groups train from the first trainable one to the head, as with freeze_to
        self._change(self.learn.freeze_to, i if trainable else i + 1)

    def refresh(self) -> None:
        """Redraw every control from the learner's current state."""
        with self.quietly():  # setting the toggles is no click: no freeze_to
            for toggle, group in zip(self.toggles, self.learn.layer_groups):
                toggle.value = group.trainable
                toggle.description = f"{group.name}: {group.n_params:,} params, {'trainable' if group.trainable else 'frozen'}"
                toggle.button_style = "success" if group.trainable else ""
                toggle.icon = "unlock" if group.trainable else "lock"
            self.bn.value = self.learn.bn_frozen
        lrs = self.group_lrs()
        names = [html.escape(g.name) for g in self.learn.layer_groups]
        self.lrs_view.value = html_table(
            [["group", *names], ["lr", *(lr_text(lr) for lr in lrs)]], row_headers=True
        ) + (f"<code>{self.plan().code}</code>")

    def plan(self) -> FitPlan:
        """The plan of ``learn.fit(<these rates>, 3, cycle_len=1)``, made as ``learn.fit`` makes it. Its
        code line does not depend on the epoch length, so none is asked of the learner (while
        precomputing, that would compute the activations)."""
        return plan_fit(
            self.group_lrs(),
            len(self.learn.layer_groups),
            steps_per_epoch=1,
            n_cycle=3,
            cycle_len=1,
        )

    @presentable
    def figure(self) -> Figure:
        """Parameter counts per group, coloured trainable (green) or frozen (grey)."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 2.5))
        ax = fig.add_subplot()
        groups = self.learn.layer_groups
        ax.barh(
            [g.name for g in groups],
            [g.n_params for g in groups],
            color=["#2ca02c" if g.trainable else "#aaaaaa" for g in groups],
        )
        for i, (g, lr) in enumerate(zip(groups, self.group_lrs())):
            ax.text(
                g.n_params,
                i,
                f"  lr {lr_text(lr)}" if g.trainable else "  frozen",
                va="center",
                fontsize="small",
            )
        ax.set_xlabel("parameters")
        ax.invert_yaxis()
        fig.tight_layout()
        return fig
