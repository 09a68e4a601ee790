"""``coursekit train``: a lesson's training from a shell, on one GPU or several.

One process::

    coursekit train --folder data/dogscats --arch resnet34 --size 224 --bs 64 --epochs 3 --lr 1e-3 --save dc

Several GPUs (one process each, DistributedDataParallel underneath; ``--bs`` is the global batch)::

    accelerate launch --num_processes 2 -m coursekit.cli train --folder data/dogscats ...
    torchrun --nproc_per_node 2 -m coursekit.cli train --folder data/dogscats ...

Every process runs this same script; ``coursekit.train.distributed`` makes them one fit.
"""

from __future__ import annotations

import argparse
from typing import Any

from coursekit.data.imagedata import ImageData
from coursekit.data.sample_sets import sample_data
from coursekit.data.transforms import side_on
from coursekit.train.distributed import distribute, run_then_close
from coursekit.train.learner import Learner
from coursekit.train.metrics import accuracy, accuracy_thresh

__all__ = ["run"]


def _data(args: argparse.Namespace) -> ImageData:
    opts = dict(size=args.size, bs=args.bs, num_workers=args.workers)
    if args.sample:
        return sample_data(args.sample, **opts)
    if args.folder:
        return ImageData.from_folder(args.folder, aug=side_on, max_zoom=1.1, **opts)
    return ImageData.from_name_re(args.images, pat=args.pat, aug=side_on, max_zoom=1.1, **opts)


def run(args: argparse.Namespace) -> int:
    """Build the data and the learner in this process, fit with the one-cycle policy, save."""
    from accelerate import PartialState  # an optional dependency: coursekit[multi-gpu]

    return run_then_close(_fit, args, PartialState(cpu=args.cpu))


def _fit(args: argparse.Namespace, state: Any) -> int:
    with state.main_process_first():  # the first process makes sample sets and caches alone
        data = _data(args)
    metrics = [accuracy_thresh] if data.is_multilabel else [accuracy]
    learn = Learner.pretrained(
        args.arch, data, pretrained=not args.no_pretrained, metrics=metrics, compile=args.compile
    )
    if args.unfreeze:
        learn.unfreeze()
    learn = distribute(learn, cpu=args.cpu)
    if learn.is_main:
        print(
            f"{data!r}; {learn.accelerator.num_processes} process(es) on {learn.accelerator.device.type}, "
            f"{args.bs // learn.accelerator.num_processes} images each per step"
        )
    learn.fit_one_cycle(args.epochs, args.lr)
    if args.save:
        path = learn.save(args.save)
        if learn.is_main:
            print(f"saved {path}")
    return 0
