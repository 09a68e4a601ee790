"""The learner's events: a dict of event name -> list of functions, each called with the learner
(minGPT's callbacks). Panels subscribe to them and unsubscribe on ``close()``.

    unsubscribe = learn.subscribe("after_epoch", lambda learn: print(learn.recorder.rows[-1]))
    unsubscribe()
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coursekit.train.learner import Learner

__all__ = ["EVENTS", "Listener", "emit", "new_events", "subscribe"]

EVENTS = ("before_fit", "before_epoch", "after_batch", "after_epoch", "after_fit")

# A function called with the learner at an event.
Listener = Callable[["Learner"], object]


def new_events() -> dict[str, list[Listener]]:
    """No listeners yet, for each event."""
    return {name: [] for name in EVENTS}


def subscribe(events: dict[str, list[Listener]], event: str, fn: Listener) -> Callable[[], None]:
    """Add ``fn`` to ``events[event]``; return the function that takes it out again."""
    if event not in events:
        raise ValueError(f"unknown event {event!r}; the events are {', '.join(EVENTS)}")
    events[event].append(fn)

    def unsubscribe() -> None:
        with contextlib.suppress(ValueError):  # already unsubscribed
            events[event].remove(fn)

    return unsubscribe


def emit(events: dict[str, list[Listener]], event: str, learn: Learner) -> None:
    """Call each of ``event``'s listeners with ``learn``."""
    for fn in list(events[event]):  # a copy: a panel may unsubscribe while a fit runs
        fn(learn)
