"""Does the shipped backbone transfer? Pretrained 'tinyresnet' vs the same network from random
weights, on each of the four sample data sets, side by side in one run.

    .venv/bin/python bench/transfer.py [--epochs 5] [--size 64] [--seed 0]

For each set, with the same data, epochs, schedule and seed:
  head only  — body frozen (precompute), only the head trains: pretrained body vs random body;
  fine-tune  — everything trains (one-cycle): pretrained start vs training from scratch.
The metric is validation accuracy (F2 for planet, multi-label).
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

import coursekit as ck  # noqa: E402
from coursekit.demo import SAMPLE_SETS, sample_data  # noqa: E402


def score(learn) -> float:
    probs, y = learn.get_preds()
    logits = torch.logit(probs.clamp(1e-6, 1 - 1e-6)) if learn.data.is_multilabel else probs
    return ck.f2(logits, y) if learn.data.is_multilabel else ck.accuracy(logits, y)


def run(data, pretrained: bool, mode: str, epochs: int, seed: int) -> float:
    torch.manual_seed(seed)
    learn = ck.cnn_learner(data, "tinyresnet", pretrained=pretrained)     # AdamW, as these numbers were taken
    if mode == "head":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # the precompute/augmentation notice
            learn.precompute = True
        learn.fit_one_cycle(epochs, 1e-2, quiet=True)
    else:
        learn.unfreeze()
        learn.fit_one_cycle(epochs, 3e-3, quiet=True)
    return score(learn)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"tinyresnet at {args.size}px, {args.epochs} epochs each, seed {args.seed}")
    print(f"{'data set':<10} {'metric':<8} {'head: pretrained':>17} {'head: random':>13} "
          f"{'fine-tune: pretrained':>22} {'scratch':>8}")
    for name in SAMPLE_SETS:
        data = sample_data(name, size=args.size, bs=16).resize(int(args.size * 1.5))
        cells = [run(data, pretrained, mode, args.epochs, args.seed)
                 for mode in ("head", "all") for pretrained in (True, False)]
        metric = "F2" if data.is_multilabel else "accuracy"
        print(f"{name:<10} {metric:<8} {cells[0]:>17.3f} {cells[1]:>13.3f} {cells[2]:>22.3f} {cells[3]:>8.3f}",
              flush=True)


if __name__ == "__main__":
    main()
