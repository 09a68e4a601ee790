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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from torch import nn
from torch.optim import Optimizer

from coursekit.progress import progress_bar
from coursekit.train import snapshots
from coursekit.train.epoch_table import EpochTable
from coursekit.train.metrics import Metric, metric_name
from coursekit.train.plan import FitPlan, lr_text
from coursekit.train.recorder import Recorder

if TYPE_CHECKING:
    from coursekit.train.learner import Learner

__all__ = ["epoch_table_columns", "run_fit"]


def _state(model: nn.Module, opt: Optimizer) -> dict[str, Any]:
    """A copy of the weights (BatchNorm statistics included) and the optimizer's state."""
    return {
        "model": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "opt": copy.deepcopy(opt.state_dict()),
    }


def _put_back(model: nn.Module, opt: Optimizer, state: dict[str, Any]) -> None:
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])


def epoch_table_columns(metrics: Sequence[Metric]) -> list[str]:
    """The epoch table's columns: epoch, the losses, each metric, the time."""
    return ["epoch", "trn_loss", "val_loss", *map(metric_name, metrics), "time"]


def run_fit(
    learn: Learner, plan: FitPlan, wd: float | None = None, quiet: bool = False
) -> Recorder:
    """Train ``learn`` exactly as ``plan`` says and return its recorder (``Learner.run_plan`` calls
    this). Why it stopped early, if it did, is ``learn.stop_reason``."""
    schedule = plan.schedule
    n_epochs, total, cycle_ends = schedule.n_epochs, schedule.total_steps, schedule.cycle_ends
    if not learn.precompute:
        learn.feature_cache.clear()  # training through the body moves its BatchNorm statistics
    if learn.opt is None:
        learn.opt = learn.create_opt(wd)
    opt = learn.opt
    for group in opt.param_groups:
        group["weight_decay"] = learn.wd if wd is None else wd
    before = _state(
        learn.model, opt
    )  # put back if the loss diverges: NaN weights poison later fits
    if plan.cycle_save_name:
        snapshots.begin_snapshots(learn.models_dir, plan.cycle_save_name)
    train_dl = learn.loader("train", shuffle=True)
    table = EpochTable(epoch_table_columns(learn.metrics), quiet=quiet)
    learn.recorder.begin_fit(n_epochs, total)
    learn.stop_reason, step = None, 0
    learn.emit("before_fit")
    try:
        for epoch in range(n_epochs):
            learn.recorder.epoch, start = epoch, time.perf_counter()
            learn.emit("before_epoch")
            learn.train_mode()
            n_batches = min(len(train_dl), total - step)  # the last epoch may be partial
            bar = progress_bar(n_batches, f"epoch {epoch + 1}/{n_epochs}") if not quiet else None
            for xb, yb in itertools.islice(train_dl, n_batches):
                if learn.stop_reason:
                    break
                lrs = schedule.group_lrs(step)
                momentum = schedule.momentum_at(step) if schedule.momentum_at else None
                learn.set_lrs(lrs, momentum)
                loss = learn.train_step(xb, yb)
                if not math.isfinite(loss):
                    _put_back(learn.model, opt, before)
                    learn.feature_cache.clear()
                    learn.stop_reason = (
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
                    snapshots.save_snapshot(
                        learn.models_dir, plan.cycle_save_name, cycle_ends.index(step), learn.save
                    )
                learn.emit("after_batch")
            if bar is not None:
                bar.close()
            if learn.stop_reason:
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
        learn.recorder.stopped = learn.stop_reason
        learn.model.eval()
        learn.emit("after_fit")
    if learn.stop_reason and not quiet:
        print(f"fit ended early: {learn.stop_reason}")
    return learn.recorder
