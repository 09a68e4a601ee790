"""The learning-rate finder (lessons 1 and 2).

Train for a short while with a learning rate that grows exponentially each batch, from tiny
(nothing happens) to huge (the loss explodes), and watch the loss. Somewhere in between the loss
falls fastest: that is a good learning rate. Afterwards the model is put back exactly as it was —
weights, optimizer state, frozen groups, BatchNorm modes, random generators — so the finder never
trains the model and what comes after it draws what it would have drawn without it.

    result = learn.lr_find()
    result.suggestion          # where the smoothed loss falls fastest on its way to the minimum
    result.min_lr_div10        # the course's rule: the rate at the minimum, divided by 10
    plot_lr_find(result)       # loss against rate (fastai 0.7's learn.sched.plot())
    plot_lr_ramp(result)       # the rate at each iteration (fastai 0.7's learn.sched.plot_lr())
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from coursekit.plotting import axes_and_figure, presentable
from coursekit.progress import progress_bar
from coursekit.seeding import random_state, set_random_state
from coursekit.train.notices import cpu_pass_notice
from coursekit.train.plan import lr_text
from coursekit.train.recorder import SmoothedLoss
from coursekit.train.schedules import exp_ramp

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from coursekit.train.learner import Learner


__all__ = ["LRFinderResult", "lr_find", "plot_lr_find", "plot_lr_ramp", "suggest_lr"]


@dataclass
class LRFinderResult:
    """Learning rates tried (of the last layer group), smoothed losses, and the suggested rate."""

    lrs: list[float]
    losses: list[float]
    suggestion: float | None

    @property
    def min_loss_lr(self) -> float | None:
        """The learning rate at the lowest smoothed loss."""
        finite = [(loss, lr) for lr, loss in zip(self.lrs, self.losses) if math.isfinite(loss)]
        return min(finite)[1] if finite else None

    @property
    def min_lr_div10(self) -> float | None:
        """The course's rule of thumb: the rate at the minimum of the loss, divided by 10."""
        lr = self.min_loss_lr
        return lr / 10 if lr is not None else None

    def __repr__(self) -> str:
        lo, hi = (lr_text(min(self.lrs)), lr_text(max(self.lrs))) if self.lrs else ("-", "-")
        sugg = "none" if self.suggestion is None else lr_text(self.suggestion)
        at_min = "none" if self.min_loss_lr is None else lr_text(self.min_loss_lr)
        return (
            f"LRFinderResult({len(self.lrs)} rates from {lo} to {hi}; suggestion {sugg}, "
            f"lowest loss at {at_min})"
        )


def suggest_lr(
    lrs: Sequence[float], losses: Sequence[float], window: float = 100.0
) -> float | None:
    """The learning rate where the smoothed loss falls fastest on its way down to its minimum.

    Pure function: non-finite points are dropped; the slope d(loss)/d(log10 lr) is taken with
    ``numpy.gradient`` on the log10 spacing, over the points from ``window`` times below the
    minimum's rate up to the minimum. Earlier points are the flat start, where the smoothing's
    start-up and noise make slopes that mean nothing; later ones are the divergence. So the
    suggestion is never more than 10x away from the course's rule (the minimum's rate / 10).
    With fewer than 3 points there, the course's rule itself. None only without a finite point.
    """
    pts = [
        (lr, loss)
        for lr, loss in zip(lrs, losses)
        if lr > 0 and math.isfinite(lr) and math.isfinite(loss)
    ]
    if not pts:
        return None
    rate, y = np.array(pts).T
    x = np.log10(rate)
    end = int(np.argmin(y))
    keep = (x >= x[end] - math.log10(window)) & (np.arange(len(x)) <= end)
    rate, x, y = rate[keep], x[keep], y[keep]
    if len(x) < 3:
        return float(rate[-1]) / 10
    slope = np.gradient(y, x)
    return float(rate[int(np.argmin(slope))])  # a rate tried, not its logarithm's round trip


def _snapshot(learn: Learner) -> dict[str, Any]:
    """Everything lr_find changes, to be put back bit for bit: the random generators too, so
    that what follows draws the same numbers however many batches the finder ran (it stops where
    the loss diverges, a comparison that the last bit of a sum can tip)."""
    return {
        "random": random_state(),
        "model": copy.deepcopy(learn.model.state_dict()),
        "opt": copy.deepcopy(learn.opt.state_dict()) if learn.opt is not None else None,
        "requires_grad": [p.requires_grad for p in learn.model.parameters()],
        "training": [m.training for m in learn.model.modules()],
    }


def _restore(learn: Learner, snap: dict[str, Any]) -> None:
    set_random_state(snap["random"])
    learn.model.load_state_dict(snap["model"])
    if snap["opt"] is not None and learn.opt is not None:
        learn.opt.load_state_dict(snap["opt"])
    else:
        learn.opt = None
    for p, flag in zip(learn.model.parameters(), snap["requires_grad"]):
        p.requires_grad_(flag)
        p.grad = None
    for m, flag in zip(learn.model.modules(), snap["training"]):
        m.training = flag


