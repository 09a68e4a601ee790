"""Which pretrained network should sample mode use? 'tinyresnet' (shipped, pretrained on drawn
shapes) vs 'efficientnet_lite0' (ImageNet), on each of the four sample data sets, side by side in one run.

    .venv/bin/python bench/transfer.py [--epochs 3] [--size 64] [--seed 0] [--from-scratch]
                                       [--sets pets dogscats ...] [--sizes 64 96 128]

For each set and network, with the same data, epochs, schedule and seed:
  head only  — body frozen (precompute), only the head trains (one-cycle, lr 1e-2);
  fine-tune  — everything trains (one-cycle, lr 3e-3).
``--from-scratch`` adds the same two runs from random weights (does pretraining help at all?).
The metric is validation accuracy (F2 for planet, multi-label). Then CPU seconds per epoch on the
sample pets at 64/96/128 px: a frozen-body epoch with augmentation and an unfrozen epoch.
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch

import coursekit as ck
from coursekit.data.sample_sets import SAMPLE_SETS, sample_data

ARCHS = ("tinyresnet", "efficientnet_lite0")


def score(learn) -> float:
    probs, y = learn.get_preds()
    logits = torch.logit(probs.clamp(1e-6, 1 - 1e-6)) if learn.data.is_multilabel else probs
    return ck.f2(logits, y) if learn.data.is_multilabel else ck.accuracy(logits, y)


def run(arch: str, data, pretrained: bool, mode: str, epochs: int, seed: int) -> float:
    torch.manual_seed(seed)
    learn = ck.cnn_learner(data, arch, pretrained=pretrained)  # AdamW, as these numbers were taken
    if mode == "head":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the precompute/augmentation notice
            learn.precompute = True
        learn.fit_one_cycle(epochs, 1e-2, quiet=True)
    else:
        learn.unfreeze()
        learn.fit_one_cycle(epochs, 3e-3, quiet=True)
    return score(learn)


def epoch_seconds(arch: str, size: int, unfrozen: bool) -> float:
    """Wall seconds of one training epoch (with its validation pass) on the sample pets."""
    data = sample_data("pets", size=size, bs=16).resize(int(size * 1.5))
    torch.manual_seed(0)
    learn = ck.Learner.pretrained(arch, data)
    if unfrozen:
        learn.unfreeze()
    start = time.perf_counter()
    learn.fit_one_cycle(1, 1e-3, quiet=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--from-scratch", action="store_true")
    parser.add_argument(
        "--sets", nargs="*", default=list(SAMPLE_SETS), help="sample sets to train on"
    )
    parser.add_argument("--sizes", nargs="*", type=int, default=[64, 96, 128], help="sizes to time")
    args = parser.parse_args()
    starts = (True, False) if args.from_scratch else (True,)
    print(
        f"{args.size}px, {args.epochs} epochs each, seed {args.seed}, {torch.get_num_threads()} threads"
    )
    print(
        f"{'data set':<10} {'arch':<19} {'metric':<8} {'head':>6} {'fine-tune':>10}"
        + (f" {'head: random':>13} {'scratch':>8}" if args.from_scratch else "")
    )
    for name in args.sets:
        data = sample_data(name, size=args.size, bs=16).resize(int(args.size * 1.5))
        metric = "F2" if data.is_multilabel else "accuracy"
        for arch in ARCHS:
            cells = [
                run(arch, data, pretrained, mode, args.epochs, args.seed)
                for pretrained in starts
                for mode in ("head", "all")
            ]
            print(
                f"{name:<10} {arch:<19} {metric:<8} "
                + " ".join(f"{c:>{w}.3f}" for c, w in zip(cells, (6, 10, 13, 8))),
                flush=True,
            )
    if args.sizes:
        print("\nseconds per epoch, sample pets (288 train / 72 valid), bs 16")
        print(f"{'size':>4} {'arch':<19} {'frozen body':>12} {'unfrozen':>9}")
    for size in args.sizes:
        for arch in ARCHS:
            frozen, unfrozen = epoch_seconds(arch, size, False), epoch_seconds(arch, size, True)
            print(f"{size:>4} {arch:<19} {frozen:>12.2f} {unfrozen:>9.2f}", flush=True)


if __name__ == "__main__":
    main()
