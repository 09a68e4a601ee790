"""The Learner: a model, its data, and everything the course does to train it.

>>> learn = Learner.pretrained('resnet34', data, metrics=[accuracy])
>>> learn.fit(1e-2, 3, cycle_len=1, cycle_mult=2)      # SGDR: cycles of 1, 2 and 4 epochs

The fit loop below is the whole of training: for each batch, ask the schedule for the learning
rate at this step, write it into each layer group, take one optimizer step, tell the listeners.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
import uuid
import warnings
from pathlib import Path
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.data.imagedata import ImageData
from coursekit.progress import progress_bar
from coursekit.train import inference, schedules
from coursekit.train.metrics import metric_name
from coursekit.train.models import ConvNet, LayerGroup, create_convnet
from coursekit.train.precision import Precision
from coursekit.train.precompute import FeatureCache
from coursekit.train.recorder import EpochTable, Recorder

__all__ = ["Learner", "EVENTS"]

EVENTS = ("before_fit", "before_epoch", "after_batch", "after_epoch", "after_fit")


class Learner:
    """Trains ``model`` on ``data``: fit, freeze/unfreeze, LR finder, precompute, save/load, TTA.

    ``events`` is a dict of event name -> list of functions, each called with the learner:
    ``learn.events['after_batch'].append(lambda learn: print(learn.recorder.losses[-1]))``.
    """

    def __init__(self, model: nn.Module, data: ImageData, layer_groups: Sequence[LayerGroup] | None = None,
                 metrics: Sequence[Callable] | None = None, loss_func: Callable | None = None,
                 opt: str = "adamw", wd: float = 1e-2, arch: str | None = None, device: str | None = None):
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = model.to(self.device)
        if self.device.type == "cuda":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.data, self.arch, self.opt_name, self.wd = data, arch, opt, wd
        self.layer_groups = list(layer_groups) if layer_groups else [LayerGroup("model", [model])]
        self.metrics = list(metrics or [])
        self.loss_func = loss_func or (F.binary_cross_entropy_with_logits if data.is_multilabel else F.cross_entropy)
        self.events: dict[str, list[Callable]] = {name: [] for name in EVENTS}
        self.recorder = Recorder()
        self.default_lr: float | list[float] | None = None
        self.opt: torch.optim.Optimizer | None = None
        self.bn_frozen = False
        self._precompute = False
        self._features = FeatureCache()
        self._stop_reason: str | None = None
        self.background_fit = None           # the BackgroundFit of fit(..., background=True)
        self._precision: Precision | None = None     # chosen on first use: no CUDA call before that
        self._precision_shown = False

    @classmethod
    def pretrained(cls, arch: str, data: ImageData, pretrained: bool = True, ps: float = 0.5,
                   metrics: Sequence[Callable] | None = None, **kwargs) -> "Learner":
        """A body pretrained on ImageNet (``'resnet34'``, ...) with a new head for ``data.c``
        classes, body frozen: only the head trains until ``unfreeze()``. Lesson 1.

        ``pretrained=False`` starts from random weights (nothing is downloaded).
        """
        model, groups = create_convnet(arch, data.c, pretrained=pretrained, ps=ps)
        learn = cls(model, data, groups, metrics=metrics, arch=arch, **kwargs)
        learn.freeze()
        return learn

    # ------------------------------------------------------------------------------ events
    def emit(self, event: str) -> None:
        for fn in self.events[event]:
            fn(self)

    def stop(self) -> None:
        """Ask a running fit to stop at the next batch boundary (the Stop button calls this)."""
        self._stop_reason = "stopped"

    # --------------------------------------------------------------------- freezing groups
    def freeze_to(self, n: int) -> None:
        """Freeze layer groups before index ``n``; train the rest. ``freeze_to(-1)``: only the head.

        Frozen means *all* of a group's parameters, BatchNorm weights and biases included, get no
        gradient. Their BatchNorm running statistics still follow the data in training mode,
        unless ``bn_freeze(True)`` keeps them in evaluation mode.
        """
        n = n % len(self.layer_groups) if n < 0 else n
        for i, group in enumerate(self.layer_groups):
            for p in group.parameters():
                p.requires_grad_(i >= n)
                if i < n:
                    p.grad = None            # a stale gradient would still move a frozen weight
        if n < len(self.layer_groups) - 1:
            self.precompute = False          # the body will change: its cached activations would be stale
            self._features.clear()

    def freeze(self) -> None:
        """Train only the last layer group (the head)."""
        self.freeze_to(-1)

    def unfreeze(self) -> None:
        """Train every layer group (turns precompute off)."""
        self.freeze_to(0)

    def bn_freeze(self, frozen: bool = True) -> None:
        """Keep the BatchNorm layers of frozen groups in evaluation mode during training, so their
        running mean and variance stay those learned on ImageNet (useful for photos like ImageNet's)."""
        self.bn_frozen = frozen

    def train_mode(self) -> None:
        """``model.train()``, except BatchNorm in frozen groups when ``bn_freeze`` is on."""
        self.model.train()
        if self.bn_frozen:
            for group in self.layer_groups:
                if not group.trainable:
                    for m in group.modules:
                        for bn in m.modules():
                            if isinstance(bn, nn.modules.batchnorm._BatchNorm):
                                bn.eval()

    # ------------------------------------------------------------------------------ precompute
    @property
    def precompute(self) -> bool:
        """Train the head on cached body activations (see ``coursekit.train.precompute``)."""
        return self._precompute

    @precompute.setter
    def precompute(self, on: bool) -> None:
        if on and not isinstance(self.model, ConvNet):
            raise ValueError("precompute needs a model made by Learner.pretrained (a body and a head).")
        if on and any(g.trainable for g in self.layer_groups[:-1]):
            raise ValueError("precompute needs a frozen body: call learn.freeze() first.")
        if on and not self._precompute and self.data.aug is not None and self.data.aug.name != "no_aug":
            warnings.warn(f"augmentation ({self.data.aug!r}) has no effect while precomputing: the body's "
                          "activations are computed once, on the un-augmented images. Set "
                          "learn.precompute = False to train with augmentation.", stacklevel=2)
        self._precompute = bool(on)

    # -------------------------------------------------------------------------------- batches
    def to_device(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device, non_blocking=True)
        if self.device.type == "cuda" and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    @property
    def precision(self) -> Precision:
        """bf16 on GPUs with native bf16 (compute capability >= 8.0), fp16 + grad scaler on older
        GPUs (T4, V100), fp32 on a CPU; see ``coursekit.train.precision``."""
        if self._precision is None:
            self._precision = Precision.for_device(self.device)
        return self._precision

    @property
    def amp_dtype(self) -> torch.dtype | None:
        return self.precision.dtype

    @property
    def scaler(self):
        return self.precision.scaler

    def autocast(self):
        """Mixed precision on CUDA; nothing on CPU (plain fp32)."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda", dtype=self.amp_dtype)

    def loader(self, split: str, shuffle: bool = False):
        """Batches of ``split`` as the model consumes them: images, or cached activations."""
        if self._precompute:
            return self._features.loader(self, split, shuffle)
        return self.data.loader(getattr(self.data, f"{split}_ds"), shuffle=shuffle,
                                bs=self.data.bs if shuffle else self.data.bs * 2)

    def forward(self, xb: torch.Tensor) -> torch.Tensor:
        return self.model.classify(xb) if self._precompute else self.model(xb)

    def create_opt(self, wd: float | None = None) -> torch.optim.Optimizer:
        """The optimizer: one parameter group per layer group (AdamW, or SGD with momentum 0.9).
        Frozen parameters get no gradient, so it leaves them (and their weight decay) alone."""
        wd = self.wd if wd is None else wd
        groups = [{"params": g.parameters(), "lr": 1e-3, "weight_decay": wd} for g in self.layer_groups]
        if self.opt_name == "sgd":
            return torch.optim.SGD(groups, lr=1e-3, momentum=0.9)
        if self.opt_name == "adamw":
            return torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99))
        raise ValueError(f"unknown optimizer {self.opt_name!r}; use 'adamw' or 'sgd'.")

    def set_lrs(self, lrs: Sequence[float], momentum: float | None = None) -> None:
        for group, lr in zip(self.opt.param_groups, lrs):
            group["lr"] = lr
            if momentum is not None:
                if "betas" in group:
                    group["betas"] = (momentum, group["betas"][1])
                else:
                    group["momentum"] = momentum

    def train_step(self, xb: torch.Tensor, yb: torch.Tensor) -> float:
        """One optimizer step on a batch; returns the loss. A non-finite loss takes no step."""
        xb, yb = self.to_device(xb), yb.to(self.device, non_blocking=True)
        with self.autocast():
            loss = self.loss_func(self.forward(xb), yb)
        value = loss.item()
        if not math.isfinite(value):
            return value
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt)
        self.scaler.update()
        return value

    # ------------------------------------------------------------------------------- fitting
    def _group_lrs(self, lrs) -> list[float]:
        """One learning rate per layer group. A single number applies to every group."""
        if lrs is None:
            lrs = self.default_lr
        if lrs is None:
            raise ValueError("give a learning rate: learn.fit(1e-2, 3). Not sure which? Run learn.lr_find().")
        if isinstance(lrs, (int, float)):
            return [float(lrs)] * len(self.layer_groups)
        lrs = [float(x) for x in lrs]
        if len(lrs) != len(self.layer_groups):
            raise ValueError(f"got {len(lrs)} learning rates for {len(self.layer_groups)} layer groups "
                             f"({', '.join(g.name for g in self.layer_groups)}); give one number or one per group.")
        return lrs

    def fit(self, lrs=None, n_cycle: int = 1, cycle_len: float | None = None, cycle_mult: float = 1,
            cycle_save_name: str | None = None, wd: float | None = None, quiet: bool = False,
            background: bool = False):
        """Train for ``n_cycle`` epochs at constant ``lrs`` or, with ``cycle_len``, ``n_cycle`` SGDR
        cycles of ``cycle_len * cycle_mult**i`` epochs (cosine annealing, restarting each cycle).

        ``lrs``: one number for every layer group, or one per group (differential learning rates,
        e.g. ``[1e-4, 1e-3, 1e-2]``). ``cycle_save_name``: save the weights at the end of each cycle
        as ``<name>_cyc_<i>`` (snapshot ensembles: ``learn.snapshot_preds(name)``).
        ``background=True``: run in a thread and return a ``BackgroundFit`` at once, so the notebook
        keeps serving widget events (a Stop button works); nothing is printed then (show a
        ``TrainingMonitor``). Otherwise return the recorder.
        """
        schedule = schedules.make_schedule(self._group_lrs(lrs), len(self.loader("train", shuffle=True)),
                                           n_cycle, cycle_len, cycle_mult)
        save = (lambda i: self.save(f"{cycle_save_name}_cyc_{i}")) if cycle_save_name else None
        return self._fit(schedule, wd, quiet, save, background)

    def fit_one_cycle(self, n_epochs: int, lr_max=None, pct_start: float = 0.25, div: float = 25.0,
                      wd: float | None = None, quiet: bool = False, background: bool = False):
        """The one-cycle policy (lesson 1, 2019): learning rate up over ``pct_start`` of the steps,
        then down; momentum the other way. ``lr_max`` may be one per layer group; ``background`` as in ``fit``."""
        schedule = schedules.make_schedule(self._group_lrs(lr_max), len(self.loader("train", shuffle=True)),
                                           one_cycle_epochs=n_epochs, pct_start=pct_start, div=div)
        return self._fit(schedule, wd, quiet, background=background)

    def _fit(self, schedule: schedules.Schedule, wd: float | None, quiet: bool, save_cycle=None,
             background: bool = False):
        """Run ``schedule``; in a background thread when ``background`` (returns its BackgroundFit)."""
        if background:
            from coursekit.train.background import BackgroundFit
            # quiet: printing from a thread lands in whatever cell runs; the TrainingMonitor shows it
            return BackgroundFit.start(lambda: self._fit(schedule, wd, True, save_cycle), self)
        n_epochs, cycle_ends = schedule.n_epochs, schedule.cycle_ends
        if not self._precompute:
            self._features.clear()     # training through the body moves its BatchNorm statistics
        if self.opt is None:
            self.opt = self.create_opt(wd)
        for group in self.opt.param_groups:
            group["weight_decay"] = self.wd if wd is None else wd
        train_dl = self.loader("train", shuffle=True)
        columns = ["epoch", "trn_loss", "val_loss", *map(metric_name, self.metrics), "time"]
        if not quiet and not self._precision_shown:
            print(f"training in {self.precision}")      # once: before the first epoch table
            self._precision_shown = True
        table = EpochTable(columns, quiet=quiet)
        self.recorder.begin_fit(n_epochs, n_epochs * len(train_dl))
        self._stop_reason, step = None, 0
        self.emit("before_fit")
        try:
            for epoch in range(n_epochs):
                self.recorder.epoch, start = epoch, time.perf_counter()
                self.emit("before_epoch")
                self.train_mode()
                bar = progress_bar(len(train_dl), f"epoch {epoch + 1}/{n_epochs}") if not quiet else None
                for xb, yb in train_dl:
                    if self._stop_reason:
                        break
                    lrs = schedule.group_lrs(step)
                    momentum = schedule.momentum_at(step) if schedule.momentum_at else None
                    self.set_lrs(lrs, momentum)
                    loss = self.train_step(xb, yb)
                    if not math.isfinite(loss):
                        self._stop_reason = (f"the loss became {loss} at batch {step}: the learning rate "
                                             f"({max(lrs):.2g}) is too high. Try one 10x lower.")
                        break
                    self.recorder.record_batch(lrs, loss, momentum)
                    step += 1
                    if bar is not None:
                        bar.update(1)
                    if step in cycle_ends and save_cycle:
                        save_cycle(cycle_ends.index(step))
                    self.emit("after_batch")
                if bar is not None:
                    bar.close()
                if self._stop_reason:
                    break
                val_loss, metric_values = self.validate()
                row = {"epoch": epoch, "trn_loss": self.recorder.smooth_losses[-1], "val_loss": val_loss,
                       **metric_values, "time": f"{time.perf_counter() - start:.1f}s"}
                self.recorder.rows.append(row)
                table.add(row)
                self.emit("after_epoch")
        except BaseException as e:       # KeyboardInterrupt too: listeners (the monitor) show it
            self.recorder.error = e
            raise
        finally:
            self.recorder.stopped = self._stop_reason
            self.model.eval()
            self.emit("after_fit")
        if self._stop_reason and not quiet:
            print(f"fit ended early: {self._stop_reason}")
        return self.recorder

    @torch.no_grad()
    def validate(self) -> tuple[float, dict[str, float]]:
        """Loss and metrics on the whole validation set."""
        logits, targets = inference.predict_loader(self, self.loader("valid"))
        loss = self.loss_func(logits, targets).item()
        return loss, {metric_name(m): m(logits, targets) for m in self.metrics}

    # ----------------------------------------------------------------------- saving and data
    @property
    def models_dir(self) -> Path:
        return Path(self.data.path) / "models"

    def save(self, name: str) -> Path:
        """Save the weights (a state dict, with the architecture and classes) to ``models/<name>.pth``,
        atomically: a temporary file renamed into place."""
        path = self.models_dir / f"{name}.pth"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            torch.save({"model": self.model.state_dict(), "arch": self.arch, "classes": list(self.data.classes)}, tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    def load(self, name: str) -> None:
        """Load weights saved by ``save`` (with ``weights_only=True``: no code runs)."""
        path = self.models_dir / f"{name}.pth"
        if not path.exists():
            raise FileNotFoundError(f"no saved weights {path}; saved ones: "
                                    f"{sorted(p.stem for p in self.models_dir.glob('*.pth'))}")
        state = torch.load(path, map_location=self.device, weights_only=True)
        if state.get("arch") != self.arch:
            raise ValueError(f"{path} holds a {state.get('arch')} but this learner is a {self.arch}.")
        if state.get("classes") != list(self.data.classes):
            raise ValueError(f"{path} was saved for classes {state.get('classes')[:5]}... but this data has "
                             f"{list(self.data.classes)[:5]}...; use the same data set (or its classes).")
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as e:
            raise ValueError(f"{path} does not fit this model: {str(e).splitlines()[0]}") from e
        self._features.clear()

    def set_data(self, data: ImageData) -> None:
        """Keep the weights, swap the data (progressive resizing: train at 224, then at 299), and
        freeze the body again, as the course does."""
        if list(data.classes) != list(self.data.classes):
            raise ValueError(f"the new data's classes differ from the learner's: {data.classes[:5]}... vs "
                             f"{self.data.classes[:5]}...")
        self.data = data
        self._features.clear()
        self.freeze()

    # -------------------------------------------------------------------- thin delegations
    def lr_find(self, start_lr=1e-7, end_lr: float = 10, num_it: int = 100, quiet: bool = False, on_step=None):
        """The learning-rate finder; see ``coursekit.train.lr_finder.lr_find``."""
        from coursekit.train.lr_finder import lr_find
        return lr_find(self, start_lr, end_lr, num_it, quiet=quiet, on_step=on_step)

    def get_preds(self, ds: str = "valid"):
        """(probabilities, targets) on ``ds``; see ``coursekit.train.inference``."""
        return inference.get_preds(self, ds)

    def tta(self, n_aug: int = 4, ds: str = "valid"):
        """Test-time augmentation; see ``coursekit.train.inference.tta``."""
        return inference.tta(self, n_aug, ds)

    def predict(self, image):
        """(class name, probabilities) for one image (path, PIL image)."""
        return inference.predict(self, image)

    def snapshot_preds(self, name: str, ds: str = "valid"):
        """Average probabilities of the weights saved by ``fit(..., cycle_save_name=name)``."""
        return inference.snapshot_preds(self, name, ds)

    def interpret(self, ds: str = "valid", tta: bool = False):
        """An ``Interpretation`` of the predictions on ``ds`` (lessons 1, 2)."""
        from coursekit.train.interpret import Interpretation
        return Interpretation.from_learner(self, ds, tta)

    def submission(self, path, ds: str = "test", use_tta: bool = True, thresh: float = 0.2) -> Path:
        """Write a Kaggle submission CSV; see ``coursekit.train.inference.submission``."""
        return inference.submission(self, path, ds, use_tta, thresh)

    def __repr__(self) -> str:
        groups = ", ".join(repr(g) for g in self.layer_groups)
        precision = self._precision.name if self._precision else (
            "fp32" if self.device.type != "cuda" else "chosen on first use")
        return (f"Learner({self.arch or type(self.model).__name__}, {self.data!r}, groups=[{groups}], "
                f"precision={precision})")
