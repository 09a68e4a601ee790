"""The training loop: run one fit's plan, batch by batch (``learn.fit`` and the panels call it).

For each batch: ask the schedule for the learning rates at this step, write them into the layer
groups, take one optimizer step, tell the listeners (``learn.events``). Validate at the end of each
epoch, and at the end of a partial last epoch. The plan says exactly how many steps to train.

Two things can never leave the learner broken: a loss that becomes NaN or infinite puts the
weights and optimizer back as they were before the fit (and says so), and an exception or a
KeyboardInterrupt still runs the ``after_fit`` listeners with the model left usable.
"""

from __future__ import annotations

import copy
import itertools
import math
import time
from typing import TYPE_CHECKING, Any, cast

from torch.optim import Optimizer

from coursekit.progress import progress_bar
from coursekit.train import snapshots
from coursekit.train.background import BackgroundFit
from coursekit.train.epoch_table import EpochTable
from coursekit.train.metrics import metric_name
from coursekit.train.plan import FitPlan, LearningRates, fit_plan, lr_text, one_cycle_plan
from coursekit.train.recorder import Recorder

if TYPE_CHECKING:
    from coursekit.train.learner import Learner

__all__ = ["Fitting", "run_fit"]


def _state(learn: Learner, opt: Optimizer) -> dict[str, Any]:
    """A copy of the weights (BatchNorm statistics included) and the optimizer's state."""
    return {
        "model": {k: v.detach().clone() for k, v in learn.model.state_dict().items()},
        "opt": copy.deepcopy(opt.state_dict()),
    }


def _put_back(learn: Learner, opt: Optimizer, state: dict[str, Any]) -> None:
    learn.model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    learn._features.clear()


def run_fit(
    learn: Learner, plan: FitPlan, wd: float | None = None, quiet: bool = False
) -> Recorder:
    """Train ``learn`` exactly as ``plan`` says and return its recorder (``Learner.run_plan`` calls this)."""
    schedule = plan.schedule
    n_epochs, total, cycle_ends = schedule.n_epochs, schedule.total_steps, schedule.cycle_ends
    if not learn._precompute:
        learn._features.clear()  # training through the body moves its BatchNorm statistics
    if learn.opt is None:
        learn.opt = learn.create_opt(wd)
    opt = learn.opt
    for group in opt.param_groups:
        group["weight_decay"] = learn.wd if wd is None else wd
    before = _state(learn, opt)  # put back if the loss diverges: NaN weights poison later fits
    if plan.cycle_save_name:
        snapshots.begin_snapshots(learn.models_dir, plan.cycle_save_name)
    train_dl = learn.loader("train", shuffle=True)
    columns = ["epoch", "trn_loss", "val_loss", *map(metric_name, learn.metrics), "time"]
    if not quiet and not learn._precision_shown:
        print(f"training with {learn.precision}")  # once per learner: before its first epoch table
        learn._precision_shown = True
    table = EpochTable(columns, quiet=quiet)
    learn.recorder.begin_fit(n_epochs, total)
    learn._stop_reason, step = None, 0
    learn.emit("before_fit")
    try:
        for epoch in range(n_epochs):
            learn.recorder.epoch, start = epoch, time.perf_counter()
            learn.emit("before_epoch")
            learn.train_mode()
            n_batches = min(len(train_dl), total - step)  # the last epoch may be partial
            bar = progress_bar(n_batches, f"epoch {epoch + 1}/{n_epochs}") if not quiet else None
            for xb, yb in itertools.islice(train_dl, n_batches):
                if learn._stop_reason:
                    break
                lrs = schedule.group_lrs(step)
                momentum = schedule.momentum_at(step) if schedule.momentum_at else None
                learn.set_lrs(lrs, momentum)
                loss = learn.train_step(xb, yb)
                if not math.isfinite(loss):
                    _put_back(learn, opt, before)
                    learn._stop_reason = (
                        f"the loss became {loss} at batch {step}: the learning rate ({lr_text(max(lrs))}) "
                        "is too high. The weights are back to where they were before this fit; try a "
                        f"learning rate 10x lower ({lr_text(max(lrs) / 10)}), or run learn.lr_find()."
                    )
                    break
                learn.recorder.record_batch(lrs, loss, momentum)
                step += 1
                if bar is not None:
                    bar.update(1)
                if plan.cycle_save_name and step in cycle_ends:
                    snapshots.save_snapshot(learn, plan.cycle_save_name, cycle_ends.index(step))
                learn.emit("after_batch")
            if bar is not None:
                bar.close()
            if learn._stop_reason:
                break
            val_loss, metric_values = learn.validate()
            row = {
                "epoch": epoch,
                "trn_loss": learn.recorder.smooth_losses[-1],
                "val_loss": val_loss,
                **metric_values,
                "time": f"{time.perf_counter() - start:.1f}s",
            }
            learn.recorder.rows.append(row)
            table.add(row)
            learn.emit("after_epoch")
    except BaseException as e:  # KeyboardInterrupt too: listeners (the monitor) show it
        learn.recorder.error = e
        raise
    finally:
        learn.recorder.stopped = learn._stop_reason
        learn.model.eval()
        learn.emit("after_fit")
    if learn._stop_reason and not quiet:
        print(f"fit ended early: {learn._stop_reason}")
    return learn.recorder


