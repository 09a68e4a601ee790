"""Which demo mode the trainer is in: off (train), record (train and write down) or replay.

``ck.demo.record()`` and ``ck.demo.replay(speed=10)`` set it for every learner through the
environment (``COURSEKIT_DEMO``, ``COURSEKIT_DEMO_NAME``, ``COURSEKIT_DEMO_SPEED``), which is read
at each fit, as ``coursekit.config`` reads its settings; ``learn.demo_mode = DemoMode(...)`` sets it
for one learner (a test hands in its own ``sleep`` and ``clock`` that way).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.train.recordings import RecordingStore, recordings_folder

__all__ = ["ACTIONS", "DemoMode", "default_recording_name", "demo_mode_from_env"]

ACTIONS = ("off", "record", "replay")


@dataclass(frozen=True)
class DemoMode:
    """What fits do: ``action`` 'off' (train), 'record' (train and write down) or 'replay' (play
    back the recording when one matches); ``name``: the folder of recordings; ``speed``: how many
    times faster than the rehearsal a replay runs (1: its real pace; ``math.inf``: at once).
    ``sleep`` and ``clock`` are ``time.sleep`` and ``time.perf_counter`` (a test hands in others)."""

    action: str = "off"
    name: str = "default"
    speed: float = 10.0
    sleep: Callable[[float], object] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.perf_counter, repr=False)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"demo mode {self.action!r}: choose one of {', '.join(ACTIONS)}.")
        if not self.speed > 0:
            raise ValueError(f"replay speed {self.speed}: give a number above 0 (1: real pace).")

    @property
    def folder(self) -> Path:
        return recordings_folder(self.name)

    @property
    def store(self) -> RecordingStore:
        return RecordingStore(self.folder)

    @property
    def speed_text(self) -> str:
        if math.isinf(self.speed):
            return "at once"
        return "real pace" if self.speed == 1 else f"{self.speed:g}x"


def default_recording_name() -> str:
    """``$COURSEKIT_DEMO_NAME``, else the notebook's name (Jupyter's ``$JPY_SESSION_NAME``),
    else ``'default'``."""
    named = os.environ.get("COURSEKIT_DEMO_NAME", "").strip()
    notebook = Path(os.environ.get("JPY_SESSION_NAME", "")).stem
    return named or notebook or "default"


def demo_mode_from_env() -> DemoMode:
    """The mode set by ``ck.demo.record()``/``replay()`` or by hand: ``COURSEKIT_DEMO`` (off,
    record, replay), ``COURSEKIT_DEMO_NAME``, ``COURSEKIT_DEMO_SPEED`` (a number, ``real`` or
    ``max``). Read at each call, as ``coursekit.config`` reads its settings."""
    action = os.environ.get("COURSEKIT_DEMO", "").strip().lower() or "off"
    if action not in ACTIONS:
        raise ValueError(
            f"COURSEKIT_DEMO={action!r}: set it to {', '.join(ACTIONS)} (or unset it)."
        )
    speed_text = os.environ.get("COURSEKIT_DEMO_SPEED", "").strip().lower() or "10"
    speeds = {"real": 1.0, "max": math.inf}
    try:
        speed = speeds[speed_text] if speed_text in speeds else float(speed_text)
    except ValueError:
        raise ValueError(
            f"COURSEKIT_DEMO_SPEED={speed_text!r}: give a number (10: ten times faster), "
            "'real' or 'max'."
        ) from None
    return DemoMode(action, default_recording_name(), speed)
