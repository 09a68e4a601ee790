"""Live or replayed: what a fit, ``lr_find`` or a prediction does in the demo mode (``ck.demo``).

At home the instructor rehearses with ``ck.demo.record()``: each fit, ``lr_find`` and set of
predictions runs live and is written down (``coursekit.train.recordings``): every batch's loss and
learning rates, the epoch table, the weights and optimizer state after the fit, the pace it ran
at. In class, with ``ck.demo.replay(speed=10)``, the same cell finds its recording and plays it
back: the learner emits the same events (``before_fit``, ``after_batch``, ``after_epoch``,
``after_fit``) with the same recorder, so the training monitor, the schedule panel and the LR
finder panel show it as they show a live fit, ten times faster than it ran (``speed=1``: the
real pace). No batch is trained: the weights after it are the recorded ones, so the cells after
it (predictions, TTA, interpretation) give what the rehearsal gave, GPU outputs on a laptop.
A cell with no matching recording trains live, and says why.

``Learner.fit``/``fit_one_cycle`` (through ``run_plan``) call ``fit_or_replay``, ``learn.lr_find``
calls ``lr_find_or_replay``, and the learner's predictions (``get_preds``, ``tta``, ``TTA``) call
``recorded_or_live``; in the default mode ("off") each runs live at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from coursekit.progress import progress_bar
from coursekit.seeding import random_state, set_random_state
from coursekit.train import snapshots
from coursekit.train.checkpoints import on_cpu
from coursekit.train.demo_mode import DemoMode, demo_mode_from_env
from coursekit.train.epoch_table import EpochTable
from coursekit.train.fit_loop import epoch_table_columns
from coursekit.train.freezing import first_trainable_group
from coursekit.train.lr_finder import LRFinderResult, suggest_lr
from coursekit.train.plan import FitPlan
from coursekit.train.recorder import Recorder
from coursekit.train.recordings import Recording, data_fingerprint, state_fingerprint
from coursekit.train.torch_file import read_torch_file

if TYPE_CHECKING:
    from coursekit.train.learner import Learner

__all__ = ["fit_or_replay", "lr_find_or_replay", "recorded_or_live"]


def _mode(learn: Learner) -> DemoMode:
    return learn.demo_mode if learn.demo_mode is not None else demo_mode_from_env()


class _Pace:
    """Sleeps so that recorded moments (seconds since the start) come ``speed`` times faster."""

    def __init__(self, mode: DemoMode):
        self.mode, self.at = mode, 0.0

    def until(self, moment: float) -> None:
        wait, self.at = (moment - self.at) / self.mode.speed, moment
        if wait > 0 and math.isfinite(wait):
            self.mode.sleep(wait)


def _say(text: str, quiet: bool) -> None:
    if not quiet:
        print(text, flush=True)


def _draw_on_as_rehearsed(payload: dict[str, Any]) -> None:
    """Leave the random generators where the rehearsal left them after this step: a replay draws
    nothing (no batch order, no augmentation, no dropout), and without this a learner made in a
    later cell would start from other random weights than the rehearsal's, matching no recording."""
    if "random_state" in payload:
        set_random_state(payload["random_state"])


def _wanted(kind: str, code: str, learn: Learner) -> Recording:
    """The recording that a cell running ``code`` on ``learn`` now would have."""
    state = state_fingerprint(
        learn.model,
        first_trainable_group(learn.layer_groups),
        learn.bn_frozen,
        learn.train_bn,
        learn.precompute,
        learn.opt_name,
        learn.wd,
    )
    return Recording.of(kind, code, data_fingerprint(learn.data), state, learn.device.type)


def _replay_note(stored: Recording, mode: DemoMode, learn: Learner) -> str:
    where = f", rehearsed on {stored.device}" if stored.device != learn.device.type else ""
    return f"replaying the recording of {stored.recorded} ({mode.speed_text}{where})"


# ---------------------------------------------------------------------------------------- fits
def fit_or_replay(
    learn: Learner, live: Callable[[], Recorder], plan: FitPlan, wd: float | None, quiet: bool
) -> Recorder:
    """Run ``plan`` live (``live()``: ``fit_loop.run_fit`` on the learner), live and recorded, or
    replayed, as the demo mode says; ``wd`` names the fit's recording with the plan."""
    mode = _mode(learn)
    learn.recorder.demo = None
    if mode.action == "off":
        return live()
    code = plan.code if wd is None else f"{plan.code} with wd={wd:g}"
    wanted = _wanted("fit", code, learn)  # its steps follow from the code and the data
    if mode.action == "record":
        return _record_fit(learn, live, plan, quiet, mode, wanted)
    found = mode.store.read(wanted)
    if isinstance(found, str):
        learn.recorder.demo = f"no recording for this fit: {found}; training live"
        _say(learn.recorder.demo, quiet)
        return live()
    return _replay_fit(learn, plan, quiet, mode, *found)


