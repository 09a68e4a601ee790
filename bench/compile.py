"""Training steps per second with and without ``torch.compile`` (``Learner(..., compile=True)``),
side by side in one run, on this machine's device.

    .venv/bin/python bench/compile.py [--arch resnet18] [--size 64] [--bs 32] [--steps 20] [--repeats 3]

Both learners start from the same random weights and train on the same fixed batch (so data
loading does not count). The compiled one is warmed up first, and its compile time is printed
apart. Each repeat times ``--steps`` steps of each learner, alternating which goes first.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time

import torch

import coursekit as ck
from coursekit.train.models import create_convnet


def steps(learn, xb, yb, n: int) -> float:
    learn.train_mode()
    start = time.perf_counter()
    for _ in range(n):
        learn.train_step(xb, yb)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--bs", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["COURSEKIT_HOME"] = home
        data = ck.ImageData.from_name_re(
            ck.samples.pets(n_per_class=4) / "images",
            pat=ck.PETS_PATTERN,
            size=args.size,
            bs=args.bs,
            num_workers=0,
        )
        torch.manual_seed(0)
        model, _ = create_convnet(args.arch, data.c, pretrained=False)
        eager = ck.Learner(model, data)  # one layer group: all of it
        compiled = ck.Learner(copy.deepcopy(model), data, compile=True)
        for learn in (eager, compiled):
            learn.opt = learn.create_opt()
        xb = torch.randn(args.bs, 3, args.size, args.size)
        yb = torch.randint(data.c, (args.bs,))
        start = time.perf_counter()
        steps(compiled, xb, yb, 2)
        compile_time = time.perf_counter() - start
        steps(eager, xb, yb, 2)
        times: dict[str, list[float]] = {"eager": [], "compiled": []}
        for r in range(args.repeats):
            order = [("eager", eager), ("compiled", compiled)][:: 1 if r % 2 == 0 else -1]
            for name, learn in order:
                times[name].append(steps(learn, xb, yb, args.steps))
        print(
            f"{args.arch}, {args.size} px, bs {args.bs}, device {eager.device}, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads"
        )
        print(f"compiling (first 2 steps): {compile_time:.1f}s")
        eager_t = statistics.median(times["eager"])
        for name, t in times.items():
            median = statistics.median(t)
            print(
                f"{name:>9}: {1000 * median:7.1f} ms/step  {args.bs / median:7.1f} images/s  "
                f"{eager_t / median:5.2f}x eager"
            )


if __name__ == "__main__":
    main()
