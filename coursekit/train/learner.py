"""The Learner: a model, its data, and everything the course does to train it.

>>> learn = Learner.pretrained('resnet34', data, metrics=[accuracy])   # 2018: SGD, momentum 0.9
>>> learn.fit(1e-2, 3, cycle_len=1, cycle_mult=2)      # SGDR: cycles of 1, 2 and 4 epochs
>>> learn = cnn_learner(data, 'resnet34', metrics=[accuracy])          # 2019: AdamW
>>> learn.fit_one_cycle(4)

The fit loop below is the whole of training: for each batch, ask the schedule for the learning
rate at this step, write it into each layer group, take one optimizer step, tell the listeners.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.data.imagedata import ImageData
from coursekit.train import checkpoint, inference
from coursekit.train.background import BackgroundFit, busy_error
from coursekit.train.fit_loop import run_fit
from coursekit.train.metrics import metric_name
from coursekit.train.models import ConvNet, LayerGroup, create_convnet, input_stats
from coursekit.train.notices import attach_cpu_notice
from coursekit.train.plan import FitPlan, fit_plan, one_cycle_plan
from coursekit.train.precision import Precision
from coursekit.train.precompute import FeatureCache
from coursekit.train.recorder import Recorder

__all__ = ["EVENTS", "OPTIMIZERS", "Learner", "cnn_learner"]

EVENTS = ("before_fit", "before_epoch", "after_batch", "after_epoch", "after_fit")

# Each course's optimizer: fastai 0.7 (2018) trained with SGD and momentum 0.9, no weight decay
# unless asked; fastai v1 (2019) with Adam, betas (0.9, 0.99) and decoupled weight decay 1e-2.
OPTIMIZERS = {"sgd": "SGD(momentum=0.9)", "adamw": "AdamW(betas=(0.9, 0.99))"}


def _normalised_for(arch: str, data: ImageData) -> ImageData:
    """``data`` with the input statistics ``arch``'s pretrained weights expect (a copy if they differ)."""
    stats = input_stats(arch)
    return (
        data
        if tuple(map(tuple, data.stats)) == tuple(map(tuple, stats))
        else replace(data, stats=stats)
    )


