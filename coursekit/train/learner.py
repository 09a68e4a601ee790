"""The Learner: a model, its data, and everything the course does to train it.

>>> learn = Learner.pretrained('resnet34', data, metrics=[accuracy])   # 2018: SGD, momentum 0.9
>>> learn.fit(1e-2, 3, cycle_len=1, cycle_mult=2)      # SGDR: cycles of 1, 2 and 4 epochs
>>> learn = cnn_learner(data, 'resnet34', metrics=[accuracy])          # 2019: AdamW
>>> learn.fit_one_cycle(4)

The Learner is this one class, every method of it in this file. It holds the state; each method
is short and hands the work to a plain function of the module for its idea: the fit loop
(``fit_loop``), freezing (``freezing``), the optimizers (``optimizers``), device and precision
(``precision``), predictions (``inference``), saving (``checkpoint``), the LR finder
(``lr_finder``), exporting (``export``), going back to an earlier state (``checkpoints``), and
the demo mode's choice between training live and replaying a rehearsal (``replay``). Only this
file touches the learner's private state.
"""

from __future__ import annotations

import copy
import math
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, overload

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.data.batches import batches_per_epoch, eval_batch_size
from coursekit.data.image_input import ImageInput
from coursekit.data.imagedata import ImageData, Loader
from coursekit.train import checkpoint, inference, lr_finder, snapshots
from coursekit.train.background import BackgroundFit, raise_if_busy
from coursekit.train.checkpoints import Checkpoint, Checkpoints
from coursekit.train.compiled import compile_model
from coursekit.train.convnet import ConvNet, LayerGroup
from coursekit.train.demo_mode import DemoMode
from coursekit.train.events import EVENTS, Listener, emit, new_events, subscribe
from coursekit.train.export import export, export_path, read_export
from coursekit.train.fit_loop import epoch_table_columns, run_fit
from coursekit.train.freezing import first_trainable_group, freeze_to, set_train_mode
from coursekit.train.interpret import Interpretation
from coursekit.train.learner_data import LearnerData
from coursekit.train.lr_finder import LRFinderResult
from coursekit.train.metrics import Metric, metric_name
from coursekit.train.models import create_convnet, normalised_for
from coursekit.train.notices import attach_cpu_notice, cpu_pass_notice
from coursekit.train.optimizers import OPTIMIZERS, check_opt_name, create_optimizer, set_lrs
from coursekit.train.plan import FitPlan, LearningRates, check_plan_fits, plan_fit, plan_one_cycle
from coursekit.train.precision import (
    Precision,
    check_precision_name,
    choose_device,
    place_model,
    to_device,
)
from coursekit.train.precompute import FeatureBatches, FeatureCache, check_precompute
from coursekit.train.recorder import Recorder
from coursekit.train.replay import fit_or_replay, lr_find_or_replay, recorded_or_live

__all__ = ["EVENTS", "OPTIMIZERS", "Learner", "cnn_learner", "load_learner"]

