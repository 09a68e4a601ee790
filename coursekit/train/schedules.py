"""Learning-rate schedules as pure functions of the step.

Each function answers one question — "what is the learning rate at step ``step``?" — from its
arguments alone, with no hidden counter. The Learner keeps the step count and writes
``param_group['lr'] = lr * group_scale``; a panel plots a schedule before training with a list
comprehension::

    lrs = [sgdr(step, 1e-2, steps_per_epoch=100, cycle_len=1, cycle_mult=2) for step in range(700)]

There is no hidden warm-up anywhere: every warm-up is an argument. ``sgdr``'s is ``warmup_frac`` and
``warmup_div`` (fastai 0.7's ``CosAnneal`` spends the first 1/20 of the first cycle at ``lr/100``:
``coursekit.train.plan.plan_fit`` asks for exactly that); ``one_cycle``'s is ``pct_start``.
Each schedule says which library's scheduler it equals, batch for batch; ``tests/test_schedules.py``
checks them against those schedulers' code, written out.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "Schedule",
    "check_cycles",
    "constant",
    "cosine_anneal",
    "cycle_count",
    "cycle_lengths",
    "cycle_starts",
    "differential_lrs",
    "exp_ramp",
    "n_epochs_for_cycles",
    "one_cycle",
    "one_cycle_momentum",
    "sgdr",
]


def constant(step: int, lr: float) -> float:
    """The same learning rate at every step: ``learn.fit(1e-2, 3)``.

    >>> constant(7, 1e-2)
    0.01
    """
    return lr


def cosine_anneal(pct: float, start: float, end: float) -> float:
    """Half a cosine from ``start`` (pct=0) to ``end`` (pct=1).

    >>> cosine_anneal(0.0, 1.0, 0.0), cosine_anneal(0.5, 1.0, 0.0), cosine_anneal(1.0, 1.0, 0.0)
    (1.0, 0.5, 0.0)
    """
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


def _round_half_up(x: float) -> int:
    """Round to the nearest whole step, halves upwards (Python's ``round`` sends 2.5 to 2: a cycle
    ending half-way through a step would end one step early). The inner ``round`` removes float
    noise such as ``0.1 * 3 * 10 = 3.0000000000000004``."""
    return math.floor(round(x, 9) + 0.5)


def cycle_count(n_cycle: float) -> int:
    """``n_cycle`` as a whole number of cycles (or epochs): 3 and 3.0 are 3; 2.5, 0 and True
    raise a ValueError naming the value.

    >>> cycle_count(3), cycle_count(3.0)
    (3, 3)
    """
    whole = isinstance(n_cycle, numbers.Integral) or (
        isinstance(n_cycle, numbers.Real) and float(n_cycle).is_integer()
    )
    if isinstance(n_cycle, bool) or not whole or n_cycle < 1:
        raise ValueError(
            f"n_cycle={n_cycle!r}: give a whole number of cycles (or epochs), 1 or more."
        )
    return int(n_cycle)


def check_cycles(n_cycle: int, cycle_len: float, cycle_mult: float = 1) -> None:
    """Raise a ValueError naming the bad value and its fix, for cycles that cannot be trained."""
    cycle_count(n_cycle)
    if not cycle_len > 0:
        raise ValueError(
            f"cycle_len={cycle_len!r}: a cycle lasts a positive number of epochs, e.g. cycle_len=1."
        )
    if not cycle_mult >= 1:
        raise ValueError(
            f"cycle_mult={cycle_mult!r}: cycles may only grow (cycle_mult=1 keeps them equal, "
            "2 doubles each); a cycle_mult below 1 would shrink them towards zero."
        )


def cycle_starts(
    n_cycle: int, cycle_len: float, cycle_mult: float, steps_per_epoch: int
) -> list[int]:
    """The step at which each of the ``n_cycle`` cycles starts, plus the total number of steps last.

    Cycle ends are rounded to whole steps (halves upwards), so ``cycle_len`` may be a fraction of
    an epoch. Every cycle must last at least one step.

    >>> cycle_starts(3, 1, 2, 10)  # learn.fit(lr, 3, cycle_len=1, cycle_mult=2), 10 batches an epoch
    [0, 10, 30, 70]
    >>> cycle_starts(2, 0.5, 1, 5)  # half-epoch cycles of 2.5 batches: 3, then 2
    [0, 3, 5]
    """
    check_cycles(n_cycle, cycle_len, cycle_mult)
    starts, total = [0], 0.0
    for length in cycle_lengths(int(n_cycle), cycle_len, cycle_mult):
        total += length
        starts.append(_round_half_up(total * steps_per_epoch))
        if starts[-1] == starts[-2]:
            raise ValueError(
                f"cycle_len={cycle_len!r} is shorter than one batch ({steps_per_epoch} batches "
                f"per epoch): give a cycle_len of at least {1 / steps_per_epoch:.2g}."
            )
    return starts


def sgdr(
    step: int,
    lr_max: float,
    steps_per_epoch: int,
    cycle_len: float = 1,
    cycle_mult: float = 1,
    lr_min: float = 0.0,
    n_cycle: int | None = None,
    warmup_frac: float = 0.0,
    warmup_div: float = 100.0,
) -> float:
    """SGDR (stochastic gradient descent with warm restarts): cosine annealing from ``lr_max`` to
    ``lr_min`` over each cycle, then back to ``lr_max``. Cycle ``i`` lasts
    ``cycle_len * cycle_mult**i`` epochs (``learn.fit(lr, 3, cycle_len=1, cycle_mult=2)``: 1, 2, 4),
    rounded to whole steps by ``cycle_starts``. A fit of ``n_cycle`` cycles has no step past the
    last one; without ``n_cycle``, cycles go on as long as steps are asked for.

    Warm-up: a step below ``warmup_frac`` of its cycle's length (counted from the fit's first step)
    trains at ``lr_max / warmup_div``, and the cosine goes on from where it would be. fastai 0.7's
    ``CosAnneal`` does exactly this with ``warmup_frac=1/20, warmup_div=100``
    (``iteration < nb/20``: the first 5% of the first cycle at ``lr/100``; its code gives no
    reason); ``learn.fit`` asks for it. Only the first cycle is concerned while
    ``cycle_mult <= 20``, as in fastai 0.7, whose test is the same.

    Without warm-up it matches ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`` stepped
    once per batch (where torch's ``T_0 = cycle_len * steps_per_epoch`` is a whole number of steps).

    >>> [round(sgdr(s, 0.1, 4, cycle_len=1, cycle_mult=2, n_cycle=2), 3) for s in range(12)]
    [0.1, 0.085, 0.05, 0.015, 0.1, 0.096, 0.085, 0.069, 0.05, 0.031, 0.015, 0.004]
    >>> [round(sgdr(s, 0.1, 40, warmup_frac=1 / 20), 4) for s in range(4)]  # 40 steps: 2 at lr/100
    [0.001, 0.001, 0.0994, 0.0986]
    """
    if n_cycle is None:  # enough cycles to cover ``step``: each is at least one step long
        n_cycle = 1
        while cycle_starts(n_cycle, cycle_len, cycle_mult, steps_per_epoch)[-1] <= step:
            n_cycle += 1
    starts = cycle_starts(n_cycle, cycle_len, cycle_mult, steps_per_epoch)
    if not 0 <= step < starts[-1]:
        raise ValueError(f"step {step} is outside the {n_cycle} cycles' {starts[-1]} steps.")
    i = max(k for k in range(n_cycle) if starts[k] <= step)
    length = starts[i + 1] - starts[i]
    if step < warmup_frac * length:
        return lr_max / warmup_div
    return cosine_anneal((step - starts[i]) / length, lr_max, lr_min)


def one_cycle(
    step: int,
    total_steps: int,
    lr_max: float,
    pct_start: float = 0.3,
    div: float = 25.0,
    final_div: float = 1e4,
) -> float:
    """The one-cycle policy, as fastai v1's ``OneCycleScheduler`` (``learn.fit_one_cycle``, 2019):
    from ``lr_max/div`` up to ``lr_max`` over the first ``int(total_steps * pct_start)`` steps, then
    down towards ``lr_max/div/final_div``, each half a cosine (fastai v1's ``annealing_cos``).

    fastai v1 moves along each phase *after* a batch, so step ``k`` of a phase of ``n`` steps is at
    ``k/n``: the peak is step ``int(total_steps * pct_start)`` itself, and the last step is one
    short of the end of the annealing, so the final rate is never quite reached.
    (``torch.optim.lr_scheduler.OneCycleLR`` peaks one step earlier and ends exactly at the final rate.)

    >>> [f"{one_cycle(s, 100, 1e-2):.1e}" for s in (0, 30, 99)]  # start, peak, last step
    ['4.0e-04', '1.0e-02', '5.1e-06']
    """
    start, low = lr_max / div, lr_max / div / final_div
    warming, pct = _one_cycle_phase(step, total_steps, pct_start)
    return cosine_anneal(pct, start, lr_max) if warming else cosine_anneal(pct, lr_max, low)


def _one_cycle_phase(step: int, total_steps: int, pct_start: float) -> tuple[bool, float]:
    """(warming up?, progress through that phase from 0 to 1) at ``step``, as fastai v1 places the
    phases: ``n_up = int(total_steps * pct_start)`` steps up, the rest down, and each of its phase
    schedulers lasts at least one step (its ``Scheduler`` takes ``max(1, n_iter)``), so any
    ``total_steps >= 1`` has a schedule."""
    if total_steps < 1 or not 0 <= step < total_steps:
        raise ValueError(f"step {step} is outside a one-cycle schedule of {total_steps} steps.")
    n_up = int(total_steps * pct_start)
    n_down = total_steps - n_up
    n_up, n_down = max(1, n_up), max(1, n_down)
    if step <= n_up:
        return True, step / n_up
    return False, (step - n_up) / n_down


def one_cycle_momentum(
    step: int,
    total_steps: int,
    pct_start: float = 0.3,
    mom_max: float = 0.95,
    mom_min: float = 0.85,
) -> float:
    """Momentum under one-cycle moves the other way: down while the learning rate rises, then up
    (fastai v1's ``moms=(0.95, 0.85)``, on the same steps as ``one_cycle``).

    >>> [round(one_cycle_momentum(s, 100), 3) for s in (0, 30, 99)]
    [0.95, 0.85, 0.95]
    """
    warming, pct = _one_cycle_phase(step, total_steps, pct_start)
    return cosine_anneal(pct, mom_max, mom_min) if warming else cosine_anneal(pct, mom_min, mom_max)


def differential_lrs(top_lr: float, n_groups: int, ratio: float) -> list[float]:
    """One learning rate per layer group: ``top_lr`` for the last (the head), divided by ``ratio``
    once more for each group before it — the course's 10x for photos, 3x for satellite images.

    >>> differential_lrs(1e-2, 3, 10)
    [0.0001, 0.001, 0.01]
    """
    return [top_lr / ratio ** (n_groups - 1 - i) for i in range(n_groups)]


def exp_ramp(step: int, n_steps: int, start_lr: float, end_lr: float) -> float:
    """An exponential ramp from ``start_lr`` (step 0) to ``end_lr`` (step ``n_steps - 1``): equal
    steps on a log scale, as the learning-rate finder uses.

    >>> [f"{exp_ramp(s, 5, 1e-4, 1.0):.0e}" for s in range(5)]
    ['1e-04', '1e-03', '1e-02', '1e-01', '1e+00']
    """
    return start_lr * (end_lr / start_lr) ** (step / max(1, n_steps - 1))


@dataclass(frozen=True)
class Schedule:
    """The learning rate of each layer group (and the momentum) at every step of one fit.

    Made by the planners in ``coursekit.train.plan``; ``Learner.fit`` and the panels use the same
    object, so what a panel draws is what the fit does.
    """

    lr_at: Callable[[int], float]  # the top group's learning rate at a step
    scales: tuple[float, ...]  # each group's rate as a fraction of the top one
    total_steps: int  # the fit trains exactly this many batches
    steps_per_epoch: int
    cycle_ends: tuple[int, ...] = ()  # steps at which SGDR cycles end
    momentum_at: Callable[[int], float] | None = None
    warmup_steps: int = 0  # the first steps, at a fraction of the rate (fastai 0.7's SGDR warm-up)

    @property
    def n_epochs(self) -> int:
        """Epochs begun: the last may be partial (``fit(lr, 1, cycle_len=0.5)`` trains half of one)."""
        return math.ceil(self.total_steps / self.steps_per_epoch)

    def group_lrs(self, step: int) -> list[float]:
        lr = self.lr_at(step)
        return [lr * k for k in self.scales]
