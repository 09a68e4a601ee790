"""A fit's plan, made before a single batch trains: its schedule, epochs, cycles and code line.

One function per kind of fit builds it, and everything that trains or draws uses that object:
``learn.fit`` and ``learn.fit_one_cycle`` run it, the schedule panel draws it and its "Fit" button
runs it, the layer-groups panel prints its code line. So what a panel shows is what the fit does.

    plan = plan_fit([1e-4, 1e-3, 1e-2], steps_per_epoch=100, n_cycle=3, cycle_len=1, cycle_mult=2)
    plan.n_epochs, plan.cycle_ends, plan.code   # 7, (100, 300, 700), 'learn.fit([1e-4, 1e-3, 1e-2], 3, ...)'

Learning rates are written as the course writes them (``spread_lrs``): one number for every layer
group, one per group, or fastai v1's ``slice(hi)`` / ``slice(lo, hi)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeGuard

import numpy as np

from coursekit.train.schedules import (
    Schedule,
    constant,
    cycle_count,
    cycle_starts,
    one_cycle,
    one_cycle_momentum,
    sgdr,
)

__all__ = [
    "FASTAI07_WARMUP_DIV",
    "FASTAI07_WARMUP_FRAC",
    "FitPlan",
    "LearningRates",
    "check_plan_fits",
    "lr_slider_format",
    "lr_text",
    "plan_fit",
    "plan_one_cycle",
    "spread_lrs",
    "typed_lr",
]

# fastai 0.7's CosAnneal (old/fastai/sgdr.py): ``if self.iteration < self.nb/20: return init_lrs/100``,
# the first 1/20 of the first cycle at a hundredth of the rate. ``learn.fit`` with cycles does the same.
FASTAI07_WARMUP_FRAC, FASTAI07_WARMUP_DIV = 1 / 20, 100.0

# Every way the course writes learning rates: 1e-2, [1e-4, 1e-3, 1e-2], slice(1e-5, 1e-3).
LearningRates = float | Sequence[float] | np.ndarray | slice


@dataclass(frozen=True)
class FitPlan:
    """What one fit will do: ``schedule`` (the rate of every group at every step) and ``code``, the
    line of code that runs exactly this fit. ``cycle_save_name``: where SGDR snapshots go."""

    schedule: Schedule
    code: str
    cycle_save_name: str | None = None

    @property
    def total_steps(self) -> int:
        return self.schedule.total_steps

    @property
    def n_epochs(self) -> int:
        return self.schedule.n_epochs

    @property
    def cycle_ends(self) -> tuple[int, ...]:
        return self.schedule.cycle_ends

    def group_lrs(self, step: int) -> list[float]:
        """The learning rate of each layer group at ``step``."""
        return self.schedule.group_lrs(step)

    def __repr__(self) -> str:
        cycles = f", {len(self.cycle_ends)} cycles" if self.cycle_ends else ""
        return f"FitPlan({self.n_epochs} epochs, {self.total_steps} steps{cycles}: {self.code})"


def typed_lr(lr: float, digits: int = 2) -> float:
    """``lr`` rounded to ``digits`` significant digits, as a student would type it; the panels'
    sliders show it so (``lr_slider_format``), and their code lines print it with ``lr_text``.

    >>> typed_lr(0.003271), typed_lr(0.003271, digits=1)
    (0.0033, 0.003)
    """
    return float(f"{lr:.{digits - 1}e}")


def lr_slider_format(digits: int = 2) -> str:
    """The ``readout_format`` of a slider whose value is used as ``typed_lr(value, digits)``."""
    return f".{digits - 1}e"


def lr_text(lr: float) -> str:
    """A learning rate as a student would type it: 0.001 -> '1e-3', 0.0033 -> '3.3e-3'."""
    mantissa, exponent = f"{lr:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def _lrs_text(lrs: LearningRates) -> str:
    if isinstance(lrs, slice):
        return (
            f"slice({lr_text(lrs.start)}, {lr_text(lrs.stop)})"
            if lrs.start
            else f"slice({lr_text(lrs.stop)})"
        )
    if _is_number(lrs):
        return lr_text(float(lrs))
    return "[" + ", ".join(lr_text(float(x)) for x in np.asarray(lrs).ravel()) + "]"


def _is_number(x: object) -> TypeGuard[float | np.ndarray]:
    return isinstance(x, numbers.Real) or (isinstance(x, np.ndarray) and x.ndim == 0)


def spread_lrs(lrs: LearningRates, n_groups: int) -> list[float]:
    """One learning rate per layer group, from any way the course writes them (as fastai v1's ``lr_range``):

    - a number (also a numpy scalar): the same rate for every group;
    - a list, tuple or array: one rate per group, e.g. ``[1e-4, 1e-3, 1e-2]`` (fastai 0.7);
    - ``slice(hi)``: ``hi`` for the last group (the head), ``hi/10`` for every other (fastai v1);
    - ``slice(lo, hi)``: from ``lo`` (first group) to ``hi`` (head), evenly spaced on a log scale.

    >>> spread_lrs(slice(1e-5, 1e-3), 3)
    [1e-05, 0.0001, 0.001]
    """
    if lrs is None:
        raise ValueError(
            "give a learning rate: learn.fit(1e-2, 3). Not sure which? Run learn.lr_find()."
        )
    if isinstance(lrs, slice):
        if lrs.stop is None or lrs.step is not None:
            raise ValueError(f"{lrs!r}: write slice(hi) or slice(lo, hi), e.g. slice(1e-5, 1e-3).")
        hi = float(lrs.stop)
        if lrs.start is None:
            out = [hi / 10] * (n_groups - 1) + [hi]
        else:
            lo = float(lrs.start)
            if not 0 < lo <= hi:
                raise ValueError(
                    f"{lrs!r}: the first rate must be positive and at most the second."
                )
            ratio = (hi / lo) ** (1 / (n_groups - 1)) if n_groups > 1 else 1.0
            out = [lo * ratio**i for i in range(n_groups - 1)] + [hi]
    elif _is_number(lrs):
        out = [float(lrs)] * n_groups
    else:
        try:
            out = [float(x) for x in np.asarray(lrs, dtype=float).ravel()]
        except (TypeError, ValueError) as e:
            raise ValueError(
                f"learning rates {lrs!r}: give a number, one per layer group, or a slice."
            ) from e
        if len(out) != n_groups:
            raise ValueError(
                f"got {len(out)} learning rates for {n_groups} layer groups; give one number, "
                f"one per group, or a slice such as slice(1e-5, 1e-3)."
            )
    bad = [x for x in out if not (math.isfinite(x) and x > 0)]
    if bad:
        raise ValueError(
            f"learning rate {bad[0]!r} in {lrs!r}: learning rates are positive finite numbers."
        )
    return out


def _scales(group_lrs: list[float]) -> tuple[float, tuple[float, ...]]:
    top = max(group_lrs)
    return top, tuple(lr / top for lr in group_lrs)


def check_plan_fits(plan: FitPlan, n_groups: int, steps_per_epoch: int) -> None:
    """Raise a ValueError unless ``plan`` was made for this many layer groups and batches per epoch
    (a plan made before ``set_data`` or a change of batch size would train the wrong steps)."""
    planned = (len(plan.schedule.scales), plan.schedule.steps_per_epoch)
    if planned != (n_groups, steps_per_epoch):
        raise ValueError(
            f"{plan!r} was made for {planned[0]} layer groups and {planned[1]} batches per "
            f"epoch; this learner has {n_groups} and {steps_per_epoch}: plan it again."
        )


def plan_fit(
    lrs: LearningRates,
    n_groups: int,
    steps_per_epoch: int,
    n_cycle: int = 1,
    cycle_len: float | None = None,
    cycle_mult: float = 1,
    cycle_save_name: str | None = None,
) -> FitPlan:
    """The plan of ``learn.fit(lrs, n_cycle, cycle_len, cycle_mult)`` (fastai 0.7's ``fit``).

    ``cycle_len=None``: ``n_cycle`` epochs at constant rates. ``cycle_len`` given: SGDR, exactly
    ``n_cycle`` cycles of ``cycle_len * cycle_mult**i`` epochs each (fractions of an epoch allowed:
    the fit then ends mid-epoch), with fastai 0.7's warm-up (``FASTAI07_WARMUP_FRAC`` and
    ``FASTAI07_WARMUP_DIV``: the first 1/20 of the first cycle at a hundredth of the rate).
    ``cycle_save_name`` needs cycles to save.

    >>> plan = plan_fit(1e-2, 1, steps_per_epoch=40, n_cycle=1, cycle_len=1)
    >>> [lr_text(plan.schedule.lr_at(s)) for s in (0, 1, 2, 39)]  # 2 steps of warm-up, then the cosine
    ['1e-4', '1e-4', '9.94e-3', '1.54e-5']
    """
    group_lrs = spread_lrs(lrs, n_groups)
    top, scales = _scales(group_lrs)
    n_cycle = cycle_count(n_cycle)  # 3 and 3.0 alike, in both kinds of fit
    if cycle_len is None:
        if cycle_save_name:
            raise ValueError(
                f"cycle_save_name={cycle_save_name!r} saves the weights at the end of each cycle, "
                "but this fit has no cycles: add cycle_len, e.g. learn.fit(1e-2, 3, cycle_len=1, "
                f"cycle_save_name={cycle_save_name!r})."
            )
        schedule = Schedule(
            partial(constant, lr=top), scales, n_cycle * steps_per_epoch, steps_per_epoch
        )
        return FitPlan(schedule, f"learn.fit({_lrs_text(lrs)}, {n_cycle})")
    ends = tuple(cycle_starts(n_cycle, cycle_len, cycle_mult, steps_per_epoch)[1:])
    schedule = Schedule(
        partial(
            sgdr,
            lr_max=top,
            steps_per_epoch=steps_per_epoch,
            cycle_len=cycle_len,
            cycle_mult=cycle_mult,
            n_cycle=n_cycle,
            warmup_frac=FASTAI07_WARMUP_FRAC,
            warmup_div=FASTAI07_WARMUP_DIV,
        ),
        scales,
        ends[-1],
        steps_per_epoch,
        ends,
        warmup_steps=math.ceil(FASTAI07_WARMUP_FRAC * ends[0]),  # sgdr's test: step < frac * length
    )
    mult = f", cycle_mult={cycle_mult:g}" if cycle_mult != 1 else ""
    save = f", cycle_save_name={cycle_save_name!r}" if cycle_save_name else ""
    return FitPlan(
        schedule,
        f"learn.fit({_lrs_text(lrs)}, {n_cycle}, cycle_len={cycle_len:g}{mult}{save})",
        cycle_save_name,
    )


def plan_one_cycle(
    lr_max: LearningRates,
    n_groups: int,
    steps_per_epoch: int,
    n_epochs: float,
    pct_start: float = 0.3,
    div: float = 25.0,
) -> FitPlan:
    """The plan of ``learn.fit_one_cycle(n_epochs, lr_max)`` (fastai v1, lesson 1 of 2019): the rate
    rises for ``pct_start`` of the steps, then falls; the momentum moves the other way, batch for
    batch as fastai v1's ``OneCycleScheduler`` (see ``schedules.one_cycle``)."""
    if not n_epochs > 0:
        raise ValueError(
            f"n_epochs={n_epochs!r}: train for a positive number of epochs, e.g. fit_one_cycle(4)."
        )
    if not 0 <= pct_start < 1:
        raise ValueError(
            f"pct_start={pct_start!r}: the share of steps spent warming up, from 0 to below 1."
        )
    top, scales = _scales(spread_lrs(lr_max, n_groups))
    total = max(1, math.floor(round(n_epochs * steps_per_epoch, 9) + 0.5))
    schedule = Schedule(
        partial(one_cycle, total_steps=total, lr_max=top, pct_start=pct_start, div=div),
        scales,
        total,
        steps_per_epoch,
        momentum_at=partial(one_cycle_momentum, total_steps=total, pct_start=pct_start),
    )
    extra = (f", pct_start={pct_start:g}" if pct_start != 0.3 else "") + (
        f", div={div:g}" if div != 25 else ""
    )
    return FitPlan(schedule, f"learn.fit_one_cycle({n_epochs:g}, {_lrs_text(lr_max)}{extra})")
