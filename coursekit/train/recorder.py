"""What happened during training: ``learn.recorder`` keeps it (``epoch_table.py`` shows it).

``learn.recorder`` holds, per batch, the learning rate of every layer group and the training
loss; per epoch, a row of the epoch table. Panels read it live; ``plot_losses`` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from coursekit.plotting import axes_and_figure, presentable

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["Recorder", "SmoothedLoss", "smooth"]


class SmoothedLoss:
    """Exponentially weighted moving average with bias correction (the first values are not
    pulled towards zero): ``avg = beta*avg + (1-beta)*loss; smoothed = avg / (1 - beta**i)``.
    One update per batch: the LR finder and the training monitor keep one as the fit goes."""

    def __init__(self, beta: float = 0.98):
        self.beta, self.avg, self.count = beta, 0.0, 0

    def update(self, loss: float) -> float:
        """Add one loss; return the smoothed value so far."""
        self.count += 1
        self.avg = self.beta * self.avg + (1 - self.beta) * loss
        return self.avg / (1 - self.beta**self.count)


def smooth(losses: list[float], beta: float = 0.98) -> list[float]:
    """The smoothed value after each of ``losses`` (see ``SmoothedLoss``)."""
    smoother = SmoothedLoss(beta)
    return [smoother.update(loss) for loss in losses]


@dataclass(repr=False)
class Recorder:
    """Per-batch learning rates (one list per layer group) and losses, and the epoch table rows."""

    lrs: list[list[float]] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    momentums: list[float] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    iteration: int = 0  # batches done in the current fit
    n_iterations: int = 0  # batches planned for the current fit
    epoch: int = 0
    n_epochs: int = 0
    stopped: str | None = None  # why the last fit ended early, if it did
    error: BaseException | None = None  # the exception that ended the last fit, if any
    # the demo mode's word on the last fit ("replaying the recording of ...", "no recording for
    # this fit: ...; training live"); set before each fit by coursekit.train.replay, kept by begin_fit
    demo: str | None = None

    def begin_fit(self, n_epochs: int, n_iterations: int) -> None:
        self.lrs, self.losses, self.momentums, self.rows = [], [], [], []
        self.iteration, self.n_iterations, self.epoch, self.n_epochs = 0, n_iterations, 0, n_epochs
        self.stopped, self.error = None, None

    def record_batch(self, lrs: list[float], loss: float, momentum: float | None = None) -> None:
        self.lrs.append(lrs)
        self.losses.append(loss)
        if momentum is not None:
            self.momentums.append(momentum)
        self.iteration += 1

    def __repr__(self) -> str:
        last = f", last val_loss {self.rows[-1]['val_loss']:.4f}" if self.rows else ""
        ended = f", ended early: {self.stopped}" if self.stopped else ""
        return f"Recorder({len(self.losses)} batches, {len(self.rows)} epochs{last}{ended})"

    @property
    def smooth_losses(self) -> list[float]:
        return smooth(self.losses)

    @property
    def val_losses(self) -> list[float]:
        return [row["val_loss"] for row in self.rows]

    @presentable
    def plot_losses(self, ax: Axes | None = None) -> Figure:
        """Training loss per batch (smoothed) and validation loss per epoch; returns the figure."""
        ax, fig = axes_and_figure(ax, figsize=(6, 4))
        ax.plot(self.losses, alpha=0.3, label="train (raw)")
        ax.plot(self.smooth_losses, label="train (smoothed)")
        if self.rows:
            per_epoch = max(1, len(self.losses) // max(1, len(self.rows)))
            ax.plot(
                [per_epoch * (i + 1) - 1 for i in range(len(self.rows))],
                self.val_losses,
                "o-",
                label="valid",
            )
        ax.set_xlabel("batch")
        ax.set_ylabel("loss")
        ax.legend()
        return fig

    @presentable
    def plot_lr(self, ax: Axes | None = None) -> Figure:
        """The learning rate of each layer group at every batch of the last fit."""
        ax, fig = axes_and_figure(ax, figsize=(6, 3))
        for g in range(len(self.lrs[0]) if self.lrs else 0):
            ax.plot([lrs[g] for lrs in self.lrs], label=f"group {g}")
        ax.set_xlabel("batch")
        ax.set_ylabel("learning rate")
        ax.legend()
        return fig
