"""Where coursekit keeps its files, and which mode the lessons run in.

Nothing here is global state: every function reads the environment when it is called,
so a test (or a student) can change ``COURSEKIT_HOME`` or ``COURSEKIT_SAMPLE`` at any time.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["coursekit_home", "sample_mode"]


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