class Learner:
    """Trains ``model`` on ``data``: fit, freeze/unfreeze, LR finder, precompute, save/load, TTA.

    ``events`` is a dict of event name -> list of functions, each called with the learner:
    ``learn.events['after_batch'].append(lambda learn: print(learn.recorder.losses[-1]))``;
    ``unsubscribe = learn.subscribe('after_batch', fn)`` does the same and returns the way back.
    ``opt``: ``'adamw'`` (fastai v1) or ``'sgd'`` (SGD with momentum 0.9, fastai 0.7); ``wd``: weight decay.
    """

    def __init__(
        self,
        model: nn.Module,
        data: ImageData,
        layer_groups: Sequence[LayerGroup] | None = None,
        metrics: Sequence[Callable] | None = None,
        loss_func: Callable | None = None,
        opt: str = "adamw",
        wd: float = 1e-2,
        arch: str | None = None,
        device: str | None = None,
        compile: bool = False,
    ):
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = model.to(self.device)
        if self.device.type == "cuda":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.data, self.arch, self.opt_name, self.wd = data, arch, opt, wd
        self.layer_groups = list(layer_groups) if layer_groups else [LayerGroup("model", [model])]
        self.metrics = list(metrics or [])
        self.loss_func = loss_func or (
            F.binary_cross_entropy_with_logits if data.is_multilabel else F.cross_entropy
        )
        self.events: dict[str, list[Callable]] = {name: [] for name in EVENTS}
        self.recorder = Recorder()
        self.thresh = 0.5  # multi-label: predict's tags are those above this probability
        self.opt: torch.optim.Optimizer | None = None
        self.bn_frozen = False
        self._precompute = False
        self._features = FeatureCache()
        self._stop_reason: str | None = None
        self.background_fit = None  # the BackgroundFit of fit(..., background=True)
        if opt not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer opt={opt!r}; use 'adamw' (fastai v1) or 'sgd' (fastai 0.7)."
            )
        self._precision: Precision | None = None  # chosen on first use: no CUDA call before that
        self._precision_shown = False
        if compile:
            self.compile()

    @classmethod
    def pretrained(
        cls,
        arch: str,
        data: ImageData,
        pretrained: bool = True,
        ps: float = 0.5,
        metrics: Sequence[Callable] | None = None,
        opt: str = "sgd",
        wd: float = 0.0,
        **kwargs,
    ) -> Learner:
        """A body pretrained on ImageNet (``'resnet34'``, ...) with a new head for ``data.c``
        classes, body frozen: only the head trains until ``unfreeze()``. Lessons 1-3 of 2018.

        fastai 0.7's ``ConvLearner.pretrained``, and like it trains with SGD, momentum 0.9 and no
        weight decay, the optimizer its learning rates (``1e-2``, ``[1e-4, 1e-3, 1e-2]``) were chosen
        for. ``opt='adamw'`` chooses fastai v1's optimizer instead (see ``cnn_learner``).
        ``pretrained=False`` starts from random weights (nothing is downloaded).
        ``learn.data`` normalises pictures as this network's pretrained weights expect
        (``ImageNet`` mean and std for the ResNets, TF-Lite's scaling for ``'efficientnet_lite0'``).
        """
        model, groups = create_convnet(arch, data.c, pretrained=pretrained, ps=ps)
        data = _normalised_for(arch, data)
        learn = cls(model, data, groups, metrics=metrics, arch=arch, opt=opt, wd=wd, **kwargs)
        learn.freeze()
        attach_cpu_notice(learn)
        return learn

    def compile(self, **options) -> Learner:
        """Compile the model with ``torch.compile`` (``options`` go to it); see ``coursekit.train.compiled``."""
        from coursekit.train.compiled import compile_model

        compile_model(self.model, **options)
        return self

    # ------------------------------------------------------------------------------ events
    def subscribe(self, event: str, fn: Callable[[Learner], object]) -> Callable[[], None]:
        """Call ``fn(learn)`` at each ``event``; returns the function that unsubscribes it again
        (a panel calls it on ``close()``). ``events[event].append(fn)`` without the way back."""
        if event not in self.events:
            raise ValueError(f"unknown event {event!r}; the events are {', '.join(EVENTS)}")
        self.events[event].append(fn)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):  # already unsubscribed
                self.events[event].remove(fn)

        return unsubscribe

    def emit(self, event: str) -> None:
        for fn in list(self.events[event]):  # a copy: a panel may unsubscribe while a fit runs
            fn(self)

    def stop(self) -> None:
        """Ask a running fit to stop at the next batch boundary (the Stop button calls this)."""
        self._stop_reason = "stopped"

    def check_idle(self, action: str) -> None:
        """Raise a clear error if a background fit is training this learner (see ``background``)."""
        busy_error(self, action)

    # --------------------------------------------------------------------- freezing groups
    def freeze_to(self, n: int) -> None:
        """Freeze layer groups before index ``n``; train the rest. ``freeze_to(-1)``: only the head.

        Frozen means *all* of a group's parameters, BatchNorm weights and biases included, get no
        gradient, and (as fastai 0.7) its BatchNorm layers stay in evaluation mode while training,
        so their running statistics remain those learned on ImageNet.
        """
        self.check_idle("freeze or unfreeze layer groups")
        n = n % len(self.layer_groups) if n < 0 else n
        for i, group in enumerate(self.layer_groups):
            for p in group.parameters():
                p.requires_grad_(i >= n)
                if i < n:
                    p.grad = None  # a stale gradient would still move a frozen weight
        if n < len(self.layer_groups) - 1:
            self.precompute = False  # the body will change: its cached activations would be stale
            self._features.clear()

    def freeze(self) -> None:
        """Train only the last layer group (the head)."""
        self.freeze_to(-1)

    def unfreeze(self) -> None:
        """Train every layer group (turns precompute off)."""
        self.freeze_to(0)

    def bn_freeze(self, frozen: bool = True) -> None:
        """Keep *every* BatchNorm layer in evaluation mode while training, trainable groups' too, so
        all running means and variances stay those learned on ImageNet. The course calls
        ``learn.bn_freeze(True)`` right after ``unfreeze()`` for big models (resnet50, resnext101) on
        photos like ImageNet's. (Frozen groups' BatchNorm is in evaluation mode anyway.)"""
        self.check_idle("change bn_freeze")
        self.bn_frozen = frozen

    def train_mode(self) -> None:
        """``model.train()`` as fastai 0.7's ``set_train_mode``: BatchNorm layers of frozen groups
        stay in evaluation mode, and with ``bn_freeze(True)`` those of trainable groups too.
        (fastai v2 does the opposite by default: ``train_bn=True`` trains frozen groups' BatchNorm.)"""
        self.model.train()
        for group in self.layer_groups:
            if self.bn_frozen or not group.trainable:
                for m in group.modules:
                    for bn in m.modules():
                        if isinstance(bn, nn.modules.batchnorm._BatchNorm):
                            bn.eval()

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
        if on and not isinstance(self.model, ConvNet):
            raise ValueError(
                "precompute needs a model made by Learner.pretrained (a body and a head)."
            )
        if on and any(g.trainable for g in self.layer_groups[:-1]):
            raise ValueError("precompute needs a frozen body: call learn.freeze() first.")
        if (
            on
            and not self._precompute
            and self.data.aug is not None
            and self.data.aug.name != "no_aug"
        ):
            warnings.warn(
                f"augmentation ({self.data.aug!r}) has no effect while precomputing: the body's "
                "activations are computed once, on the un-augmented images. Set "
                "learn.precompute = False to train with augmentation.",
                stacklevel=2,
            )
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
        return self.data.loader(
            getattr(self.data, f"{split}_ds"),
            shuffle=shuffle,
            bs=self.data.bs if shuffle else self.data.bs * 2,
        )

    def forward(self, xb: torch.Tensor) -> torch.Tensor:
        return self.model.classify(xb) if self._precompute else self.model(xb)

    def create_opt(self, wd: float | None = None) -> torch.optim.Optimizer:
        """The optimizer: one parameter group per layer group (AdamW with betas (0.9, 0.99) as
        fastai v1, or SGD with momentum 0.9 as fastai 0.7).
        Frozen parameters get no gradient, so it leaves them (and their weight decay) alone."""
        wd = self.wd if wd is None else wd
        groups = [
            {"params": g.parameters(), "lr": 1e-3, "weight_decay": wd} for g in self.layer_groups
        ]
        if self.opt_name == "sgd":
            return torch.optim.SGD(groups, lr=1e-3, momentum=0.9)
        return torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99))

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
    @property
    def steps_per_epoch(self) -> int:
        """Batches in one training epoch (of images, or of cached activations while precomputing)."""
        return len(self.loader("train", shuffle=True))

    def fit(
        self,
        lrs,
        n_cycle: int = 1,
        cycle_len: float | None = None,
        cycle_mult: float = 1,
        cycle_save_name: str | None = None,
        wd: float | None = None,
        quiet: bool = False,
        background: bool = False,
    ):
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
        plan = fit_plan(
            lrs,
            len(self.layer_groups),
            self.steps_per_epoch,
            n_cycle,
            cycle_len,
            cycle_mult,
            cycle_save_name,
        )
        return self.run_plan(plan, wd, quiet, background)

    def fit_one_cycle(
        self,
        n_epochs: float,
        lr_max=slice(3e-3),
        pct_start: float = 0.3,
        div: float = 25.0,
        wd: float | None = None,
        quiet: bool = False,
        background: bool = False,
    ):
        """fastai v1's one-cycle policy (lesson 1, 2019): the learning rate rises from ``lr_max/div``
        over ``pct_start`` of the steps, then falls; momentum the other way. ``lr_max`` as ``fit``'s
        ``lrs``; its default is fastai v1's, ``slice(3e-3)``. ``background`` as in ``fit``."""
        self.check_idle("start a fit")
        plan = one_cycle_plan(
            lr_max, len(self.layer_groups), self.steps_per_epoch, n_epochs, pct_start, div
        )
        return self.run_plan(plan, wd, quiet, background)

    def run_plan(
        self, plan: FitPlan, wd: float | None = None, quiet: bool = False, background: bool = False
    ):
        """Train exactly as ``plan`` says (``plan.fit_plan``/``one_cycle_plan``: what ``fit``, ``fit_one_cycle``
        and the schedule panel run). In a background thread when ``background`` (returns its BackgroundFit)."""
        self.check_idle("start a fit")
        if (
            len(plan.schedule.scales) != len(self.layer_groups)
            or plan.schedule.steps_per_epoch != self.steps_per_epoch
        ):
            raise ValueError(
                f"{plan!r} was made for {len(plan.schedule.scales)} layer groups and "
                f"{plan.schedule.steps_per_epoch} batches per epoch; this learner has "
                f"{len(self.layer_groups)} and {self.steps_per_epoch}: plan it again."
            )
        if background:
            # quiet: printing from a thread lands in whatever cell runs; the TrainingMonitor shows it
            return BackgroundFit.start(lambda: run_fit(self, plan, wd, True), self, plan.code)
        return run_fit(self, plan, wd, quiet)

    @torch.no_grad()
    def validate(self) -> tuple[float, dict[str, float]]:
        """Loss and metrics on the whole validation set."""
        self.check_idle("validate")
        logits, targets = inference.predict_loader(self, self.loader("valid"))
        loss = self.loss_func(logits, targets).item()
        return loss, {metric_name(m): m(logits, targets) for m in self.metrics}

    # ----------------------------------------------------------------------- saving and data
    @property
    def models_dir(self) -> Path:
        return Path(self.data.path) / "models"

    def save(self, name: str) -> Path:
        """Save the weights (with the architecture and classes) to ``models/<name>.pth``, atomically."""
        self.check_idle("save")
        return checkpoint.save_weights(self, name)

    def load(self, name: str) -> None:
        """Load weights saved by ``save`` (with ``weights_only=True``: no code runs)."""
        self.check_idle("load weights")
        checkpoint.load_weights(self, name)
        self._features.clear()

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
        self.data = _normalised_for(self.arch, data) if self.arch else data
        self._features.clear()
        self.freeze()

    # -------------------------------------------------------------------- thin delegations
    def lr_find(
        self,
        start_lr=1e-7,
        end_lr: float = 10,
        num_it: int = 100,
        quiet: bool = False,
        on_step=None,
    ):
        """The learning-rate finder; see ``coursekit.train.lr_finder.lr_find``."""
        self.check_idle("run the LR finder")
        from coursekit.train.lr_finder import lr_find

        return lr_find(self, start_lr, end_lr, num_it, quiet=quiet, on_step=on_step)

    def get_preds(self, ds: str = "valid"):
        """(probabilities, targets) on ``ds``; see ``coursekit.train.inference``."""
        self.check_idle("predict")
        return inference.get_preds(self, ds)

    def tta(self, n_aug: int = 4, ds: str = "valid"):
        """Test-time augmentation; see ``coursekit.train.inference.tta``."""
        self.check_idle("predict")
        return inference.tta(self, n_aug, ds)

    def predict(self, image):
        """fastai's ``(label, index, probs)`` for one image (path, PIL image, bytes, numpy array);
        see ``coursekit.train.inference.predict``."""
        self.check_idle("predict")
        return inference.predict(self, image)

    def export(self, fname: str | os.PathLike = "export.pth") -> Path:
        """One file with all inference needs (``ck.load_learner`` reads it); see ``coursekit.train.export``."""
        from coursekit.train.export import export

        return export(self, fname)

    def snapshot_preds(self, name: str, ds: str = "valid"):
        """Average probabilities of the weights saved by ``fit(..., cycle_save_name=name)``."""
        self.check_idle("predict")
        return inference.snapshot_preds(self, name, ds)

    def interpret(self, ds: str = "valid", tta: bool = False):
        """An ``Interpretation`` of the predictions on ``ds`` (lessons 1, 2)."""
        self.check_idle("interpret")
        from coursekit.train.interpret import Interpretation

        return Interpretation.from_learner(self, ds, tta)

    def submission(self, path, ds: str = "test", use_tta: bool = True, thresh: float = 0.2) -> Path:
        """Write a Kaggle submission CSV; see ``coursekit.train.inference.submission``."""
        self.check_idle("write a submission")
        return inference.submission(self, path, ds, use_tta, thresh)

    def __repr__(self) -> str:
        groups = ", ".join(
            f"{g.name} {'trainable' if g.trainable else 'frozen'}" for g in self.layer_groups
        )
        n_params = sum(p.numel() for p in self.model.parameters())
        precision = (
            self._precision.name
            if self._precision
            else ("fp32" if self.device.type != "cuda" else "chosen on first use")
        )
        return (
            f"Learner({self.arch or type(self.model).__name__}, {n_params:,} params, on {self.device.type}, "
            f"opt={OPTIMIZERS[self.opt_name]}, wd={self.wd:g}, precision={precision})\n"
            f"  data: {self.data!r}\n  layer groups: {groups}"
        )


def cnn_learner(
    data: ImageData,
    arch: str,
    metrics: Sequence[Callable] | None = None,
    pretrained: bool = True,
    ps: float = 0.5,
    opt: str = "adamw",
    wd: float = 1e-2,
    **kwargs,
) -> Learner:
    """fastai v1's ``cnn_learner(data, models.resnet34, metrics=error_rate)`` (lesson 1, 2019): a
    pretrained body, a new head, body frozen, trained with AdamW (betas (0.9, 0.99), weight decay
    1e-2) as fastai v1. ``arch`` is a name: ``'resnet34'``. ``opt='sgd'`` for fastai 0.7's optimizer.

    >>> learn = cnn_learner(data, 'resnet34', metrics=[error_rate])
    >>> learn.fit_one_cycle(4)
    """
    return Learner.pretrained(
        arch, data, pretrained=pretrained, ps=ps, metrics=metrics, opt=opt, wd=wd, **kwargs
    )
