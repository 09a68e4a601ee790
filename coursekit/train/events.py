"""The learner's events: a dict of event name -> list of functions, each called with the learner
(minGPT's callbacks). Panels subscribe to them and unsubscribe on ``close()``.

    unsubscribe = learn.subscribe("after_epoch", lambda learn: print(learn.recorder.rows[-1]))
    unsubscribe()
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from coursekit.train.learner import Learner

__all__ = ["EVENTS", "Events", "Listener"]

EVENTS = ("before_fit", "before_epoch", "after_batch", "after_epoch", "after_fit")

# A function called with the learner at an event.
Listener = Callable[["Learner"], object]


class Events:
    """``Learner``'s event methods (a base class of it); ``Learner.__init__`` makes ``events``."""

    events: dict[str, list[Listener]]

    def subscribe(self, event: str, fn: Listener) -> Callable[[], None]:
        """Call ``fn(learn)`` at each ``event``; returns the function that unsubscribes it again
        (a panel calls it on ``close()``). ``events[event].append(fn)`` without the way back."""
        if event not in self.events:
            raise ValueError(f"unknown event {event!r}; the events are {', '.join(EVENTS)}")
        self.events[event].append(fn)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):  # already unsubscribed
                self.events[event].remove(fn)

        return unsubscribe

    def emit(self, event: str) -> None:
        learn = cast("Learner", self)
        for fn in list(self.events[event]):  # a copy: a panel may unsubscribe while a fit runs
            fn(learn)
