"""Panel: what every panel (``coursekit.widgets``) and explorer (``coursekit.explore``) shares.

    class MyPanel(Panel):
        def __init__(self, learn):
            self.status, self.button = widgets.HTML(), widgets.Button(description="go")
            self.button.on_click(self.handler(lambda _b: learn.fit(1e-2, 1)))
            super().__init__([self.button, self.status])
            self.listen(learn, after_epoch=self.redraw)

Three habits, so that a student never meets hidden work or a silent failure:

- a button's or a control's callback goes through ``handler(fn)``: an exception in it shows in the
  panel's status line (``self.status``), as ipywidgets' ``interactive`` shows a traceback, instead
  of vanishing into the kernel's log;
- while the panel sets its own controls (``with self.quietly():``), their callbacks do not run;
- ``listen(learn, event=method)`` subscribes to the learner's events and ``close()`` (ipywidgets'
  ``Widget.close``) unsubscribes; a new panel of the same kind on the same learner closes the
  earlier one, so re-running a cell never piles up hidden listeners that keep redrawing.

With the presenter view on (``ck.present()``), a panel is made projector-sized as it is built
(``present_panel``): larger text, thicker lines, the Okabe-Ito colours.
"""

from __future__ import annotations

import contextlib
import functools
import html
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from coursekit.presenter import PresenterStyle, presenter_style

if TYPE_CHECKING:
    from coursekit.train.learner import Learner

__all__ = ["LABEL_WIDTH", "Panel", "error_html", "keep_width", "present_panel", "present_plot"]

# ipywidgets 7 (classic Notebook, Colab) gives every toggle button 148 px, which cuts a long label
# ("conv -> ReLU -> m..."), and a checkbox 300 px; in a crowded row the toggle group is squeezed
# until its buttons stack. Buttons as wide as their labels, and controls that keep their width.
LABEL_WIDTH = {"button_width": "auto"}


def keep_width() -> widgets.Layout:
    """A layout as wide as the control's content, which a crowded row does not shrink."""
    return widgets.Layout(width="auto", flex="0 0 auto")


def error_html(title: str, error: BaseException) -> str:
    """``title``, the error's type and message, and its traceback folded away, as HTML.

    >>> error_html("fit failed", ValueError("no images")).startswith("<b style='color:#c00'>fit failed:</b> ValueError")
    True
    """
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return (
        f"<b style='color:#c00'>{html.escape(title)}:</b> {html.escape(repr(error))}"
        f"<details><summary>traceback</summary><pre>{html.escape(text)}</pre></details>"
    )


class Panel(widgets.VBox):
    """An ipywidgets ``VBox`` with a status line, guarded callbacks and listeners it detaches.

    A subclass makes ``self.status`` (a ``widgets.HTML``) and places it among its children.
    """

    status: widgets.HTML
    _quiet = False
    _unsubscribers: tuple[Callable[[], None], ...] = ()
    _error_shown: str | None = None  # the status line's HTML while it shows a callback's error
    _status_before = ""  # ... and what the status line said before that

    def __init__(self, children: Sequence[widgets.Widget], **kwargs: Any):
        super().__init__(list(children), **kwargs)
        style = presenter_style()
        if style is not None:
            present_panel(self, style)

    # ------------------------------------------------------------------------- callbacks
    def handler(self, fn: Callable[..., object]) -> Callable[..., None]:
        """``fn`` as a widget callback: skipped while the panel is quiet; an exception in it is
        shown in the status line (and cleared by the next callback that succeeds)."""

        @functools.wraps(fn)
        def guarded(*args: Any) -> None:
            if self._quiet:
                return
            try:
                fn(*args)
            except Exception as error:
                if self._error_shown is None:
                    self._status_before = self.status.value
                self._error_shown = error_html("error", error)
                self.status.value = self._error_shown
            else:
                if self._error_shown is not None and self.status.value == self._error_shown:
                    self.status.value = self._status_before
                self._error_shown = None

        return guarded

    @contextlib.contextmanager
    def quietly(self) -> Iterator[None]:
        """Set the panel's own controls without running their callbacks (a slider whose maximum
        shrinks clamps its value; that is no request from the student to redraw)."""
        was_quiet, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = was_quiet

    # ------------------------------------------------------------------------- listeners
    def listen(self, learn: Learner, **listeners: Callable[[Learner], object]) -> None:
        """Subscribe each ``event=method`` to ``learn``'s events, first closing any earlier panel of
        this kind that listens to ``learn`` (the one a re-run cell left behind)."""
        for fns in learn.events.values():
            for fn in list(fns):
                earlier = getattr(fn, "__self__", None)
                if type(earlier) is type(self) and earlier is not self:
                    earlier.close()
        for event, fn in listeners.items():
            self._unsubscribers = (*self._unsubscribers, learn.subscribe(event, fn))

    def close(self) -> None:
        """Detach every listener, then close the widget (what ipywidgets' ``Widget.close`` does)."""
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers = ()
        super().close()