def _record_fit(
    learn: Learner,
    live: Callable[[], Recorder],
    plan: FitPlan,
    quiet: bool,
    mode: DemoMode,
    wanted: Recording,
) -> Recorder:
    times: dict[str, list[float]] = {"start": [], "batch": [], "epoch": []}
    epoch_ends: list[int] = []

    def since_start() -> float:
        return mode.clock() - times["start"][0]

    def after_epoch(learner: Learner) -> None:
        times["epoch"].append(since_start())
        epoch_ends.append(learner.recorder.iteration)

    listeners = [
        learn.subscribe("before_fit", lambda _: times["start"].append(mode.clock())),
        learn.subscribe("after_batch", lambda _: times["batch"].append(since_start())),
        learn.subscribe("after_epoch", after_epoch),
    ]
    try:
        recorder = live()
    finally:
        for unsubscribe in listeners:
            unsubscribe()
    snapshot_weights = []
    if plan.cycle_save_name:
        for stem in snapshots.snapshot_names(learn.models_dir, plan.cycle_save_name):
            saved = read_torch_file(learn.models_dir / f"{stem}.pth", "cpu", "checkpoint", "")
            snapshot_weights.append(saved["model"])
    payload = {
        "columns": epoch_table_columns(learn.metrics),
        "n_epochs": recorder.n_epochs,
        "n_iterations": recorder.n_iterations,
        "lrs": recorder.lrs,
        "losses": recorder.losses,
        "momentums": recorder.momentums,
        "rows": recorder.rows,
        "stopped": recorder.stopped,
        "batch_times": times["batch"],
        "epoch_times": times["epoch"],
        "epoch_ends": epoch_ends,
        "snapshots": snapshot_weights,
        "model": on_cpu(learn.model.state_dict()),
        "opt": on_cpu(learn.opt.state_dict()) if learn.opt is not None else None,
        "random_state": random_state(),
    }
    mode.store.write(wanted, payload)
    _say(f"recorded for the demo: {plan.code}", quiet)
    return recorder


def _replay_fit(
    learn: Learner,
    plan: FitPlan,
    quiet: bool,
    mode: DemoMode,
    stored: Recording,
    payload: dict[str, Any],
) -> Recorder:
    """Emit the recorded fit's events at the chosen pace, then load the weights it ended with.
    Stopped (the Stop button) or interrupted, the weights stay as they were before this fit."""
    note = _replay_note(stored, mode, learn)
    _say(note, quiet)
    rec = learn.recorder
    if not learn.precompute:
        learn.feature_cache.clear()  # the body's weights will change
    # the snapshots' weights pass through the model on their way to their files
    before = on_cpu(learn.model.state_dict()) if plan.cycle_save_name else None
    if plan.cycle_save_name:
        snapshots.begin_snapshots(learn.models_dir, plan.cycle_save_name)
    table = EpochTable(payload["columns"], quiet=quiet)
    rec.begin_fit(payload["n_epochs"], payload["n_iterations"])
    rec.demo, learn.stop_reason, finished = note, None, False
    learn.emit("before_fit")
    try:
        finished = _play(learn, plan, payload, _Pace(mode), table)
        if finished:
            learn.model.load_state_dict(payload["model"])
            if payload["opt"] is not None:
                learn.opt = learn.opt or learn.create_opt()
                learn.opt.load_state_dict(payload["opt"])
            learn.stop_reason = payload["stopped"]  # as the rehearsal's fit ended
            _draw_on_as_rehearsed(payload)
        else:
            learn.stop_reason = "stopped during the replay; the weights are as before this fit"
    except BaseException as e:  # KeyboardInterrupt too: the monitor shows it
        rec.error = e
        raise
    finally:
        if not finished and before is not None:
            learn.model.load_state_dict(before)
        rec.stopped = learn.stop_reason
        learn.model.eval()
        learn.emit("after_fit")
    if learn.stop_reason and not quiet:
        print(f"fit ended early: {learn.stop_reason}")
    return rec


