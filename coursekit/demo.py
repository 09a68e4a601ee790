"""The live-demo mode: rehearse a lesson at home, replay its training in class.

    ck.demo.record('lesson1')       # rehearsing (on a GPU at home): run the notebook as usual
    ck.demo.replay(speed=10)        # in class, on a laptop: the same cells replay, 10x faster
    ck.demo.off()                   # back to training live

While recording, every fit, ``lr_find`` and set of predictions (``get_preds``, TTA, the
interpretation's) runs live and is written to ``<COURSEKIT_HOME>/demo/<name>/``: each batch's
loss and learning rates, the epoch table, the weights after each fit. While replaying, a cell
whose fit, data and learner state match a recording plays it back through the same events, so
the training monitor, schedule and LR finder panels draw it as a live fit; it says
"replaying the recording of <date> (10x)", and afterwards the learner holds the recorded weights.
A cell with no recording (another learning rate, other data) trains live and says why.
The environment does the same: ``COURSEKIT_DEMO=record|replay|off``, ``COURSEKIT_DEMO_NAME``,
``COURSEKIT_DEMO_SPEED`` (a number, ``real`` or ``max``). How it works: ``coursekit.train.replay``.
The command ``coursekit demo`` is something else: a tour of lesson 1 (``coursekit.tour``).
"""

from __future__ import annotations

import math
import os
import shutil

from coursekit.train.demo_mode import DemoMode, default_recording_name, demo_mode_from_env
from coursekit.train.recordings import Recording, RecordingStore, recordings_folder

__all__ = ["DemoMode", "Recording", "forget", "mode", "off", "record", "recordings", "replay"]


def _set(action: str, name: str | None, speed: float | None = None) -> DemoMode:
    if name is not None:
        recordings_folder(name)  # a clear error for a name that is not one
        os.environ["COURSEKIT_DEMO_NAME"] = name
    if speed is not None:
        DemoMode(action, speed=speed)  # a clear error for a speed that is not one
        os.environ["COURSEKIT_DEMO_SPEED"] = "max" if math.isinf(speed) else repr(float(speed))
    os.environ["COURSEKIT_DEMO"] = action
    return demo_mode_from_env()


def record(name: str | None = None) -> DemoMode:
    """Record every fit, ``lr_find`` and prediction from now on, under ``name`` (by default the
    notebook's name, or ``$COURSEKIT_DEMO_NAME``). Run the lesson through, as in class.

    >>> ck.demo.record('lesson1')   # doctest: +SKIP
    """
    mode = _set("record", name)
    print(f"recording fits, lr_find and predictions in {mode.folder}")
    return mode


def replay(speed: float = 10, name: str | None = None) -> DemoMode:
    """Replay the recordings of ``name`` from now on, ``speed`` times faster than they ran
    (``speed=1``: the real pace; ``math.inf``: at once). Cells with no recording train live.

    >>> ck.demo.replay(speed=10)   # doctest: +SKIP
    """
    mode = _set("replay", name, speed)
    found = RecordingStore(mode.folder).recordings()
    print(
        f"replaying the {len(found)} recording(s) in {mode.folder} ({mode.speed_text}); "
        "cells with none train live"
    )
    return mode


def off() -> DemoMode:
    """Train live again, recording nothing."""
    return _set("off", None)


def mode() -> DemoMode:
    """The demo mode now (off, record or replay), with its recordings' name and speed."""
    return demo_mode_from_env()


def recordings(name: str | None = None) -> list[Recording]:
    """What has been recorded under ``name`` (by default the current one), oldest first."""
    return RecordingStore(recordings_folder(name or default_recording_name())).recordings()


def forget(name: str | None = None) -> int:
    """Delete the recordings of ``name`` (to rehearse afresh); returns how many there were."""
    folder = recordings_folder(name or default_recording_name())
    count = len(RecordingStore(folder).recordings())
    shutil.rmtree(folder, ignore_errors=True)
    return count
