"""The Learner: a model, its data, and everything the course does to train it.

>>> learn = Learner.pretrained('resnet34', data, metrics=[accuracy])   # 2018: SGD, momentum 0.9
>>> learn.fit(1e-2, 3, cycle_len=1, cycle_mult=2)      # SGDR: cycles of 1, 2 and 4 epochs
>>> learn = cnn_learner(data, 'resnet34', metrics=[accuracy])          # 2019: AdamW
>>> learn.fit_one_cycle(4)

The Learner holds the state; each idea lives in its own module: the fit loop (``fit_loop``),
freezing (``freezing``), the optimizers (``optimizers``), device and precision (``precision``),
predictions (``inference``), saving (``checkpoint``), the LR finder (``lr_finder``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.data.imagedata import ImageData, Loader
from coursekit.train import checkpoint, inference
from coursekit.train.background import BackgroundFit, busy_error
from coursekit.train.compiled import compile_model
from coursekit.train.convnet import ConvNet, LayerGroup
from coursekit.train.events import EVENTS, Events, Listener
from coursekit.train.export import export
from coursekit.train.fit_loop import Fitting
from coursekit.train.freezing import Freezing
from coursekit.train.inference import Predictions
from coursekit.train.lr_finder import LRFinderResult, lr_find
from coursekit.train.metrics import Metric, metric_name
from coursekit.train.models import create_convnet, normalised_for
from coursekit.train.notices import attach_cpu_notice
from coursekit.train.optimizers import OPTIMIZERS, check_opt_name, create_optimizer, set_lrs
from coursekit.train.precision import (
    OnDevice,
    Precision,
    check_precision_name,
    choose_device,
    place_model,
)
from coursekit.train.precompute import FeatureBatches, FeatureCache, check_precompute
from coursekit.train.recorder import Recorder

__all__ = ["EVENTS", "OPTIMIZERS", "Learner", "cnn_learner"]

# A loss function: (model outputs, targets) -> a scalar tensor.
LossFunc = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class Learner(Events, Fitting, Freezing, OnDevice, Predictions):
    """Trains ``model`` on ``data``: fit, freeze/unfreeze, LR finder, precompute, save/load, TTA.

    Its methods by idea: state, batches, saving here; ``subscribe`` in ``Events`` (events.py); ``fit``, ``fit_one_cycle`` in ``Fitting``
    (fit_loop.py); ``freeze_to``, ``unfreeze``, ``bn_freeze`` in ``Freezing`` (freezing.py);
    ``get_preds``, ``tta``, ``predict``, ``interpret`` in ``Predictions`` (inference.py);
    ``precision``, ``autocast``, ``to_device`` in ``OnDevice`` (precision.py).

    ``events`` is a dict of event name -> list of functions, each called with the learner:
    ``learn.events['after_batch'].append(lambda learn: print(learn.recorder.losses[-1]))``;
    ``unsubscribe = learn.subscribe('after_batch', fn)`` does the same and returns the way back.
    ``opt_name``: ``'adamw'`` (fastai v1) or ``'sgd'`` (SGD with momentum 0.9, fastai 0.7); ``wd``:
    weight decay. ``learn.opt`` is the optimizer itself, made at the first fit. ``precision``:
    ``None`` lets the GPU decide (bf16 on compute capability >= 8.0, fp16 + grad scaler before,
    fp32 on a CPU); ``'fp16'`` on a newer GPU trains as a T4 does.
    """

    def __init__(
        self,
        model: nn.Module,
        data: ImageData,
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
        self.events: dict[str, list[Listener]] = {name: [] for name in EVENTS}
        self.recorder = Recorder()
        self.thresh = 0.5  # multi-label: predict's tags are those above this probability
        self.opt: torch.optim.Optimizer | None = None
        self.bn_frozen = False
        self._train_bn = train_bn
        self._precompute = False
        self._features = FeatureCache()
        self._stop_reason: str | None = None
        self.background_fit: BackgroundFit | None = None  # set by fit(..., background=True)
        self._precision: Precision | None = None  # chosen on first use: no CUDA call before that
        self._precision_shown = False
        if compile:
            self.compile()

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
        groups = self.layer_groups
        self.freeze_to(next((i for i, g in enumerate(groups) if g.trainable), len(groups)))

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
        attach_cpu_notice(learn)
        if precompute:
            check_precompute(learn, True, stacklevel=3)  # its warning names the caller's line
            learn._precompute = True
        return learn

    def compile(self, **options: Any) -> Learner:
        """Compile the model with ``torch.compile`` (``options`` go to it); see ``coursekit.train.compiled``."""
        compile_model(self.model, **options)
        return self

    def stop(self) -> None:
        """Ask a running fit to stop at the next batch boundary (the Stop button calls this)."""
        self._stop_reason = "stopped"

    def check_idle(self, action: str) -> None:
        """Raise a clear error if a background fit is training this learner (see ``background``)."""
        busy_error(self, action)

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
        check_precompute(self, on)
        self._precompute = bool(on)

    # -------------------------------------------------------------------------------- batches
    def loader(self, split: str, shuffle: bool = False) -> Loader | FeatureBatches:
        """Batches of ``split`` as the model consumes them: images, or cached activations."""
        if self._precompute:
            return self._features.loader(self, split, shuffle)
        bs = self.data.bs if shuffle else self.data.bs * 2
        return self.data.loader(self.data.split(split), shuffle=shuffle, bs=bs)

    def forward(self, xb: torch.Tensor) -> torch.Tensor:
        if self._precompute and isinstance(self.model, ConvNet):
            return self.model.classify(xb)
        return self.model(xb)

    def create_opt(self, wd: float | None = None) -> torch.optim.Optimizer:
        """The optimizer, one parameter group per layer group; see ``coursekit.train.optimizers``."""
        return create_optimizer(self.layer_groups, self.opt_name, self.wd if wd is None else wd)

    def set_lrs(self, lrs: Sequence[float], momentum: float | None = None) -> None:
        if self.opt is None:
            self.opt = self.create_opt()
        set_lrs(self.opt, lrs, momentum)

    def train_step(self, xb: torch.Tensor, yb: torch.Tensor) -> float:
        """One optimizer step on a batch; returns the loss. A non-finite loss takes no step."""
        xb, yb = self.to_device(xb), yb.to(self.device, non_blocking=True)
        with self.autocast():
            loss = self.loss_func(self.forward(xb), yb)
        value = self.loss_value(loss)
        if math.isfinite(value):
            opt = self.opt if self.opt is not None else self.create_opt()
            self.opt = opt
            opt.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(opt)
            self.scaler.update()
        return value

    def loss_value(self, loss: torch.Tensor) -> float:
        """The batch's loss as a number (a distributed learner averages it over processes)."""
        return loss.item()

    # ------------------------------------------------------------------------------ fitting
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
        self.data = normalised_for(self.arch, data) if self.arch else data
        self._features.clear()
        self.freeze()

    # ------------------------------------------------------------------- what it has learned
    def lr_find(
        self,
        start_lr: float | Sequence[float] = 1e-7,
        end_lr: float = 10,
        num_it: int = 100,
        quiet: bool = False,
        on_step: Callable[[int, int], None] | None = None,
    ) -> LRFinderResult:
        """The learning-rate finder; see ``coursekit.train.lr_finder.lr_find``."""
        self.check_idle("run the LR finder")
        return lr_find(self, start_lr, end_lr, num_it, quiet=quiet, on_step=on_step)

    def export(self, fname: str | os.PathLike[str] = "export.pth") -> Path:
        """One file with all inference needs (``ck.load_learner`` reads it); see ``coursekit.train.export``.
        Refused while a background fit trains the weights it would write."""
        self.check_idle("export")
        return export(self, fname)

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
