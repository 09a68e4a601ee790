"""Learning-rate schedules as pure functions of the step.

Each function answers one question — "what is the learning rate at step ``step``?" — from its
arguments alone, with no hidden counter. The Learner keeps the step count and writes
``param_group['lr'] = lr * group_scale``; a panel plots a schedule before training with a list
comprehension::

    lrs = [sgdr(step, 1e-2, steps_per_epoch=100, cycle_len=1, cycle_mult=2) for step in range(700)]

There is no hidden warm-up anywhere: ``one_cycle``'s warm-up is its explicit ``pct_start``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Callable, Sequence

__all__ = ["Schedule", "make_schedule", "differential_lrs", "constant", "sgdr", "cosine_anneal", "cycle_lengths", "n_epochs_for_cycles", "one_cycle",
           "one_cycle_momentum", "exp_ramp", "cycle_starts"]


def constant(step: int, lr: float) -> float:
    """The same learning rate at every step: ``learn.fit(1e-2, 3)``."""
    return lr


def cosine_anneal(pct: float, start: float, end: float) -> float:
    """Half a cosine from ``start`` (pct=0) to ``end`` (pct=1)."""
    return end + (start - end) * (1 + math.cos(math.pi * pct)) / 2


def cycle_lengths(n_cycle: int, cycle_len: float, cycle_mult: float = 1) -> list[float]:
    """The length in epochs of each SGDR cycle: ``cycle_len * cycle_mult**i``.

    >>> cycle_lengths(3, 1, 2)
    [1, 2, 4]
    """
    return [cycle_len * cycle_mult**i for i in range(n_cycle)]


def n_epochs_for_cycles(n_cycle: int, cycle_len: float, cycle_mult: float = 1) -> float:
    """Total epochs of ``n_cycle`` SGDR cycles. A plain sum, so ``cycle_mult=1`` needs no special case
    (the closed form ``cycle_len * (mult**n - 1) / (mult - 1)`` divides by zero there).

    >>> n_epochs_for_cycles(3, 1, 2), n_epochs_for_cycles(3, 1, 1)
    (7, 3)
    """
    return sum(cycle_lengths(n_cycle, cycle_len, cycle_mult))


def cycle_starts(n_cycle: int, cycle_len: float, cycle_mult: float, steps_per_epoch: int) -> list[int]:
    """The step at which each cycle starts (plus the total number of steps last)."""
    starts, total = [0], 0.0
    for length in cycle_lengths(n_cycle, cycle_len, cycle_mult):
        total += length
        starts.append(round(total * steps_per_epoch))
    return starts


def sgdr(step: int, lr_max: float, steps_per_epoch: int, cycle_len: float = 1, cycle_mult: float = 1,
         lr_min: float = 0.0) -> float:
    """SGDR (stochastic gradient descent with warm restarts): cosine annealing from ``lr_max`` to
    ``lr_min`` over each cycle, then back to ``lr_max``. Cycle ``i`` lasts
    ``cycle_len * cycle_mult**i`` epochs (``learn.fit(lr, 3, cycle_len=1, cycle_mult=2)``: 1, 2, 4).

    Matches ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`` stepped once per batch.
    """
    cycle_steps = cycle_len * steps_per_epoch
    t = float(step)
    while t >= cycle_steps:        # walk through the finished cycles
        t -= cycle_steps
        cycle_steps *= cycle_mult
    return cosine_anneal(t / cycle_steps, lr_max, lr_min)


def one_cycle(step: int, total_steps: int, lr_max: float, pct_start: float = 0.25, div: float = 25.0,
              final_div: float = 1e4) -> float:
    """The one-cycle policy: warm up from ``lr_max/div`` to ``lr_max`` over the first ``pct_start``
    of the steps, then cosine-anneal down to ``lr_max/div/final_div`` (``learn.fit_one_cycle``).

    Matches ``torch.optim.lr_scheduler.OneCycleLR`` (cosine, two phases).
    """
    start, low = lr_max / div, lr_max / div / final_div
    warm_end = float(pct_start * total_steps) - 1
    if step <= warm_end:
        return cosine_anneal(step / warm_end, start, lr_max)
    return cosine_anneal((step - warm_end) / (total_steps - 1 - warm_end), lr_max, low)


def one_cycle_momentum(step: int, total_steps: int, pct_start: float = 0.25, mom_max: float = 0.95,
                       mom_min: float = 0.85) -> float:
    """Momentum under one-cycle moves the other way: down while the learning rate rises, then up."""
    warm_end = float(pct_start * total_steps) - 1
    if step <= warm_end:
        return cosine_anneal(step / warm_end, mom_max, mom_min)
    return cosine_anneal((step - warm_end) / (total_steps - 1 - warm_end), mom_min, mom_max)


def differential_lrs(top_lr: float, n_groups: int, ratio: float) -> list[float]:
    """One learning rate per layer group: ``top_lr`` for the last (the head), divided by ``ratio``
    once more for each group before it — the course's 10x for photos, 3x for satellite images.

    >>> differential_lrs(1e-2, 3, 10)
    [0.0001, 0.001, 0.01]
    """
    return [top_lr / ratio ** (n_groups - 1 - i) for i in range(n_groups)]


def exp_ramp(step: int, n_steps: int, start_lr: float, end_lr: float) -> float:
    """An exponential ramp from ``start_lr`` (step 0) to ``end_lr`` (step ``n_steps - 1``): equal
    steps on a log scale, as the learning-rate finder uses."""
    return start_lr * (end_lr / start_lr) ** (step / max(1, n_steps - 1))


@dataclass(frozen=True)
class Schedule:
    """A whole fit's plan: the learning rate of each layer group (and the momentum) at any step.

    Made by ``make_schedule``; both ``Learner.fit`` and the schedule panel use it, so what the
    panel draws is what the fit does.
    """
    lr_at: Callable[[int], float]               # the top group's learning rate at a step
    scales: tuple[float, ...]                   # each group's rate as a fraction of the top one
    n_epochs: int
    steps_per_epoch: int
    cycle_ends: tuple[int, ...] = ()            # steps at which SGDR cycles end
    momentum_at: Callable[[int], float] | None = None

    @property
    def total_steps(self) -> int:
        return self.n_epochs * self.steps_per_epoch

    def group_lrs(self, step: int) -> list[float]:
        lr = self.lr_at(step)
        return [lr * k for k in self.scales]


def make_schedule(lrs: Sequence[float], steps_per_epoch: int, n_cycle: int = 1, cycle_len: float | None = None,
                  cycle_mult: float = 1, one_cycle_epochs: int | None = None, pct_start: float = 0.25,
                  div: float = 25.0) -> Schedule:
    """The plan of a fit with one learning rate per layer group.

    ``cycle_len=None``: ``n_cycle`` epochs at constant rates (``learn.fit(lr, n_cycle)``).
    ``cycle_len`` given: SGDR, ``n_cycle`` cycles of ``cycle_len * cycle_mult**i`` epochs.
    ``one_cycle_epochs`` given: the one-cycle policy over that many epochs (``fit_one_cycle``).
    """
    top = max(lrs)
    scales = tuple(lr / top for lr in lrs)
    if one_cycle_epochs is not None:
        total = one_cycle_epochs * steps_per_epoch
        return Schedule(partial(one_cycle, total_steps=total, lr_max=top, pct_start=pct_start, div=div), scales,
                        one_cycle_epochs, steps_per_epoch,
                        momentum_at=partial(one_cycle_momentum, total_steps=total, pct_start=pct_start))
    if cycle_len is None:
        return Schedule(partial(constant, lr=top), scales, n_cycle, steps_per_epoch)
    n_epochs = math.ceil(n_epochs_for_cycles(n_cycle, cycle_len, cycle_mult))
    return Schedule(partial(sgdr, lr_max=top, steps_per_epoch=steps_per_epoch, cycle_len=cycle_len,
                            cycle_mult=cycle_mult), scales, n_epochs, steps_per_epoch,
                    tuple(cycle_starts(n_cycle, cycle_len, cycle_mult, steps_per_epoch)[1:]))
