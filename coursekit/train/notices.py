"""Telling a student, once, that full mode is running without a GPU.

The lessons' full mode trains ImageNet networks on photos of 224 px and more: minutes per epoch
on a GPU, far longer on a CPU. A student who forgot to pick a GPU runtime in Colab should hear it
before the first long step starts, with how to switch, and then how long it will take, not find
out after an hour.

The notice comes in two parts: ``cpu_notice_text`` (what is happening, how to switch) as the first
long step starts, before its first batch; ``cpu_estimate_text`` (how long that step will take)
once its first few batches are timed. The first long step is the first epoch (``CpuNotice``,
listening to the learner's ``before_epoch`` and ``after_batch`` events; ``Learner`` attaches one
when it trains a network with torchvision's ImageNet weights on a CPU), or a long pass that comes
before any epoch: ``precompute``'s pass through the body or ``lr_find``, which call
``cpu_pass_notice``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from coursekit.train.events import Listener
from coursekit.train.models import ARCHS

__all__ = [
    "CpuNotice",
    "attach_cpu_notice",
    "cpu_estimate_text",
    "cpu_notice_text",
    "cpu_pass_notice",
]

# Once per process: a lesson builds several learners, and the advice does not change between them.
_already_said: set[str] = set()


def cpu_notice_text(arch: str) -> str:
    """The notice's first part: what is happening and how to switch to a GPU."""
    return (
        f"No GPU: {arch} is training on the CPU, many times slower than on a GPU. In Google Colab, "
        "choose Runtime > Change runtime type > T4 GPU, then run the notebook again from the top; "
        "elsewhere, run it on a machine with an NVIDIA GPU, or set SAMPLE = True for the small "
        "offline version. Training carries on."
    )


def cpu_estimate_text(seconds: float, n_batches: int, what: str = "One epoch") -> str:
    """The notice's second part: how long ``what`` (``n_batches`` batches) will take here."""
    minutes = seconds / 60
    how_long = (
        f"about {minutes:.0f} minutes"
        if minutes >= 1.5
        else (f"about {round(seconds)} seconds" if seconds >= 1.5 else "about a second")
    )
    return f"{what} ({n_batches} batches) will take {how_long} on this CPU."


def _say_first_part(arch: str) -> bool:
    """Print the notice's first part unless it was said in this process; whether it was printed."""
    if "cpu" in _already_said:
        return False
    _already_said.add("cpu")
    print(cpu_notice_text(arch), flush=True)
    return True


class CpuNotice:
    """Listeners for a learner's first epoch on a CPU: ``start`` (on ``before_epoch``) prints the
    notice's first part, unless this process said it already; ``__call__`` (on ``after_batch``)
    times the first ``n_timed`` batches and prints how long the epoch will take."""

    def __init__(self, arch: str, n_timed: int = 3):
        self.arch, self.n_timed = arch, n_timed
        self.started: float | None = None  # set while this notice is timing its epoch
        self.seen = 0
        self.estimate_s: float | None = None  # the seconds per epoch it printed

    def start(self, learn: Any) -> None:
        # Precomputed epochs train only the head on cached activations: not what an epoch costs.
        if learn.precompute or self.estimate_s is not None or not _say_first_part(self.arch):
            self.started = None
            return
        self.started, self.seen = time.perf_counter(), 0

    def __call__(self, learn: Any) -> None:
        if self.started is not None:  # not timing: a batch costs only this test
            recorder = learn.recorder
            self.batch_done(max(1, recorder.n_iterations // max(1, recorder.n_epochs)))

    def batch_done(self, n_batches: int, what: str = "One epoch") -> None:
        """After each batch of the step being timed (``n_batches`` long): once ``n_timed`` are
        timed, print how long ``what`` will take, and stop timing."""
        if self.started is None:
            return
        self.seen += 1
        if self.seen < min(self.n_timed, n_batches):
            return
        self.estimate_s = (time.perf_counter() - self.started) / self.seen * n_batches
        self.started = None
        print(cpu_estimate_text(self.estimate_s, n_batches, what), flush=True)


def _needs_notice(arch: str, device: torch.device) -> bool:
    """A torchvision ImageNet network (the lessons' full mode) on a CPU; tinyresnet is made for one."""
    spec = ARCHS.get(arch)
    weights = spec.weights if spec is not None else None
    return device.type == "cpu" and weights is not None and "." in weights


def attach_cpu_notice(
    events: dict[str, list[Listener]], arch: str | None, device: torch.device
) -> None:
    """Add a ``CpuNotice`` to a learner's ``events`` when it trains ``arch``, a torchvision ImageNet
    network, on a CPU ``device`` (the lessons' full mode); networks made for the CPU (tinyresnet)
    need none."""
    if arch is not None and _needs_notice(arch, device):
        notice = CpuNotice(arch)
        events["before_epoch"].append(notice.start)
        events["after_batch"].append(notice)


def cpu_pass_notice(
    arch: str | None, device: torch.device, n_batches: int, what: str, n_timed: int = 3
) -> Callable[[], None]:
    """For a long pass of ``n_batches`` outside ``fit`` (``what``, e.g. 'Precomputing the
    activations') of ``arch`` on ``device``, called before its first batch: prints the notice's
    first part now and returns a function to call after each batch, which prints how long the
    pass will take, timed on the first ``n_timed`` batches. A no-op where no notice is needed or
    it was given already."""
    if arch is None or not _needs_notice(arch, device) or not _say_first_part(arch):
        return lambda: None
    notice = CpuNotice(arch, n_timed)
    notice.started = time.perf_counter()
    return lambda: notice.batch_done(n_batches, what)