def lr_find(
    learn: Learner,
    start_lr: float | Sequence[float] = 1e-7,
    end_lr: float = 10,
    num_it: int = 100,
    beta: float = 0.98,
    stop_div: float = 4.0,
    min_loss: float = 0.05,
    quiet: bool = False,
    on_step: Callable[[int, int], None] | None = None,
) -> LRFinderResult:
    """Ramp the learning rate from ``start_lr`` to ``end_lr`` over ``num_it`` batches (as fastai v1,
    over as many epochs as that takes: a small data set gets the whole curve too) and record the
    bias-corrected smoothed loss (``beta``). Stops when the smoothed loss is not finite or exceeds
    ``stop_div`` times its best; a best loss below ``min_loss`` (a head that has already trained)
    counts as ``min_loss``, so that noise of a few hundredths does not look like a divergence.

    ``start_lr`` may be one rate per layer group (e.g. ``lrs / 1000``): the ramp keeps their ratios
    and reports the last group's rate. The learner is restored exactly afterwards.
    ``on_step(step, n)`` is called after every batch (the LR-finder panel's progress bar).
    """
    if isinstance(start_lr, (Sequence, np.ndarray)):
        start = [float(lr) for lr in start_lr]
    else:
        start = [float(start_lr)] * len(learn.layer_groups)
    if len(start) != len(learn.layer_groups):
        raise ValueError(f"give one start_lr or one per layer group ({len(learn.layer_groups)}).")
    scales = [s / start[-1] for s in start]
    snap = _snapshot(learn)  # before the optimizer is made: a learner without one gets none back
    if learn.opt is None:
        learn.opt = learn.create_opt()
    lrs: list[float] = []
    losses: list[float] = []
    best, smoother = math.inf, SmoothedLoss(beta)
    try:
        train_dl = learn.loader("train", shuffle=True)
        n = num_it
        batches = itertools.chain.from_iterable(
            train_dl for _ in range(math.ceil(n / len(train_dl)))
        )
        learn.train_mode()
        # through the body on a CPU: say so first (on precomputed activations it is quick)
        tick = cpu_pass_notice(learn, n, "lr_find's run") if not learn.precompute else None
        bar = progress_bar(n, "lr_find") if not quiet else None
        for step, (xb, yb) in enumerate(itertools.islice(batches, n)):
            lr = exp_ramp(step, n, start[-1], end_lr)
            learn.set_lrs([lr * k for k in scales])
            loss = learn.train_step(xb, yb)
            smoothed = smoother.update(loss) if math.isfinite(loss) else math.inf
            lrs.append(lr)
            losses.append(smoothed)
            if bar is not None:
                bar.update(1)
            if tick is not None:
                tick()
            if on_step is not None:
                on_step(step + 1, n)
            if not math.isfinite(smoothed) or smoothed > stop_div * max(best, min_loss):
                break
            best = min(best, smoothed)
        if bar is not None:
            bar.total = bar.n  # an early stop is the finder's normal end, not a failure
            bar.refresh()
            bar.close()
    finally:
        _restore(learn, snap)
    return LRFinderResult(lrs, losses, suggest_lr(lrs, losses))


@presentable
def plot_lr_find(
    result: LRFinderResult, ax: Axes | None = None, skip_end: int = 3, lr: float | None = None
) -> Figure:
    """Smoothed loss against learning rate (log scale), with a rate marked: ``lr`` if given (the
    rate chosen, e.g. ``result.min_lr_div10``), else the suggestion. Returns the figure.

    >>> plot_lr_find(learn.lr_find(), lr=1e-2)     # doctest: +SKIP
    """
    ax, fig = axes_and_figure(ax, figsize=(6, 4))
    end = max(1, len(result.lrs) - skip_end)
    ax.plot(result.lrs[:end], result.losses[:end])
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("smoothed loss")
    marked, label = (lr, "marked") if lr else (result.suggestion, "suggestion")
    if marked:
        ax.axvline(marked, color="red", linestyle="--", label=f"{label} {lr_text(marked)}")
        ax.legend()
    return fig


@presentable
def plot_lr_ramp(result: LRFinderResult, ax: Axes | None = None) -> Figure:
    """The learning rate the finder used at each iteration: a straight line on a log scale, as it
    grows by the same factor every batch (fastai 0.7's ``learn.sched.plot_lr()``, lesson 2).
    Returns the figure.

    >>> plot_lr_ramp(learn.lr_find())     # doctest: +SKIP
    """
    ax, fig = axes_and_figure(ax, figsize=(6, 3))
    ax.plot(range(len(result.lrs)), result.lrs)
    ax.set_yscale("log")
    ax.set_xlabel("iteration (one mini-batch each)")
    ax.set_ylabel("learning rate (log scale)")
    return fig