class Fitting:
    """``Learner``'s fitting methods (a base class of it): each plans a fit and runs ``run_fit``
    (``cast``: only ``Learner`` derives from this class)."""

    @property
    def steps_per_epoch(self) -> int:
        """Batches in one training epoch (of images, or of cached activations while precomputing)."""
        return len(cast("Learner", self).loader("train", shuffle=True))

    def fit(
        self,
        lrs: LearningRates,
        n_cycle: int = 1,
        cycle_len: float | None = None,
        cycle_mult: float = 1,
        cycle_save_name: str | None = None,
        wd: float | None = None,
        quiet: bool = False,
        background: bool = False,
    ) -> Recorder | BackgroundFit:
        """fastai 0.7's ``fit``: ``n_cycle`` epochs at constant ``lrs`` or, with ``cycle_len``, exactly
        ``n_cycle`` SGDR cycles of ``cycle_len * cycle_mult**i`` epochs (cosine annealing, restarting
        each cycle). ``cycle_len`` may be a fraction: the fit then ends mid-epoch and validates there.

        ``lrs``: one number for every layer group, one per group (differential learning rates,
        ``[1e-4, 1e-3, 1e-2]``), or a slice (``slice(1e-5, 1e-3)``; see ``plan.spread_lrs``).
        ``cycle_save_name``: save the weights at the end of each cycle as ``<name>_cyc_<i>``
        (snapshot ensembles: ``learn.snapshot_preds(name)``).
        ``background=True``: run in a thread and return a ``BackgroundFit`` at once, so the notebook
        keeps serving widget events (a Stop button works); nothing is printed then (show a
        ``TrainingMonitor``). Otherwise return the recorder.
        """
        learn = cast("Learner", self)
        learn.check_idle("start a fit")
        n_groups, steps = len(learn.layer_groups), self.steps_per_epoch
        plan = fit_plan(lrs, n_groups, steps, n_cycle, cycle_len, cycle_mult, cycle_save_name)
        return self.run_plan(plan, wd, quiet, background)

    def fit_one_cycle(
        self,
        n_epochs: float,
        lr_max: LearningRates = slice(3e-3),
        pct_start: float = 0.3,
        div: float = 25.0,
        wd: float | None = None,
        quiet: bool = False,
        background: bool = False,
    ) -> Recorder | BackgroundFit:
        """fastai v1's one-cycle policy (lesson 1, 2019): the learning rate rises from ``lr_max/div``
        over ``pct_start`` of the steps, then falls; momentum the other way. ``lr_max`` as ``fit``'s
        ``lrs``; its default is fastai v1's, ``slice(3e-3)``. ``background`` as in ``fit``."""
        learn = cast("Learner", self)
        learn.check_idle("start a fit")
        n_groups, steps = len(learn.layer_groups), self.steps_per_epoch
        plan = one_cycle_plan(lr_max, n_groups, steps, n_epochs, pct_start, div)
        return self.run_plan(plan, wd, quiet, background)

    def run_plan(
        self, plan: FitPlan, wd: float | None = None, quiet: bool = False, background: bool = False
    ) -> Recorder | BackgroundFit:
        """Train exactly as ``plan`` says (``plan.fit_plan``/``one_cycle_plan``: what ``fit``, ``fit_one_cycle``
        and the schedule panel run). In a background thread when ``background`` (returns its BackgroundFit)."""
        learn = cast("Learner", self)
        learn.check_idle("start a fit")
        planned = (len(plan.schedule.scales), plan.schedule.steps_per_epoch)
        if planned != (len(learn.layer_groups), self.steps_per_epoch):
            raise ValueError(
                f"{plan!r} was made for {planned[0]} layer groups and {planned[1]} batches per "
                f"epoch; this learner has {len(learn.layer_groups)} and {self.steps_per_epoch}: "
                "plan it again."
            )
        if background:
            # quiet: printing from a thread lands in whatever cell runs; the TrainingMonitor shows it
            return BackgroundFit.start(lambda: run_fit(learn, plan, wd, True), learn, plan.code)
        return run_fit(learn, plan, wd, quiet)
