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
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

from coursekit.data.batches import Batches
from coursekit.progress import progress_bar
from coursekit.train.epoch_table import EpochTable
from coursekit.train.metrics import Metric, metric_name
from coursekit.train.optimizers import set_lrs
from coursekit.train.plan import FitPlan, lr_text
from coursekit.train.recorder import Recorder

__all__ = ["epoch_table_columns", "run_fit"]


def _state(model: nn.Module, opt: Optimizer) -> dict[str, Any]:
    """A copy of the weights (BatchNorm statistics included) and the optimizer's state."""
    return {
        "model": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "opt": copy.deepcopy(opt.state_dict()),
    }


def _put_back(model: nn.Module, opt: Optimizer, state: dict[str, Any]) -> None:
    """The weights and optimizer as they were (cached activations stay right: the body is the one
    they were computed from)."""
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])


def epoch_table_columns(metrics: Sequence[Metric]) -> list[str]:
    """The epoch table's columns: epoch, the losses, each metric, the time."""
    return ["epoch", "trn_loss", "val_loss", *map(metric_name, metrics), "time"]


def run_fit(
    plan: FitPlan,
    model: nn.Module,
    opt: Optimizer,
    train_dl: Batches,
    train_step: Callable[[torch.Tensor, torch.Tensor], float],
    train_mode: Callable[[], None],
    validate: Callable[[], tuple[float, dict[str, float]]],
    recorder: Recorder,
    columns: list[str],
    emit: Callable[[str], None],
    stop_asked: Callable[[], str | None],
    save_snapshot: Callable[[int], None] | None = None,
    quiet: bool = False,
) -> Recorder:
    """Train ``model`` exactly as ``plan`` says and return ``recorder`` (``Learner.run_plan`` calls
    this, through ``replay.fit_or_replay``). Why it stopped early, if it did, is
    ``recorder.stopped``.

    ``opt`` has one parameter group per layer group (the schedule's rates are written into it);
    ``train_dl`` gives the training batches of an epoch; ``train_step(xb, yb)`` takes one step of
    ``opt`` and returns the loss; ``train_mode()`` puts ``model`` in training mode as the course
    does; ``validate()`` gives the validation loss and metrics (the epoch table's ``columns``);
    ``emit(event)`` tells the listeners; ``stop_asked()`` is why a stop was asked (``learn.stop()``),
    or None; ``save_snapshot(cycle)`` is called at the end of each cycle when the plan saves them.
    """
    schedule = plan.schedule
    n_epochs, total, cycle_ends = schedule.n_epochs, schedule.total_steps, schedule.cycle_ends
    before = _state(model, opt)  # put back if the loss diverges: NaN weights poison later fits
    table = EpochTable(columns, quiet=quiet)
    recorder.begin_fit(n_epochs, total)
    reason: str | None = None
    step = 0
    emit("before_fit")
    try:
        for epoch in range(n_epochs):
            recorder.epoch, start = epoch, time.perf_counter()
            emit("before_epoch")
            train_mode()
            n_batches = min(len(train_dl), total - step)  # the last epoch may be partial
            bar = progress_bar(n_batches, f"epoch {epoch + 1}/{n_epochs}") if not quiet else None
            for xb, yb in itertools.islice(train_dl, n_batches):
                reason = stop_asked()
                if reason:
                    break
                lrs = schedule.group_lrs(step)
                momentum = schedule.momentum_at(step) if schedule.momentum_at else None
                set_lrs(opt, lrs, momentum)
                loss = train_step(xb, yb)
                if not math.isfinite(loss):
                    _put_back(model, opt, before)
                    reason = (
                        f"the loss became {loss} at batch {step}: the learning rate ({lr_text(max(lrs))}) "
                        "is too high. The weights are back to where they were before this fit; try a "
                        f"learning rate 10x lower ({lr_text(max(lrs) / 10)}), or run learn.lr_find()."
                    )
                    break
                recorder.record_batch(lrs, loss, momentum)
                step += 1
                if bar is not None:
                    bar.update(1)
                if save_snapshot is not None and step in cycle_ends:
                    save_snapshot(cycle_ends.index(step))
                emit("after_batch")
            if bar is not None:
                bar.close()
            reason = reason or stop_asked()
            if reason:
                break
            val_loss, metric_values = validate()
            row = {
                "epoch": epoch,
                "trn_loss": recorder.smooth_losses[-1],
                "val_loss": val_loss,
                **metric_values,
                "time": f"{time.perf_counter() - start:.1f}s",
            }
            recorder.rows.append(row)
            table.add(row)
            emit("after_epoch")
    except BaseException as e:  # KeyboardInterrupt too: listeners (the monitor) show it
        recorder.error = e
        raise
    finally:
        recorder.stopped = reason or stop_asked()
        model.eval()
        emit("after_fit")
    if recorder.stopped and not quiet:
        print(f"fit ended early: {recorder.stopped}")
    return recorder