# A loss function: (model outputs, targets) -> a scalar tensor.
LossFunc = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class Learner:
    """Trains ``model`` on ``data``: fit, freeze/unfreeze, LR finder, precompute, save/load, TTA.

    Every method is here, and each is short: the work is done by plain functions in the modules
    of ``coursekit.train`` (``fit_loop.run_fit``, ``freezing.freeze_to``, ``inference.tta_views``, ...).

    ``events`` is a dict of event name -> list of functions, each called with the learner:
    ``learn.events['after_batch'].append(lambda learn: print(learn.recorder.losses[-1]))``;
    ``unsubscribe = learn.subscribe('after_batch', fn)`` does the same and returns the way back.
    ``opt_name``: ``'adamw'`` (fastai v1) or ``'sgd'`` (SGD with momentum 0.9, fastai 0.7); ``wd``:
    weight decay. ``learn.opt`` is the optimizer itself, made at the first fit. ``precision``:
    ``None`` lets the GPU decide (bf16 on compute capability >= 8.0, fp16 + grad scaler before,
    fp32 on a CPU); ``'fp16'`` on a newer GPU trains as a T4 does.
    ``learn.checkpoints``/``learn.restore(n)``: the states after the last fits and saves, and the
    way back to one. ``demo_mode``: ``None`` follows ``ck.demo`` (record a rehearsal, replay it in
    class); a ``DemoMode`` sets it for this learner alone.
    """

    def __init__(
        self,
        model: nn.Module,
        data: LearnerData,
        layer_groups: Sequence[LayerGroup] | None = None,
        metrics: Sequence[Metric] | None = None,
        loss_func: LossFunc | None = None,
        opt_name: str = "adamw",
        wd: float = 1e-2,
        arch: str | None = None,
        device: str | torch.device | None = None,
        compile: bool = False,
        train_bn: bool = False,
        precision: str | None = None,
    ):
        check_opt_name(opt_name)
        self.device = choose_device(device)
        check_precision_name(precision, self.device)
        self.precision_name = precision  # None: chosen by the GPU on first use (see precision.py)
        self.model = place_model(model, self.device)
        self.data, self.arch, self.opt_name, self.wd = data, arch, opt_name, wd
        self.layer_groups = list(layer_groups) if layer_groups else [LayerGroup("model", [model])]
        self.metrics = list(metrics or [])
        self.loss_func: LossFunc = loss_func or (
            F.binary_cross_entropy_with_logits if data.is_multilabel else F.cross_entropy
        )
        self.events = new_events()
        self.recorder = Recorder()
        self.thresh = 0.5  # multi-label: predict's tags are those above this probability
        self.opt: torch.optim.Optimizer | None = None
        self.bn_frozen = False
        self.stop_reason: str | None = None  # why the last fit ended early (stop(), a NaN loss)
        self.background_fit: BackgroundFit | None = None  # set by fit(..., background=True)
        self.demo_mode: DemoMode | None = None  # None: ck.demo's, from the environment (replay.py)
        self._train_bn = train_bn
        self._precompute = False
        self._features = FeatureCache()
        self._precision: Precision | None = None  # chosen on first use: no CUDA call before that
        self._precision_shown = False
        self._checkpoints = Checkpoints()
        if compile:
            self.compile()

    @classmethod
    def pretrained(
        cls,
        arch: str,
        data: ImageData,
        pretrained: bool = True,
        ps: float = 0.5,
        metrics: Sequence[Metric] | None = None,
        opt_name: str = "sgd",
        wd: float = 0.0,
        precompute: bool = False,
        **kwargs: Any,
    ) -> Learner:
        """A body pretrained on ImageNet (``'resnet34'``, ...) with a new head for ``data.c``
        classes, body frozen: only the head trains until ``unfreeze()``. Lessons 1-3 of 2018.

        fastai 0.7's ``ConvLearner.pretrained``, and like it trains with SGD, momentum 0.9 and no
        weight decay, the optimizer its learning rates (``1e-2``, ``[1e-4, 1e-3, 1e-2]``) were chosen
        for. ``opt_name='adamw'`` chooses fastai v1's optimizer instead (see ``cnn_learner``).
        ``pretrained=False`` starts from random weights (nothing is downloaded). ``precompute=True``
        is the course's ``ConvLearner.pretrained(arch, data, precompute=True)``: the same as setting
        ``learn.precompute = True`` afterwards.
        ``learn.data`` normalises pictures as this network's pretrained weights expect
        (``ImageNet`` mean and std for the ResNets, TF-Lite's scaling for ``'efficientnet_lite0'``).
        ``kwargs`` go to ``Learner`` (``loss_func``, ``device``, ``compile``, ``train_bn``,
        ``precision``: ``'fp32'``, ``'fp16'`` or ``'bf16'`` instead of the GPU's own choice).
        """
        model, groups = create_convnet(arch, data.c, pretrained=pretrained, ps=ps)
        data = normalised_for(arch, data)
        learn = cls(model, data, groups, metrics, arch=arch, opt_name=opt_name, wd=wd, **kwargs)
        learn.freeze()
        attach_cpu_notice(learn.events, arch, learn.device)
        if precompute:  # its warning names the caller's line
            check_precompute(learn.model, learn.layer_groups, learn.data.aug, False, stacklevel=3)
            learn._precompute = True
        return learn

    @classmethod
    def from_export(cls, path: str | os.PathLike[str], device: str | None = None) -> Learner:
        """A learner rebuilt from ``learn.export``'s file, ready to ``predict`` with no data folder
        (``ck.load_learner``). ``device``: by default the GPU when there is one. The model is in
        evaluation mode; ``learn.data`` is an ``InferenceData`` (classes, size, normalisation)."""
        exported = read_export(path)
        learn = cls(
            exported.model, exported.data, exported.layer_groups, arch=exported.arch, device=device
        )
        learn.thresh = exported.thresh
        learn.model.eval()
        return learn

    def compile(self, **options: Any) -> Learner:
        """Compile the model with ``torch.compile`` (``options`` go to it); see ``coursekit.train.compiled``."""
        compile_model(self.model, **options)
        return self

    # --------------------------------------------------------------------------------- events
    def subscribe(self, event: str, fn: Listener) -> Callable[[], None]:
        """Call ``fn(learn)`` at each ``event``; returns the function that unsubscribes it again
        (a panel calls it on ``close()``). ``events[event].append(fn)`` without the way back."""
        return subscribe(self.events, event, fn)

    def emit(self, event: str) -> None:
        """Call every listener of ``event`` with this learner."""
        emit(self.events, event, self)

    # ---------------------------------------------------------------------------------- state
    def stop(self) -> None:
        """Ask a running fit to stop at the next batch boundary (the Stop button calls this)."""
        self.stop_reason = "stopped"

    def check_idle(self, action: str) -> None:
        """Raise a clear error if a background fit is training this learner (see ``background``)."""
        raise_if_busy(self.background_fit, self.recorder, action)

    @property
    def train_bn(self) -> bool:
        """Whether frozen groups' BatchNorm layers train (fastai v1's ``train_bn``; ``cnn_learner``
        sets it) or stay as pretrained (fastai 0.7, ``Learner.pretrained``). Setting it applies to
        the groups frozen now."""
        return self._train_bn

    @train_bn.setter
    def train_bn(self, value: bool) -> None:
        self.check_idle("change train_bn")
        self._train_bn = value
        self.freeze_to(first_trainable_group(self.layer_groups))

    def freeze_to(self, n: int) -> None:
        """Freeze the groups before index ``n`` and train the rest, as fastai 0.7's
        ``layer_groups[n:]`` (``-1``: only the head trains); see ``freezing.freeze_to``."""
        self.check_idle("freeze or unfreeze layer groups")
        if freeze_to(self.layer_groups, n, self.train_bn) < len(self.layer_groups) - 1:
            self.precompute = False  # the body will change: its cached activations would be stale
            self._features.clear()

    def freeze(self) -> None:
        """Train only the last layer group (the head)."""
        self.freeze_to(-1)

    def unfreeze(self) -> None:
        """Train every layer group (turns precompute off)."""
        self.freeze_to(0)

    def bn_freeze(self, frozen: bool = True) -> None:
        """Keep *every* BatchNorm layer in evaluation mode while training, so all running means and
        variances stay those learned on ImageNet. The course calls ``learn.bn_freeze(True)`` right
        after ``unfreeze()`` for big models (resnet50, resnext101) on photos like ImageNet's."""
        self.check_idle("change bn_freeze")
        self.bn_frozen = frozen

    def train_mode(self) -> None:
        """``model.train()`` as fastai 0.7's ``set_train_mode``; see ``freezing.set_train_mode``."""
        set_train_mode(self.model, self.layer_groups, self.bn_frozen, self.train_bn)

    # ------------------------------------------------------------------ device and precision
    @property
    def precision(self) -> Precision:
        """bf16 on GPUs with native bf16 (compute capability >= 8.0), fp16 + grad scaler on older
        GPUs (T4, V100), fp32 on a CPU, or the ``precision`` asked for; chosen on first use."""
        if self._precision is None:
            self._precision = Precision.for_device(self.device, self.precision_name)
        return self._precision

    @property
    def amp_dtype(self) -> torch.dtype | None:
        return self.precision.dtype

    @property
    def scaler(self) -> torch.amp.GradScaler:
        return self.precision.scaler

    def autocast(self) -> AbstractContextManager[object]:
        """Mixed precision on CUDA; nothing on CPU (plain fp32)."""
        return self.precision.autocast()

    def to_device(self, x: torch.Tensor) -> torch.Tensor:
        """A batch on the learner's device (channels_last on CUDA, copied without blocking)."""
        return to_device(x, self.device)

    # ------------------------------------------------------------------------------ precompute
    @property
    def feature_cache(self) -> FeatureCache:
        """The cached body activations that ``precompute`` trains on (``max_bytes`` bounds its RAM)."""
        return self._features

    @property
    def precompute(self) -> bool:
        """Train the head on cached body activations (see ``coursekit.train.precompute``)."""
        return self._precompute

    @precompute.setter
    def precompute(self, on: bool) -> None:
        self.check_idle("switch precompute")
        if on:
            check_precompute(self.model, self.layer_groups, self.data.aug, self._precompute)
        self._precompute = bool(on)

    # -------------------------------------------------------------------------------- batches
    @property
    def steps_per_epoch(self) -> int:
        """Training batches in one epoch (of images, or of cached activations: the same count)."""
        return batches_per_epoch(len(self.data.split_paths("train")), self.data.bs)

    def loader(self, split: str, shuffle: bool = False) -> Loader | FeatureBatches:
        """Batches of ``split`` as the model consumes them: images, or cached activations."""
        if self._precompute:
            return self._features.loader(
                split, self.data, self.model, self.precision, self.arch, shuffle
            )
        bs = self.data.bs if shuffle else eval_batch_size(self.data.bs)
        return self.data.loader(self.data.split(split), shuffle=shuffle, bs=bs)

    def forward(self, xb: torch.Tensor) -> torch.Tensor:
        """The model's output for a batch: of the head alone on cached activations while precomputing."""
        if self._precompute and isinstance(self.model, ConvNet):
            return self.model.classify(xb)
        return self.model(xb)

    def create_opt(self, wd: float | None = None) -> torch.optim.Optimizer:
        """The optimizer, one parameter group per layer group; see ``coursekit.train.optimizers``."""
        return create_optimizer(self.layer_groups, self.opt_name, self.wd if wd is None else wd)

    def _optimizer(self, wd: float | None = None) -> torch.optim.Optimizer:
        """``learn.opt``, made now (with weight decay ``wd``) if there is none yet."""
        if self.opt is None:
            self.opt = self.create_opt(wd)
        return self.opt

    def set_lrs(self, lrs: Sequence[float], momentum: float | None = None) -> None:
        """Write each layer group's learning rate (and the momentum) into the optimizer."""
        set_lrs(self._optimizer(), lrs, momentum)

    def train_step(self, xb: torch.Tensor, yb: torch.Tensor) -> float:
        """One optimizer step on a batch; returns the loss. A non-finite loss takes no step."""
        xb, yb = self.to_device(xb), yb.to(self.device, non_blocking=True)
        with self.autocast():
            loss = self.loss_func(self.forward(xb), yb)
        value = self.loss_value(loss)
        if math.isfinite(value):
            opt = self._optimizer()
            opt.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(opt)
            self.scaler.update()
        return value

    def loss_value(self, loss: torch.Tensor) -> float:
        """The batch's loss as a number (a distributed learner averages it over processes)."""
        return loss.item()

    # ------------------------------------------------------------------------------ fitting
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
        self.check_idle("start a fit")
        n_groups, steps = len(self.layer_groups), self.steps_per_epoch
        plan = plan_fit(lrs, n_groups, steps, n_cycle, cycle_len, cycle_mult, cycle_save_name)
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
        self.check_idle("start a fit")
        n_groups, steps = len(self.layer_groups), self.steps_per_epoch
        plan = plan_one_cycle(lr_max, n_groups, steps, n_epochs, pct_start, div)
        return self.run_plan(plan, wd, quiet, background)

    def run_plan(
        self, plan: FitPlan, wd: float | None = None, quiet: bool = False, background: bool = False
    ) -> Recorder | BackgroundFit:
        """Train exactly as ``plan`` says (``plan.plan_fit``/``plan_one_cycle``: what ``fit``,
        ``fit_one_cycle`` and the schedule panel run); see ``fit_loop.run_fit`` (or, in
        ``ck.demo.replay()``, the rehearsal's recording: ``replay.fit_or_replay``). In a background
        thread when ``background`` (returns its BackgroundFit; nothing is printed then)."""
        self.check_idle("start a fit")
        check_plan_fits(plan, len(self.layer_groups), self.steps_per_epoch)
        if background:
            # quiet: printing from a thread lands in whatever cell runs; the TrainingMonitor shows it
            self.background_fit = BackgroundFit(lambda: self._train(plan, wd, True), plan.code)
            return self.background_fit.start()
        if not quiet and not self._precision_shown:  # once per learner, before its first table
            sys.stderr.flush()  # a notebook shows the warnings given so far above this line
            print(f"training with {self.precision}", flush=True)
            self._precision_shown = True
        return self._train(plan, wd, quiet)

    def _train(self, plan: FitPlan, wd: float | None, quiet: bool) -> Recorder:
        """Run the fit, then keep the state it left as a checkpoint (``learn.restore``)."""
        # live, or the rehearsal's (ck.demo)
        recorder = fit_or_replay(self, lambda: self._fit_live(plan, wd, quiet), plan, wd, quiet)
        rows = self.recorder.rows
        self._keep_checkpoint(self._checkpoints.fit_description(plan.code, self.stop_reason, rows))
        return recorder

    def _fit_live(self, plan: FitPlan, wd: float | None, quiet: bool) -> Recorder:
        """``fit_loop.run_fit`` on this learner: its model, optimizer (made now if there is none;
        weight decay ``wd``, else the learner's), batches, steps, events and the cycles'
        snapshots; ``learn.stop_reason`` says why it ended early, if it did."""
        if not self._precompute:
            self._features.clear()  # training through the body moves its BatchNorm statistics
        opt = self._optimizer(wd)
        for group in opt.param_groups:
            group["weight_decay"] = self.wd if wd is None else wd
        name, save_snapshot = plan.cycle_save_name, None
        if name:
            snapshots.begin_snapshots(self.models_dir, name)

            def save_snapshot(cycle: int) -> None:
                snapshots.save_snapshot(self.models_dir, name, cycle, self.save)

        train_dl = self.loader("train", shuffle=True)  # computes the activations to precompute
        self.stop_reason = None
        try:
            return run_fit(
                plan,
                self.model,
                opt,
                train_dl,
                self.train_step,
                self.train_mode,
                self.validate,
                self.recorder,
                epoch_table_columns(self.metrics),
                self.emit,
                lambda: self.stop_reason,
                save_snapshot,
                quiet,
            )
        finally:
            self.stop_reason = self.recorder.stopped

    @torch.no_grad()
    def validate(self) -> tuple[float, dict[str, float]]:
        """Loss and metrics on the whole validation set."""
        self.check_idle("validate")
        logits, targets = inference.predict_loader(self.predictor(), self.loader("valid"))
        loss = self.loss_func(logits, targets).item()
        return loss, {metric_name(m): m(logits, targets) for m in self.metrics}

    def lr_find(
        self,
        start_lr: float | Sequence[float] = 1e-7,
        end_lr: float = 10,
        num_it: int = 100,
        quiet: bool = False,
        on_step: Callable[[int, int], None] | None = None,
    ) -> LRFinderResult:
        """The learning-rate finder; see ``coursekit.train.lr_finder.lr_find`` (live, or the
        rehearsal's in ``ck.demo.replay()``: ``coursekit.train.replay``)."""
        self.check_idle("run the LR finder")
        start = lr_finder.start_rates(start_lr, len(self.layer_groups))

        def live(on_step: Callable[[int, int], None] | None) -> LRFinderResult:
            return self._find_lr(start, end_lr, num_it, quiet, on_step)

        return lr_find_or_replay(self, live, start_lr, end_lr, num_it, quiet, on_step)

    def _find_lr(
        self,
        start_lr: list[float],
        end_lr: float,
        num_it: int,
        quiet: bool,
        on_step: Callable[[int, int], None] | None,
    ) -> LRFinderResult:
        """``lr_finder.lr_find`` on this learner's model, optimizer and training batches (a learner
        that had no optimizer has none again after it), timed for the CPU notice when its batches
        go through the body (on cached activations it is quick)."""
        had_opt, opt = self.opt is not None, self._optimizer()
        tick = (
            cpu_pass_notice(self.arch, self.device, num_it, "lr_find's run")
            if not self._precompute
            else None
        )

        def step(i: int, n: int) -> None:
            if tick is not None:
                tick()
            if on_step is not None:
                on_step(i, n)

        try:
            return lr_finder.lr_find(
                self.model,
                opt,
                lambda: self.loader("train", shuffle=True),
                self.train_step,
                self.train_mode,
                start_lr,
                end_lr,
                num_it,
                quiet=quiet,
                on_step=step,
            )
        finally:
            if not had_opt:
                self.opt = None

    # ------------------------------------------------------------------------- predictions
    def predictor(self) -> inference.Predictor:
        """What a prediction needs of this learner: the model, its device and precision, and
        its forward pass (the head alone on cached activations while precomputing)."""
        return inference.Predictor(
            self.model, self.device, self.precision, self.data.is_multilabel, self.forward
        )

    def _recorded(self, code: str, predict: Callable[[], list[torch.Tensor]]) -> list[torch.Tensor]:
        """``predict()`` live, or the rehearsal's outputs in ``ck.demo.replay()``."""
        return recorded_or_live(self, code, predict)

    def get_preds(self, split: str = "valid") -> tuple[torch.Tensor, torch.Tensor]:
        """(probabilities, targets) for every image of ``split`` ('valid', 'test' or 'train', in
        file order); see ``inference.get_preds``."""
        self.check_idle("predict")
        self.data.split(split)  # a clear error for an unknown split or a missing test set
        probs, targets = self._recorded(
            f"learn.get_preds({split!r})",
            lambda: list(inference.get_preds(self.predictor(), self.loader(split))),
        )
        return probs, targets

    def _tta_views(self, n_aug: int, split: str) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The probabilities of each view and the targets; see ``inference.tta_views``."""

        def predict() -> list[torch.Tensor]:
            views, targets = inference.tta_views(self.predictor(), self.data, split, n_aug)
            return [targets, *views]

        targets, *views = self._recorded(f"learn.tta({n_aug}, {split!r})", predict)
        return views, targets

    def tta(self, n_aug: int = 4, split: str = "valid") -> tuple[torch.Tensor, torch.Tensor]:
        """Test-time augmentation: ``probs = (p_plain + p_aug_1 + ... + p_aug_n) / (n_aug + 1)``,
        the mean of the probabilities on the plain (centre-crop) view and on ``n_aug`` views made
        with the training augmentation. Returns (probabilities, targets)."""
        self.check_idle("predict")
        views, targets = self._tta_views(n_aug, split)
        return torch.stack(views).mean(0), targets

    def TTA(self, n_aug: int = 4, is_test: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """fastai 0.7's ``learn.TTA()``: ``(log_preds, y)``, numpy, one row of ``log_preds`` per
        view; ``probs = np.mean(np.exp(log_preds), 0)`` (lesson 2). See ``inference.tta_log_preds``."""
        self.check_idle("predict")
        views, targets = self._tta_views(n_aug, "test" if is_test else "valid")
        return inference.tta_log_preds(views, self.data.is_multilabel), targets.numpy()

    @overload
    def predict(self, image: None = None, is_test: bool = False) -> np.ndarray: ...

    @overload
    def predict(
        self, image: ImageInput, is_test: bool = False
    ) -> tuple[str, torch.Tensor, torch.Tensor]: ...

    def predict(
        self, image: ImageInput | None = None, is_test: bool = False
    ) -> tuple[str, torch.Tensor, torch.Tensor] | np.ndarray:
        """fastai's ``(label, index, probs)`` for one image (path, PIL image, bytes, numpy array);
        see ``inference.predict``. With no image, fastai 0.7's ``learn.predict()``: the
        log-probabilities of the validation set (of the test set with ``is_test``), numpy (N, C)."""
        self.check_idle("predict")
        if image is None:
            return inference.log_probs(self.get_preds("test" if is_test else "valid")[0])
        return inference.predict(self.predictor(), self.data, image, self.thresh)

    def snapshot_preds(self, name: str, split: str = "valid") -> tuple[torch.Tensor, torch.Tensor]:
        """Mean probabilities over the snapshots saved by ``fit(..., cycle_save_name=name)`` (one
        per cycle of the last such fit, as ``models/<name>_cycles.json`` lists them); the
        learner's own weights are put back afterwards."""
        self.check_idle("predict")
        names = snapshots.snapshot_names(self.models_dir, name)
        if not names:
            raise FileNotFoundError(
                f"the last fit with cycle_save_name={name!r} ended before its first cycle did: "
                "no snapshot to average; fit again."
            )
        try:
            return inference.snapshot_preds(
                self.model, names, self.load, lambda: self.get_preds(split)
            )
        finally:
            self._features.clear()

    def submission(
        self,
        path: str | os.PathLike[str],
        split: str = "test",
        use_tta: bool = True,
        thresh: float = 0.2,
    ) -> Path:
        """Write a Kaggle submission CSV of ``split``'s predictions (with test-time augmentation
        unless ``use_tta=False``) and return its path; see ``inference.write_submission``."""
        self.check_idle("write a submission")
        probs, _ = self.tta(split=split) if use_tta else self.get_preds(split)
        return inference.write_submission(
            path,
            probs,
            self.data.split_paths(split),
            self.data.classes,
            self.data.is_multilabel,
            thresh,
        )

    def interpret(self, split: str = "valid", tta: bool = False) -> Interpretation:
        """An ``Interpretation`` of the predictions on ``split`` (lessons 1, 2)."""
        self.check_idle("interpret")
        return Interpretation.from_learner(self, split, tta)

    # ----------------------------------------------------------------------- saving and data
    @property
    def models_dir(self) -> Path:
        return Path(self.data.path) / "models"

    def save(self, name: str) -> Path:
        """Save the weights (with the architecture and classes) to ``models/<name>.pth``, atomically."""
        self.check_idle("save")
        path = checkpoint.save_weights(
            self.models_dir / f"{name}.pth", self.model, self.arch, self.data.classes
        )
        self._keep_checkpoint(Checkpoints.save_description(name, self.recorder.rows))
        return path

    @property
    def checkpoints(self) -> Checkpoints:
        """The states after the last fits and saves, in memory (the last 8, on the CPU); see
        ``coursekit.train.checkpoints``. ``learn.restore(n)`` goes back to one."""
        return self._checkpoints

    def restore(self, n: int = -1) -> Checkpoint:
        """Go back to checkpoint ``n`` of ``learn.checkpoints`` (0: the oldest kept, -1: the latest):
        its weights, frozen layer groups, ``bn_freeze``, ``precompute`` and optimizer state.

        >>> learn.fit(1e-2, 1); learn.unfreeze(); learn.fit(1e-1, 1)   # worse
        >>> learn.restore(0)                                          # as after the first fit
        """
        self.check_idle("restore a checkpoint")
        checkpoint = self._checkpoints[n]
        self.model.load_state_dict(checkpoint.model)  # copies: the checkpoint stays as it is
        self.freeze_to(checkpoint.first_trainable)
        self.bn_freeze(checkpoint.bn_frozen)
        if checkpoint.opt is None:
            self.opt = None
        else:  # a copy: training would change the checkpoint's tensors in place
            self._optimizer().load_state_dict(copy.deepcopy(checkpoint.opt))
        self._features.clear()
        if checkpoint.precompute != self._precompute:
            self.precompute = checkpoint.precompute
        self.model.eval()
        return checkpoint

    def _keep_checkpoint(self, description: str) -> None:
        """Keep the state now in ``learn.checkpoints``; see ``Checkpoints.add``."""
        self._checkpoints.add(
            description,
            self.model,
            self.opt,
            self.layer_groups,
            self.bn_frozen,
            self._precompute,
        )

    def load(self, name: str) -> None:
        """Load weights saved by ``save`` (with ``weights_only=True``: no code runs)."""
        self.check_idle("load weights")
        checkpoint.load_weights(
            self.models_dir / f"{name}.pth", self.model, self.arch, self.data.classes, self.device
        )
        self._features.clear()

    def export(self, fname: str | os.PathLike[str] = "export.pth") -> Path:
        """One file with all inference needs (``ck.load_learner`` reads it); see ``coursekit.train.export``.
        Refused while a background fit trains the weights it would write."""
        self.check_idle("export")
        path = export_path(self.data.path, fname)
        return export(path, self.model, self.arch, self.data, self.thresh)

    def set_data(self, data: ImageData) -> None:
        """Keep the weights, swap the data (progressive resizing: train at 224, then at 299), and
        freeze the body again, as the course does. The pictures stay normalised for the network,
        as in ``pretrained``."""
        self.check_idle("change the data")
        if list(data.classes) != list(self.data.classes):
            raise ValueError(
                f"the new data's classes differ from the learner's: {data.classes[:5]}... vs "
                f"{self.data.classes[:5]}..."
            )
        self.data = normalised_for(self.arch, data) if self.arch else data
        self._features.clear()
        self.freeze()

    def __repr__(self) -> str:
        groups = ", ".join(
            f"{g.name} {'trainable' if g.trainable else 'frozen'}" for g in self.layer_groups
        )
        n_params = sum(p.numel() for p in self.model.parameters())
        precision = self._precision.name if self._precision else None
        precision = precision or ("fp32" if self.device.type != "cuda" else "chosen on first use")
        return (
            f"Learner({self.arch or type(self.model).__name__}, {n_params:,} params, on {self.device.type}, "
            f"opt={OPTIMIZERS[self.opt_name]}, wd={self.wd:g}, precision={precision})\n"
            f"  data: {self.data!r}\n  layer groups: {groups}"
        )


