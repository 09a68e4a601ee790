"""Controls both explorers share."""

from __future__ import annotations

__all__ = ["set_output_range"]


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
