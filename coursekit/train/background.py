"""Fitting in a background thread, so a notebook stays responsive while a model trains.

While a cell runs in the foreground, the kernel handles no widget events: a Stop button
clicked then is only seen after the fit has finished. ``learn.fit(..., background=True)`` runs
the same fit in a thread and returns at once; the kernel keeps serving the panels, and Stop works
mid-epoch (``learn.stop()`` is honoured at the next batch).

    job = learn.fit(1e-2, 3, cycle_len=1, background=True)
    job.done            # False while it runs
    job.join()          # wait; re-raises the fit's exception, if it had one
"""
from __future__ import annotations

import threading
import traceback
from typing import Callable

__all__ = ["BackgroundFit"]


class BackgroundFit:
    """A fit running in a daemon thread. ``error`` holds its exception, never swallowed: it is
    re-raised by ``join()``, kept on ``learn.recorder.error`` for the panels, and printed."""

    def __init__(self, learn):
        self.learn, self.error, self.result = learn, None, None
        self.thread: threading.Thread | None = None

    @classmethod
    def start(cls, run: Callable, learn) -> "BackgroundFit":
        if getattr(learn, "background_fit", None) is not None and not learn.background_fit.done:
            raise RuntimeError("a fit is already running in the background: call learn.stop(), or "
                               "learn.background_fit.join() to wait for it.")
        job = cls(learn)

        def target():
            try:
                job.result = run()
            except BaseException as e:  # noqa: BLE001 - kept and re-raised by join()
                job.error = e
                traceback.print_exception(type(e), e, e.__traceback__)

        job.thread = threading.Thread(target=target, name="coursekit-fit", daemon=True)
        learn.background_fit = job
        job.thread.start()
        return job

    @property
    def done(self) -> bool:
        return self.thread is not None and not self.thread.is_alive()

    def join(self, timeout: float | None = None):
        """Wait for the fit to end; return its recorder, or raise the exception that ended it."""
        self.thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.result
