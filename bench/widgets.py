"""Panel costs, measured side by side in this one run.

    .venv/bin/python bench/widgets.py

1. SchedulePanel: time from a control change to updated mark data for a plan of 100 epochs x
   1,000 steps (100,000 iterations), against computing every step of the plan undecimated.
   Goal <= 20 ms.
2. TrainingMonitor: its cost per batch during a fit of a tiny model — steps per second with and
   without a monitor attached, interleaved. Goal: under 2% of the step time.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

import numpy as np
import torch
from torch import nn

import coursekit as ck
from coursekit import widgets as ckw
from coursekit.train.models import LayerGroup


def schedule_update() -> None:
    panel = ckw.SchedulePanel(steps_per_epoch=1000, n_cycle=100, cycle_len=1, cycle_mult=1)
    panel.mode.value = "SGDR"
    change, full = [], []
    for i in range(20):
        start = time.perf_counter()
        panel.lr.value = 10 ** (-3 + (i % 2))  # a control change -> redraw -> new mark data
        change.append(time.perf_counter() - start)
        plan = panel.plan()
        start = time.perf_counter()
        np.array([plan.group_lrs(s) for s in range(plan.total_steps)])
        full.append(time.perf_counter() - start)
    c, f = statistics.median(change) * 1e3, statistics.median(full) * 1e3
    print(
        f"1. schedule panel, 100 epochs x 1,000 steps: control change -> mark data {c:.1f} ms "
        f"({len(panel.plan_lines.x)} points) vs every step undecimated {f:.0f} ms: {f / c:.0f}x less (goal <= 20 ms)"
    )


def monitor_cost(repeats: int = 7) -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["COURSEKIT_HOME"] = home
        data = ck.ImageData.from_name_re(
            ck.samples.pets(n_per_class=30, max_side=160) / "images",
            pat=ck.PETS_PATTERN,
            size=16,
            bs=16,
            num_workers=0,
        ).resize(24)
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(8, data.c),
        )
        plain = ck.Learner(model, data, [LayerGroup("model", [model])])
        watched = ck.Learner(model, data, [LayerGroup("model", [model])])
        ckw.TrainingMonitor(watched)
        spent = [0.0]  # time inside the monitor's own callbacks
        for name, fns in watched.events.items():

            def timed_fn(fn):
                def run(learn):
                    start = time.perf_counter()
                    fn(learn)
                    spent[0] += time.perf_counter() - start

                return run

            watched.events[name] = [timed_fn(fn) for fn in fns]
        for learn in (plain, watched):
            learn.fit(1e-3, 1, quiet=True)  # warm up: workers, allocator, caches
        times, shares = {"plain": [], "monitored": []}, []
        for rep in range(repeats):
            for name, learn in (("plain", plain), ("monitored", watched))[
                :: 1 if rep % 2 == 0 else -1
            ]:
                spent[0], start = 0.0, time.perf_counter()
                learn.fit(1e-3, 3, quiet=True)
                elapsed = time.perf_counter() - start
                times[name].append(elapsed / learn.recorder.iteration)
                if name == "monitored":
                    shares.append(spent[0] / (elapsed - spent[0]))
        p, m = statistics.median(times["plain"]) * 1e3, statistics.median(times["monitored"]) * 1e3
        print(
            f"2. training monitor: its callbacks take {100 * statistics.median(shares):.2f}% of the fit's time "
            f"(goal < 2%); whole fits: {m:.3f} ms per batch monitored vs {p:.3f} ms plain "
            f"({100 * (m - p) / p:+.1f}%, within this machine's noise); tiny CNN, 16 px, bs 16"
        )


if __name__ == "__main__":
    schedule_update()
    monitor_cost()
