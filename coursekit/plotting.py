"""Where a ``plot_*`` method draws: the axes it was given, or a new figure of its own.

    ax, fig = axes_and_figure(ax, figsize=(6, 4))
    ax.plot(losses)
    return fig

Every ``plot_*`` in coursekit takes ``ax=None`` and returns the figure. It makes a matplotlib
``Figure`` rather than a pyplot one: no global state, so a notebook shows it once, as the cell's
value, and a thread can draw it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["axes_and_figure"]


def axes_and_figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Axes, Figure]:
    """``ax`` and the figure it is on, or new axes on a new ``figsize``-inch figure."""
    from matplotlib.figure import Figure  # matplotlib loads only when something is drawn

    if ax is None:
        fig = Figure(figsize=figsize)
        return fig.add_subplot(), fig
    parent = ax.figure
    return ax, parent if isinstance(parent, Figure) else parent.figure
