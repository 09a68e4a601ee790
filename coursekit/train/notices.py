"""Telling a student, once, that full mode is running without a GPU.

The lessons' full mode trains ImageNet networks on photos of 224 px and more: minutes per epoch
on a GPU, far longer on a CPU. A student who forgot to pick a GPU runtime in Colab should hear it
from the first epoch, with how long it will take and how to switch, not find out after an hour.

``CpuNotice`` listens to the learner's ``before_epoch`` and ``after_batch`` events: it times the
first few batches, then prints one plain paragraph and carries on. ``Learner`` attaches one when it trains
a network with torchvision's ImageNet weights on a CPU.
"""

from __future__ import annotations

import time
from typing import Any

from coursekit.train.models import ARCHS

__all__ = ["CpuNotice", "attach_cpu_notice", "cpu_notice_text"]

# Once per process: a lesson builds several learners, and the advice does not change between them.
_already_said: set[str] = set()


def cpu_notice_text(arch: str, seconds_per_epoch: float, n_batches: int) -> str:
    """The notice itself: what is happening, how long an epoch will take, how to switch to a GPU."""
    minutes = seconds_per_epoch / 60
    how_long = (
        f"about {minutes:.0f} minutes"
        if minutes >= 1.5
        else (
            f"about {round(seconds_per_epoch)} seconds"
            if seconds_per_epoch >= 1.5
            else "about a second"
        )
    )
    return (
        f"No GPU: {arch} is training on the CPU. One epoch ({n_batches} batches) will take {how_long} "
        "here. In Google Colab, choose Runtime > Change runtime type > T4 GPU, then run the notebook "
        "again from the top; elsewhere, run it on a machine with an NVIDIA GPU, or set SAMPLE = True "
        "for the small offline version. Training carries on."
    )


class CpuNotice:
    """Listeners that time the first ``n_timed`` batches of an epoch on a CPU (``start`` on
    ``before_epoch``, the notice itself on ``after_batch``), then print ``cpu_notice_text`` once
    per process (see ``_already_said``)."""

    def __init__(self, arch: str, n_timed: int = 3):
        self.arch, self.n_timed = arch, n_timed
        self.started: float | None = None
        self.seen = 0
        self.estimate_s: float | None = None  # the seconds per epoch it printed

    def start(self, learn: Any) -> None:
        # Precomputed epochs train only the head on cached activations: not what an epoch costs.
        self.started, self.seen = (None if learn.precompute else time.perf_counter()), 0

    def __call__(self, learn: Any) -> None:
        if "cpu" in _already_said or self.started is None:
            return
        recorder = learn.recorder
        n_batches = max(1, recorder.n_iterations // max(1, recorder.n_epochs))
        self.seen += 1
        if self.seen < min(self.n_timed, n_batches):
            return
        per_batch = (time.perf_counter() - self.started) / self.seen
        _already_said.add("cpu")
        self.estimate_s = per_batch * n_batches
        print(cpu_notice_text(self.arch, self.estimate_s, n_batches), flush=True)


def attach_cpu_notice(learn: Any) -> None:
    """Give ``learn`` a ``CpuNotice`` when it trains a torchvision ImageNet network on a CPU (the
    lessons' full mode); networks made for the CPU (tinyresnet) need none."""
    arch = ARCHS.get(learn.arch or "")
    if learn.device.type == "cpu" and arch is not None and arch.weights and "." in arch.weights:
        notice = CpuNotice(learn.arch)
        learn.events["before_epoch"].append(notice.start)
        learn.events["after_batch"].append(notice)
