"""Training on several GPUs (or CPU processes) at once, with Hugging Face ``accelerate``.

One process per GPU, each with a copy of the model (PyTorch's DistributedDataParallel). Every
global batch of ``data.bs`` images is cut into equal slices, one per process; after each
backward pass the gradients are averaged across processes, so every copy takes the same step
as one process would on the whole batch. Nothing else about a fit changes: the schedule still
moves once per (global) step, the validation loss and metrics are computed on the whole
validation set gathered from every process, one epoch table is printed, and ``save`` writes
from the main process only.

From a notebook (the training function builds everything itself; CUDA must not be used in the
notebook before launching)::

    def train():
        data = ck.ImageData.from_name_re(path/'images', pat=pat, size=224, bs=128, aug=ck.side_on)
        learn = ck.distribute(ck.Learner.pretrained('resnet34', data, metrics=[ck.accuracy]))
        learn.fit_one_cycle(4, 1e-3)
        learn.save('stage-1')
    ck.launch(train, num_processes=2)

From a shell: ``accelerate launch -m coursekit.cli train ...`` or ``torchrun --nproc_per_node 2 -m
coursekit.cli train ...`` (``coursekit.train.script``). Needs ``pip install coursekit[multi-gpu]``.

Where this differs from one process: BatchNorm computes its batch statistics on each process's
slice (as DistributedDataParallel does unless asked for SyncBatchNorm), and random augmentation
and dropout draw different numbers. Precompute is not supported here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from coursekit.data.batches import batch_count
from coursekit.data.gpu_augment import DeviceLoader
from coursekit.data.imagedata import Loader
from coursekit.train import inference
from coursekit.train.background import BackgroundFit
from coursekit.train.learner import Learner
from coursekit.train.metrics import metric_name
from coursekit.train.plan import FitPlan
from coursekit.train.precompute import FeatureBatches
from coursekit.train.recorder import Recorder

__all__ = ["DistributedLearner", "ShardedBatches", "distribute", "launch", "run_then_close"]

T = TypeVar("T")


def _accelerate() -> ModuleType:
    """Hugging Face accelerate (an optional dependency), or an error saying how to install it."""
    try:
        import accelerate
    except ImportError as e:
        raise ImportError(
            "training on several GPUs needs Hugging Face accelerate: "
            "pip install 'coursekit[multi-gpu]' (or pip install accelerate)."
        ) from e
    return accelerate


def launch(
    function: Callable[..., object], *args: Any, num_processes: int | None = None, **options: Any
) -> None:
    """Run ``function(*args)`` in ``num_processes`` processes (default: one per GPU), from a notebook.

    ``accelerate.notebook_launcher`` underneath (``options`` go to it, e.g. ``use_port='29501'``).
    Build the data and the learner *inside* ``function``, and call ``distribute`` on the learner there.
    """
    notebook_launcher = _accelerate().notebook_launcher
    if num_processes is None:
        num_processes = max(1, torch.cuda.device_count())

    @functools.wraps(function)
    def closing(*function_args: Any) -> object:
        return run_then_close(function, *function_args)

    notebook_launcher(closing, args, num_processes=num_processes, **options)


def run_then_close(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in this process; then, once every process is done, close the process
    group. One left to the interpreter's exit can abort the process after the work is done
    ("terminate called without an active exception")."""
    try:
        result = function(*args)
        if dist.is_available() and dist.is_initialized():
            dist.barrier()
        return result
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()


