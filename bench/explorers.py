"""Explorer updates on a 256x256 picture, against the bare arithmetic, side by side in one run.

    .venv/bin/python bench/explorers.py

Times a kernel change in the ConvExplorer (compute, both pictures as PNG, the arithmetic) and a
window-size change in the MaxPoolExplorer, against F.conv2d / F.max_pool2d on the same input.
Goal: an update <= 50 ms.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from coursekit import widgets as ckw
from coursekit.explore import KERNELS


def median_ms(fn, repeats: int = 15) -> float:
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    rng = np.random.default_rng(0)
    picture = rng.uniform(0, 255, (256, 256, 3))
    names = ["outline", "sharpen", "top sobel", "gaussian blur"]
    conv = ckw.ConvExplorer(picture)
    grey = torch.tensor(conv.input)[None, None]
    ui = median_ms(lambda i: setattr(conv.preset, "value", names[i % 4]))
    bare = median_ms(lambda i: F.conv2d(grey, torch.tensor(KERNELS[names[i % 4]])[None, None]))
    print(
        f"ConvExplorer, 256x256 grey: preset change -> new output, pictures and arithmetic {ui:.1f} ms "
        f"vs F.conv2d alone {bare:.2f} ms (goal <= 50 ms)"
    )
    conv.colour.value = "colour"
    ui = median_ms(lambda i: setattr(conv.preset, "value", names[i % 4]))
    print(f"ConvExplorer, 256x256 colour: preset change {ui:.1f} ms (goal <= 50 ms)")
    pool = ckw.MaxPoolExplorer(conv.input)
    x = torch.tensor(conv.input)[None]
    ui = median_ms(lambda i: setattr(pool.size, "value", 2 + i % 2))
    bare = median_ms(lambda i: F.max_pool2d(x, 2 + i % 2, stride=2))
    print(
        f"MaxPoolExplorer, 256x256: size change -> pooled output and pictures {ui:.1f} ms "
        f"vs F.max_pool2d alone {bare:.2f} ms (goal <= 50 ms)"
    )


if __name__ == "__main__":
    main()
