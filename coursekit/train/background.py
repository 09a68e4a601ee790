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
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coursekit.train.recorder import Recorder

__all__ = ["BackgroundFit", "raise_if_busy"]


class BackgroundFit:
    """A fit running in a daemon thread. ``error`` holds its exception, never swallowed: it is
    re-raised by ``join()``, kept on ``learn.recorder.error`` for the panels, and printed."""

    def __init__(self, run: Callable[[], Recorder], code: str = "a fit"):
        """The thread that will run ``run()``, not started yet; ``code`` is the line that asked
        for it (named in errors)."""
        self.code = code
        self.error: BaseException | None = None
        self.result: Recorder | None = None

        def target() -> None:
            try:
                self.result = run()
            except BaseException as e:
                self.error = e
                traceback.print_exception(type(e), e, e.__traceback__)

        self.thread = threading.Thread(target=target, name="coursekit-fit", daemon=True)

    def start(self) -> BackgroundFit:
        """Start the thread; returns this job."""
        self.thread.start()
        return self

    @property
    def running(self) -> bool:
        """True while the thread trains, seen from any other thread."""
        return self.thread.is_alive() and threading.current_thread() is not self.thread

    @property
    def done(self) -> bool:
        return self.thread.ident is not None and not self.thread.is_alive()

    def join(self, timeout: float | None = None) -> Recorder | None:
        """Wait for the fit to end; return its recorder, or raise the exception that ended it.
        None if ``timeout`` passed first."""
        if self.thread.ident is not None:  # started
            self.thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.result


def raise_if_busy(job: BackgroundFit | None, recorder: Recorder, action: str) -> None:
    """Raise a RuntimeError if ``job`` (a learner's background fit) is still training: two calls
    at once would train (or read) the same weights, and one would corrupt the other. ``action``
    says what was tried; ``recorder`` (the learner's) says where the fit is."""
    if job is None or not job.running:
        return
    where = (
        f"epoch {recorder.epoch + 1}/{recorder.n_epochs}, "
        f"batch {recorder.iteration}/{recorder.n_iterations}"
    )
    raise RuntimeError(
        f"cannot {action}: {job.code} is running in the background on this learner ({where}). "
        "Wait for it with learn.background_fit.join(), or stop it with learn.stop() and then "
        "learn.background_fit.join()."
    )