class ShardedBatches:
    """This process's slice of each global batch, in an order every process agrees on.

    The main process draws each epoch's shuffling seed from its random generator, exactly as a
    ``DataLoader(shuffle=True)`` does, and sends it to the others; every process then makes the
    same permutation, cuts it into global batches of ``bs`` and keeps its own ``bs / world``.
    """

    def __init__(self, n: int, bs: int, shuffle: bool, drop_last: bool, rank: int, world: int):
        self.n, self.bs, self.shuffle, self.drop_last = n, bs, shuffle, drop_last
        self.rank, self.world = rank, world

    def __len__(self) -> int:
        return batch_count(self.n, self.bs, self.drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        order = torch.arange(self.n)
        if self.shuffle:
            seed = torch.tensor([int(torch.empty((), dtype=torch.int64).random_().item())])
            if dist.is_available() and dist.is_initialized():
                dist.broadcast(seed, src=0)
            order = torch.randperm(self.n, generator=torch.Generator().manual_seed(int(seed)))
        for b in range(len(self)):
            batch = order[b * self.bs : (b + 1) * self.bs]
            per = -(-len(batch) // self.world)
            mine = batch[self.rank * per : (self.rank + 1) * per].tolist()
            if mine:  # a short last batch may leave nothing for the last processes
                yield mine


class DistributedLearner(Learner):
    """A Learner whose fits run in every process of a distributed launch (see the module docstring).

    Make one with ``distribute(learn)``: a new learner over the same model (moved to this
    process's device), data, layer groups, metrics, loss and optimizer settings, with the same
    ``bn_freeze``, ``train_bn`` and threshold; its recorder and optimizer start afresh.
    """

    def __init__(self, learn: Learner, accelerator: Any):
        if learn.precompute:
            raise ValueError(
                "precompute is not supported in a distributed fit: set learn.precompute = False."
            )
        super().__init__(
            learn.model,
            learn.data,
            learn.layer_groups,
            learn.metrics,
            learn.loss_func,
            learn.opt_name,
            learn.wd,
            learn.arch,
            device=accelerator.device,
            train_bn=learn.train_bn,
            precision=learn.precision_name,
        )
        self.accelerator = accelerator
        self.bn_frozen, self.thresh = learn.bn_frozen, learn.thresh
        self._ddp: tuple[tuple[bool, ...], DistributedDataParallel] | None = None

    def forward(self, xb: torch.Tensor) -> torch.Tensor:
        if self.precompute:
            raise ValueError(
                "precompute is not supported in a distributed fit: set learn.precompute = False."
            )
        if torch.is_grad_enabled() and self.model.training:
            return self._ddp_model()(xb)  # gradients averaged across processes
        return self.model(xb)

    def _ddp_model(self) -> torch.nn.Module:
        # DDP fixes its parameter list when built: build it again after freeze/unfreeze
        if not (dist.is_available() and dist.is_initialized()):
            return self.model  # one process: nothing to average
        trainable = tuple(p.requires_grad for p in self.model.parameters())
        if self._ddp is None or self._ddp[0] != trainable:
            ids = None if self.device.type == "cpu" else [self.device]
            self._ddp = (trainable, DistributedDataParallel(self.model, device_ids=ids))
        return self._ddp[1]

    @property
    def is_main(self) -> bool:
        return self.accelerator.is_main_process

    def loader(self, split: str, shuffle: bool = False) -> Loader:
        """This process's share of ``split``: a slice of each global batch of ``data.bs``."""
        plain = super().loader(split, shuffle)
        if isinstance(plain, FeatureBatches):
            raise ValueError(
                "precompute is not supported in a distributed fit: set learn.precompute = False."
            )
        outer, base = (plain, plain.loader) if isinstance(plain, DeviceLoader) else (None, plain)
        world, rank = self.accelerator.num_processes, self.accelerator.process_index
        bs = base.batch_size or 1
        if shuffle and bs % world:
            raise ValueError(
                f"the batch size {base.batch_size} does not split evenly over {world} processes: "
                f"choose bs as a multiple of {world}."
            )
        n = len(base.dataset)  # type: ignore[arg-type]  # torch's Dataset stub has no __len__
        sampler = ShardedBatches(n, bs, shuffle, base.drop_last, rank, world)
        sharded = DataLoader(
            base.dataset,
            batch_sampler=sampler,
            num_workers=base.num_workers,
            pin_memory=base.pin_memory,
            persistent_workers=base.persistent_workers,
        )
        return DeviceLoader(sharded, outer.augment, self.device) if outer else sharded

    def loss_value(self, loss: torch.Tensor) -> float:
        """The mean loss over all processes (each trains on its slice of the batch), so every
        process records the same losses and stops at the same batch."""
        return float(self.accelerator.reduce(loss.detach().float(), reduction="mean").item())

    @torch.no_grad()
    def validate(self) -> tuple[float, dict[str, float]]:
        """Loss and metrics on the whole validation set, gathered from every process."""
        loader = self.loader("valid")
        sampler = loader.batch_sampler if isinstance(loader, DataLoader) else None
        assert isinstance(sampler, ShardedBatches)  # self.loader shards every split
        logits, targets = inference.predict_loader(self.predictor(), loader)
        logits, targets = (
            self._gather(logits, sampler),
            self._gather(targets, sampler),
        )
        loss = self.loss_func(logits, targets).item()
        return loss, {metric_name(m): m(logits, targets) for m in self.metrics}

    def _gather(self, t: torch.Tensor, sampler: ShardedBatches) -> torch.Tensor:
        """Every process's rows of ``t``, put back in dataset order (each held a slice of each batch)."""
        padded = self.accelerator.pad_across_processes(t.to(self.device), dim=0)
        parts = self.accelerator.gather(padded).cpu().split(padded.shape[0])
        out = torch.empty((sampler.n, *t.shape[1:]), dtype=t.dtype)
        for rank, part in enumerate(parts):
            rows = [
                i
                for batch in ShardedBatches(
                    sampler.n, sampler.bs, False, False, rank, sampler.world
                )
                for i in batch
            ]
            out[rows] = part[: len(rows)]
        return out

    def run_plan(
        self, plan: FitPlan, wd: float | None = None, quiet: bool = False, background: bool = False
    ) -> Recorder | BackgroundFit:
        """The plan's fit on every process; only the main process prints its epoch table."""
        if background:
            raise ValueError(
                "a distributed fit cannot run in the background; call it without background=True."
            )
        return super().run_plan(plan, wd, quiet or not self.is_main, background)

    def save(self, name: str) -> Path:
        """Save from the main process only; the others wait until the file is there."""
        path = self.models_dir / f"{name}.pth"
        if self.is_main:
            path = super().save(name)
        self.accelerator.wait_for_everyone()
        return path


def distribute(learn: Learner, **accelerator_options: Any) -> DistributedLearner:
    """This process's ``DistributedLearner`` for ``learn``: the same model, data and state, on this
    process's device. Call it inside the function that ``launch`` (or ``accelerate launch``) runs.

    ``accelerator_options`` go to ``accelerate.Accelerator`` (e.g. ``cpu=True``).
    """
    return DistributedLearner(learn, _accelerate().Accelerator(**accelerator_options))