# ----------------------------------------------------------------------------- presenter view
LEGEND_PX = 16


def _pixels(length: str | None, scale: float) -> str | None:
    """``"600px"`` times ``scale``; any other length (``"100%"``, None) as it is."""
    if length and length.endswith("px") and length[:-2].isdigit():
        return f"{round(int(length[:-2]) * scale)}px"
    return length


def present_plot(plot: Any, style: PresenterStyle) -> None:
    """Make a bqplot ``Figure`` projector-sized: ticks, legend and title in ``style.font_px``,
    lines ``style.line_width / 2`` times thicker, colours from the Okabe-Ito palette, the plot
    ``style.plot_scale`` times larger with margins for the larger tick labels."""
    font = {"font-size": f"{style.font_px}px"}
    plot.layout.width = _pixels(plot.layout.width, style.plot_scale)
    plot.layout.height = _pixels(plot.layout.height, style.plot_scale)
    margin = dict(plot.fig_margin)
    plot.fig_margin = {
        "top": margin.get("top", 20) + style.font_px,
        "bottom": margin.get("bottom", 50) + 2 * style.font_px,
        "left": margin.get("left", 60) + 3 * style.font_px,
        "right": margin.get("right", 20) + style.font_px,
    }
    plot.title_style = dict(font)
    # bqplot puts legend rows 20 px apart whatever their font: larger text would overlap
    plot.legend_text = {"font-size": f"{min(style.font_px, LEGEND_PX)}px", "font-weight": "bold"}
    for axis in plot.axes:
        axis.tick_style = {**axis.tick_style, **font, "fill": style.foreground}
        axis.color, axis.label_color = style.foreground, style.foreground
    for mark in plot.marks:
        if hasattr(mark, "stroke_width"):
            mark.stroke_width = mark.stroke_width * style.line_width / 2
        if hasattr(mark, "marker_size"):
            mark.marker_size = mark.marker_size * (style.line_width / 2) ** 2  # an area
        if hasattr(mark, "default_size"):
            mark.default_size = mark.default_size * (style.line_width / 2) ** 2
        if getattr(mark, "colors", None):
            mark.colors = [style.colour(c) for c in mark.colors]


def present_panel(panel: widgets.Box, style: PresenterStyle) -> None:
    """Make ``panel`` projector-sized: its bqplot figures (``present_plot``), and its text through a
    CSS class and a hidden ``<style>`` (``style.css()``), which both ipywidgets 7 and 8 honour."""
    pending: list[Any] = [panel]
    while pending:
        widget = pending.pop()
        if hasattr(widget, "marks") and hasattr(widget, "axes"):
            present_plot(widget, style)
        pending.extend(getattr(widget, "children", ()))
    panel.add_class("coursekit-present")
    css = widgets.HTML(style.css(), layout=widgets.Layout(display="none"))
    panel.children = (*panel.children, css)
