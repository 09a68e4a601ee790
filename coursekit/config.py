"""Where coursekit keeps its files, and which mode the lessons run in.

Nothing here is global state: every function reads the environment when it is called,
so a test (or a student) can change ``COURSEKIT_HOME`` or ``COURSEKIT_SAMPLE`` at any time.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SAMPLE_SETS", "coursekit_home", "max_picture_size", "sample_mode"]

# The lessons' data sets that coursekit can draw offline (``ck.samples``, ``coursekit data NAME``)
SAMPLE_SETS = ("pets", "dogscats", "dogbreeds", "planet")


def coursekit_home() -> Path:
    """The cache directory: ``$COURSEKIT_HOME``, or ``~/.coursekit`` when unset.

    Downloads go to ``archive/``, extracted data sets to ``data/``, generated sample data to
    ``samples/`` and resized copies of images to ``resized/``.

    >>> coursekit_home() / 'samples'   # doctest: +SKIP
    """
    home = os.environ.get("COURSEKIT_HOME")
    return Path(home).expanduser() if home else Path.home() / ".coursekit"


def sample_mode() -> bool:
    """True when the lessons should run on the offline sample data (``COURSEKIT_SAMPLE=1``).

    Every lesson starts with ``SAMPLE = ck.sample_mode()``; a student can also write
    ``SAMPLE = True`` by hand.
    """
    return os.environ.get("COURSEKIT_SAMPLE", "").strip().lower() in {"1", "true", "yes", "on"}


def max_picture_size() -> int | None:
    """The full-mode rehearsal's cap on picture sizes: ``$COURSEKIT_MAX_SIZE`` pixels, or None.

    The lessons' full mode trains at the course's sizes (224-299 px), which a CPU cannot do in
    minutes. Rehearsing full mode on a CPU (``pytest -m full_mode``) sets ``COURSEKIT_MAX_SIZE=32``:
    every ``ImageData`` bigger than that is made at 32 px instead, and says so in its output.
    Nothing else changes. Unset, there is no cap.
    """
    value = os.environ.get("COURSEKIT_MAX_SIZE", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 8:
        raise ValueError(
            f"COURSEKIT_MAX_SIZE={value!r} is not a picture size: set it to a whole number of "
            "pixels (e.g. 64), or unset it for the course's sizes."
        )
    return int(value)
