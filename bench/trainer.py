"""Trainer overheads, each measured side by side in this one run.

    .venv/bin/python bench/trainer.py [--repeats 3] [--arch resnet18] [--size 32]

1. ``learn.fit`` vs a bare PyTorch loop written here (same model, data, batch size, epochs,
   optimizer, and a validation pass each epoch): goal <= 1.03x.
2. An epoch of the head on precomputed activations vs an epoch with the frozen body run on every
   batch: goal >= 20x faster.
3. ``lr_find(num_it=100)`` vs 100 plain training steps: goal <= 1.1x.

Runs are interleaved and repeated; the median is reported. Data loading uses the resize cache
and no worker processes, the same for both sides.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F

import coursekit as ck


def bare_loop(model, data, lr: float, n_epochs: int) -> None:
    """What a student would write without coursekit."""
    opt = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=lr,
        betas=(0.9, 0.99),
        weight_decay=1e-2,
    )
    for _ in range(n_epochs):
        model.train()
        for xb, yb in data.loader(data.train_ds, shuffle=True):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            outs, ys = zip(
                *[(model(xb), yb) for xb, yb in data.loader(data.valid_ds, bs=data.bs * 2)]
            )
            F.cross_entropy(torch.cat(outs), torch.cat(ys)).item()
            (torch.cat(outs).argmax(1) == torch.cat(ys)).float().mean().item()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--pre-size", type=int, default=128)
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as home:
        os.environ["COURSEKIT_HOME"] = home
        path = ck.samples.pets(n_per_class=70, max_side=240)
        data = ck.ImageData.from_name_re(
            path / "images", pat=ck.PETS_PATTERN, size=args.size, bs=8, num_workers=0
        ).resize(int(args.size * 1.5))
        print(
            f"{args.arch} at {args.size}px, {len(data.train_paths)} train / {len(data.valid_paths)} valid images, "
            f"bs {data.bs}, {len(data.train_dl)} batches per epoch; torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads"
        )

        def new_learner(unfrozen=True):
            torch.manual_seed(0)
            learn = ck.cnn_learner(
                data, args.arch, pretrained=False, metrics=[ck.accuracy]
            )  # AdamW, as the bare loop
            if unfrozen:
                learn.unfreeze()
            return learn

        # 1. fit vs bare loop (whole model training)
        fit_t, bare_t = [], []
        for rep in range(args.repeats):
            for side in (
                ("fit", "bare") if rep % 2 == 0 else ("bare", "fit")
            ):  # alternate who goes first
                learn = new_learner()
                if side == "fit":
                    fit_t.append(
                        timed(lambda learn=learn: learn.fit(1e-3, args.epochs, quiet=True))
                    )
                else:
                    bare_t.append(
                        timed(lambda learn=learn: bare_loop(learn.model, data, 1e-3, args.epochs))
                    )
        fit_m, bare_m = statistics.median(fit_t), statistics.median(bare_t)
        print(
            f"1. fit {fit_m:.2f}s vs bare loop {bare_m:.2f}s for {args.epochs} epochs: "
            f"{fit_m / bare_m:.3f}x (goal <= 1.03x)"
        )

        # 2. precomputed head epoch vs frozen-body epoch, at a size where the body's cost is realistic
        big = data.with_size(args.pre_size, bs=32)

        def frozen_learner():
            torch.manual_seed(0)
            return ck.cnn_learner(big, args.arch, pretrained=False, metrics=[ck.accuracy])

        pre_learn, frozen_learn = frozen_learner(), frozen_learner()
        pre_learn.precompute = True
        pre_learn.fit(1e-3, 1, quiet=True)  # the first epoch computes the activations once
        pre_t, frozen_t = [], []
        for _ in range(args.repeats):
            pre_t.append(timed(lambda: pre_learn.fit(1e-3, 1, quiet=True)))
            frozen_t.append(timed(lambda: frozen_learn.fit(1e-3, 1, quiet=True)))
        pre_m, frozen_m = statistics.median(pre_t), statistics.median(frozen_t)
        print(
            f"2. at {args.pre_size}px, bs 32: precomputed epoch {pre_m:.3f}s vs frozen-body epoch {frozen_m:.2f}s: "
            f"{frozen_m / pre_m:.1f}x faster (goal >= 20x)"
        )

        # 3. lr_find(100) vs 100 plain steps (both across epochs when an epoch is shorter)
        n = 100
        find_t, steps_t = [], []

        def plain_steps(learn):
            opt = torch.optim.AdamW(learn.model.parameters(), lr=1e-4)
            learn.model.train()
            batches = itertools.chain.from_iterable(
                data.loader(data.train_ds, shuffle=True) for _ in range(n)
            )
            for xb, yb in itertools.islice(batches, n):
                loss = F.cross_entropy(learn.model(xb), yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()

        for rep in range(args.repeats):
            for side in ("find", "steps") if rep % 2 == 0 else ("steps", "find"):
                learn = new_learner()
                if side == "find":
                    find_t.append(
                        timed(lambda learn=learn: learn.lr_find(num_it=n, end_lr=1e-2, quiet=True))
                    )
                else:
                    steps_t.append(timed(lambda learn=learn: plain_steps(learn)))
        find_m, steps_m = statistics.median(find_t), statistics.median(steps_t)
        print(
            f"3. lr_find(num_it={n}) {find_m:.2f}s vs {n} plain steps {steps_m:.2f}s: "
            f"{find_m / steps_m:.3f}x (goal <= 1.1x)"
        )


if __name__ == "__main__":
    main()
