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
import torch
from torch import nn
from torch.optim import Optimizer

from coursekit.data.batches import Batches
from coursekit.plotting import axes_and_figure, presentable
from coursekit.progress import progress_bar
from coursekit.seeding import random_state, set_random_state
from coursekit.train.optimizers import set_lrs
from coursekit.train.plan import lr_text
from coursekit.train.recorder import SmoothedLoss
from coursekit.train.schedules import exp_ramp

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


__all__ = [
    "LRFinderResult",
    "lr_find",
    "plot_lr_find",
    "plot_lr_ramp",
    "start_rates",
    "suggest_lr",
]


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


def _snapshot(model: nn.Module, opt: Optimizer) -> dict[str, Any]:
    """Everything lr_find changes, to be put back bit for bit: the random generators too, so
    that what follows draws the same numbers however many batches the finder ran (it stops where
    the loss diverges, a comparison that the last bit of a sum can tip)."""
    return {
        "random": random_state(),
        "model": copy.deepcopy(model.state_dict()),
        "opt": copy.deepcopy(opt.state_dict()),
        "requires_grad": [p.requires_grad for p in model.parameters()],
        "training": [m.training for m in model.modules()],
    }


def _restore(model: nn.Module, opt: Optimizer, snap: dict[str, Any]) -> None:
    set_random_state(snap["random"])
    model.load_state_dict(snap["model"])
    opt.load_state_dict(snap["opt"])
    for p, flag in zip(model.parameters(), snap["requires_grad"]):
        p.requires_grad_(flag)
        p.grad = None
    for m, flag in zip(model.modules(), snap["training"]):
        m.training = flag


def start_rates(start_lr: float | Sequence[float], n_groups: int) -> list[float]:
    """The finder's first rate for each of ``n_groups`` layer groups: ``start_lr`` for all of them,
    or one given per group (a ``ValueError`` for another count)."""
    if isinstance(start_lr, (Sequence, np.ndarray)):
        start = [float(lr) for lr in start_lr]
    else:
        start = [float(start_lr)] * n_groups
    if len(start) != n_groups:
        raise ValueError(f"give one start_lr or one per layer group ({n_groups}).")
    return start


def lr_find(
    model: nn.Module,
    opt: Optimizer,
    train_batches: Callable[[], Batches],
    train_step: Callable[[torch.Tensor, torch.Tensor], float],
    train_mode: Callable[[], None],
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
    over as many passes of its batches as that takes: a small data set gets the whole curve too)
    and record the bias-corrected smoothed loss (``beta``). Stops when the smoothed loss is not
    finite or exceeds ``stop_div`` times its best; a best loss below ``min_loss`` (a head that has
    already trained) counts as ``min_loss``, so that noise of a few hundredths does not look like a
    divergence.

    ``opt`` has one parameter group per layer group; ``train_batches()`` makes the training
    batches (called after the random generators are saved: making them may draw, as computing the
    cached activations does); ``train_step(xb, yb)`` takes one step of ``opt`` and returns the
    loss; ``train_mode()`` puts ``model`` in training mode as a fit does.
    ``start_lr`` may be one rate per layer group (e.g. ``lrs / 1000``): the ramp keeps their ratios
    and reports the last group's rate. ``model``, ``opt`` and the random generators are restored
    exactly afterwards. ``on_step(step, n)`` is called after every batch (the LR-finder panel's
    progress bar; ``Learner.lr_find`` adds the CPU notice's timing).
    """
    start = start_rates(start_lr, len(opt.param_groups))
    scales = [s / start[-1] for s in start]
    snap = _snapshot(model, opt)
    lrs: list[float] = []
    losses: list[float] = []
    best, smoother = math.inf, SmoothedLoss(beta)
    try:
        n, train_dl = num_it, train_batches()
        batches = itertools.chain.from_iterable(
            train_dl for _ in range(math.ceil(n / len(train_dl)))
        )
        train_mode()
        bar = progress_bar(n, "lr_find") if not quiet else None
        for step, (xb, yb) in enumerate(itertools.islice(batches, n)):
            lr = exp_ramp(step, n, start[-1], end_lr)
            set_lrs(opt, [lr * k for k in scales])
            loss = train_step(xb, yb)
            smoothed = smoother.update(loss) if math.isfinite(loss) else math.inf
            lrs.append(lr)
            losses.append(smoothed)
            if bar is not None:
                bar.update(1)
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
        _restore(model, opt, snap)
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
