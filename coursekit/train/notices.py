"""Telling a student, once, that full mode is running without a GPU.

The lessons' full mode trains ImageNet networks on photos of 224 px and more: minutes per epoch
on a GPU, far longer on a CPU. A student who forgot to pick a GPU runtime in Colab should hear it
from the first epoch, with how long it will take and how to switch, not find out after an hour.

``CpuNotice`` listens to the learner's ``before_epoch`` and ``after_batch`` events: it times the
first few batches, then prints one plain paragraph and carries on. ``Learner`` attaches one when it trains
a network with torchvision's ImageNet weights on a CPU. The long passes that come before any epoch
(``precompute``'s pass through the body, ``lr_find``) call ``cpu_pass_notice``, so the notice comes
before the first long step, whichever it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from coursekit.train.models import ARCHS

__all__ = ["CpuNotice", "attach_cpu_notice", "cpu_notice_text", "cpu_pass_notice"]

# Once per process: a lesson builds several learners, and the advice does not change between them.
_already_said: set[str] = set()


def cpu_notice_text(
    arch: str, seconds_per_epoch: float, n_batches: int, what: str = "One epoch"
) -> str:
    """The notice itself: what is happening, how long an epoch (or ``what``) will take, how to
    switch to a GPU."""
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
        f"No GPU: {arch} is training on the CPU. {what} ({n_batches} batches) will take {how_long} "
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


def _needs_notice(learn: Any) -> bool:
    """A torchvision ImageNet network (the lessons' full mode) on a CPU; tinyresnet is made for one."""
    arch = ARCHS.get(learn.arch or "")
    weights = arch.weights if arch is not None else None
    return learn.device.type == "cpu" and weights is not None and "." in weights


def attach_cpu_notice(learn: Any) -> None:
    """Give ``learn`` a ``CpuNotice`` when it trains a torchvision ImageNet network on a CPU (the
    lessons' full mode); networks made for the CPU (tinyresnet) need none."""
    if _needs_notice(learn):
        notice = CpuNotice(learn.arch)
        learn.events["before_epoch"].append(notice.start)
        learn.events["after_batch"].append(notice)


def cpu_pass_notice(learn: Any, n_batches: int, what: str, n_timed: int = 3) -> Callable[[], None]:
    """For a long pass of ``n_batches`` outside ``fit`` (``what``, e.g. 'Precomputing the
    activations'): a function to call after each batch, which prints the notice once, timed on the
    first ``n_timed`` batches. A no-op where no notice is needed or it was given already."""
    if not _needs_notice(learn) or "cpu" in _already_said:
        return lambda: None
    started, seen = time.perf_counter(), [0]

    def tick() -> None:
        seen[0] += 1
        if "cpu" in _already_said or seen[0] < min(n_timed, n_batches):
            return
        _already_said.add("cpu")
        per_batch = (time.perf_counter() - started) / seen[0]
        print(cpu_notice_text(learn.arch, per_batch * n_batches, n_batches, what), flush=True)

    return tick