def _play(
    learn: Learner, plan: FitPlan, payload: dict[str, Any], pace: _Pace, table: EpochTable
) -> bool:
    """The recorded batches and epoch rows, each at its moment, with the events a live fit emits;
    the snapshot files written where the rehearsal wrote them. False if ``learn.stop()`` was asked."""
    rec, losses, ends = learn.recorder, payload["losses"], payload["epoch_ends"]
    momentums, step = payload["momentums"], 0
    n_started = len(ends) + (1 if (ends[-1] if ends else 0) < len(losses) else 0)
    for epoch in range(n_started):
        rec.epoch = epoch
        learn.emit("before_epoch")
        end = ends[epoch] if epoch < len(ends) else len(losses)  # a fit stopped mid-epoch
        while step < end:
            if learn.stop_reason:
                return False
            pace.until(payload["batch_times"][step])
            momentum = momentums[step] if momentums else None
            rec.record_batch(payload["lrs"][step], losses[step], momentum)
            step += 1
            if plan.cycle_save_name and step in plan.cycle_ends:
                cycle = plan.cycle_ends.index(step)
                learn.model.load_state_dict(payload["snapshots"][cycle])
                snapshots.save_snapshot(learn.models_dir, plan.cycle_save_name, cycle, learn.save)
            learn.emit("after_batch")
        if learn.stop_reason:  # asked after the epoch's last batch: no row, as live
            return False
        if epoch < len(ends):
            pace.until(payload["epoch_times"][epoch])
            rec.rows.append(payload["rows"][epoch])
            table.add(payload["rows"][epoch])
            learn.emit("after_epoch")
    return not learn.stop_reason


# ------------------------------------------------------------------------------------ lr_find
def _rates_text(start_lr: float | Sequence[float]) -> str:
    if isinstance(start_lr, Sequence | np.ndarray):
        return "[" + ", ".join(f"{float(lr):g}" for lr in start_lr) + "]"
    return f"{float(start_lr):g}"


OnStep = Callable[[int, int], None]


def lr_find_or_replay(
    learn: Learner,
    live: Callable[[OnStep | None], LRFinderResult],
    start_lr: float | Sequence[float],
    end_lr: float,
    num_it: int,
    quiet: bool = False,
    on_step: OnStep | None = None,
) -> LRFinderResult:
    """``live(on_step)`` (the finder run on the learner: ``lr_finder.lr_find``), live and
    recorded, or replayed; ``start_lr``, ``end_lr`` and ``num_it`` name the run's recording.
    ``on_step`` is called as live."""
    mode = _mode(learn)
    if mode.action == "off":
        return live(on_step)
    code = f"learn.lr_find({_rates_text(start_lr)}, {end_lr:g}, num_it={num_it})"
    wanted = _wanted("lr_find", code, learn)
    if mode.action == "record":
        start, step_times = mode.clock(), []

        def timed(step: int, n: int) -> None:
            step_times.append(mode.clock() - start)
            if on_step is not None:
                on_step(step, n)

        result = live(timed)
        mode.store.write(
            wanted,
            {
                "lrs": result.lrs,
                "losses": result.losses,
                "times": step_times,
                "random_state": random_state(),
            },
        )
        _say(f"recorded for the demo: {code}", quiet)
        return result
    found = mode.store.read(wanted)
    if isinstance(found, str):
        _say(f"no recording for this lr_find: {found}; running it live", quiet)
        return live(on_step)
    stored, payload = found
    _say(_replay_note(stored, mode, learn), quiet)
    pace, lrs, losses = _Pace(mode), payload["lrs"], payload["losses"]
    bar = progress_bar(len(lrs), "lr_find (replay)") if not quiet else None
    for step, moment in enumerate(payload["times"]):
        pace.until(moment)
        if bar is not None:
            bar.update(1)
        if on_step is not None:
            on_step(step + 1, num_it)
    if bar is not None:
        bar.close()
    _draw_on_as_rehearsed(payload)
    return LRFinderResult(lrs, losses, suggest_lr(lrs, losses))


# -------------------------------------------------------------------------------- predictions
def recorded_or_live(
    learn: Learner, code: str, predict: Callable[[], list[torch.Tensor]]
) -> list[torch.Tensor]:
    """``predict()`` (tensors of one set of predictions, e.g. probabilities and targets) live,
    live and recorded, or the recorded tensors (the rehearsal's, GPU outputs on a CPU too)."""
    mode = _mode(learn)
    if mode.action == "off":
        return predict()
    wanted = _wanted("preds", code, learn)
    if mode.action == "record":
        outputs = predict()
        mode.store.write(wanted, {"outputs": on_cpu(outputs), "random_state": random_state()})
        return outputs
    found = mode.store.read(wanted)
    if isinstance(found, str):
        print(f"no recording of {code}: {found}; predicting live", flush=True)
        return predict()
    stored, payload = found
    print(f"{code}: the rehearsal's predictions (recorded {stored.recorded})", flush=True)
    _draw_on_as_rehearsed(payload)
    return list(payload["outputs"])
