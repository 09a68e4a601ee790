"""Controls both explorers share, laid out to read the same on ipywidgets 7 and 8."""

from __future__ import annotations

import ipywidgets as widgets

__all__ = ["LABEL_WIDTH", "keep_width", "set_output_range"]

# ipywidgets 7 (classic Notebook, Colab) gives every toggle button 148 px, which cuts a long label
# ("conv -> ReLU -> m..."), and a checkbox 300 px; in a crowded row the toggle group is squeezed
# until its buttons stack. Buttons as wide as their labels, and controls that keep their width.
LABEL_WIDTH = {"button_width": "auto"}


def keep_width() -> widgets.Layout:
    """A layout as wide as the control's content, which a crowded row does not shrink."""
    return widgets.Layout(width="auto", flex="0 0 auto")


def set_output_range(panel, height: int, width: int) -> None:
    """Fit ``panel.row`` / ``panel.col`` (the chosen output cell) to a ``height`` x ``width`` output.

    A smaller output clamps the sliders' values; ``panel._quiet`` keeps that from triggering a
    redraw in the middle of the one already under way.
    """
    panel._quiet = True
    try:
        panel.row.max, panel.col.max = height - 1, width - 1
    finally:
        panel._quiet = False