def load_learner(path: str | os.PathLike[str], device: str | None = None) -> Learner:
    """``Learner.from_export``: a learner rebuilt from ``learn.export``'s file (lesson 6)."""
    return Learner.from_export(path, device)


def cnn_learner(
    data: ImageData,
    arch: str,
    metrics: Sequence[Metric] | None = None,
    pretrained: bool = True,
    ps: float = 0.5,
    opt_name: str = "adamw",
    wd: float = 1e-2,
    train_bn: bool = True,
    **kwargs: Any,
) -> Learner:
    """fastai v1's ``cnn_learner(data, models.resnet34, metrics=error_rate)`` (lesson 1, 2019): a
    pretrained body, a new head, body frozen, trained with AdamW (betas (0.9, 0.99), weight decay
    1e-2) as fastai v1. ``arch`` is a name: ``'resnet34'``. ``opt_name='sgd'`` for fastai 0.7's.
    ``train_bn=True`` as fastai v1: the frozen body's BatchNorm layers still train (their weights,
    biases and running statistics); ``False`` keeps them as pretrained, as ``Learner.pretrained``.

    >>> learn = cnn_learner(data, 'resnet34', metrics=[error_rate])
    >>> learn.fit_one_cycle(4)
    """
    return Learner.pretrained(
        arch,
        data,
        pretrained=pretrained,
        ps=ps,
        metrics=metrics,
        opt_name=opt_name,
        wd=wd,
        train_bn=train_bn,
        **kwargs,
    )
