"""Where a ``plot_*`` method draws: the axes it was given, or a new figure of its own.

    ax, fig = axes_and_figure(ax, figsize=(6, 4))
    ax.plot(losses)
    return fig

Every ``plot_*`` in coursekit takes ``ax=None`` and returns the figure. It makes a matplotlib
``Figure`` rather than a pyplot one: no global state, so a notebook shows it once, as the cell's
value, and a thread can draw it.

Each of them is also ``@presentable``: with the presenter view on (``ck.present()``,
``coursekit.presenter``) it draws within the presenter's rcParams (larger text, thicker lines,
the Okabe-Ito colours), which are put back as they were when it returns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from coursekit.presenter import presenter_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["axes_and_figure", "presentable"]

Draw = TypeVar("Draw", bound=Callable[..., Any])


def axes_and_figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Axes, Figure]:
    """``ax`` and the figure it is on, or new axes on a new ``figsize``-inch figure."""
    from matplotlib.figure import Figure  # matplotlib loads only when something is drawn

    if ax is None:
        fig = Figure(figsize=figsize)
        return fig.add_subplot(), fig
    parent = ax.figure
    return ax, parent if isinstance(parent, Figure) else parent.figure


def presentable(draw: Draw) -> Draw:
    """``draw`` (a ``plot_*`` function or a panel's ``figure``) in the presenter's rcParams when the
    presenter view is on; as it is otherwise. The figure is laid out before the rcParams are put
    back, so that its tick labels, which matplotlib makes when it first draws, are sized too."""

    @functools.wraps(draw)
    def drawn(*args: Any, **kwargs: Any) -> Any:
        style = presenter_style()
        if style is None:
            return draw(*args, **kwargs)
        import matplotlib

        params: Any = style.rc_params()  # matplotlib types its keys as a Literal of every rcParam
        with matplotlib.rc_context(params):
            result = draw(*args, **kwargs)
            figures = result if isinstance(result, tuple) else (result,)
            for figure in figures:
                if hasattr(figure, "draw_without_rendering"):
                    figure.draw_without_rendering()
        return result

    return drawn  # type: ignore[return-value]
