"""The epoch table: one row per epoch (losses, metrics, time), shown as the fit goes.

In a notebook it is an HTML table updated in place; in a terminal or a log, one plain line per
epoch (never a progress bar's worth of carriage returns). The training monitor panel shows the
same HTML (``epoch_table_html``).
"""

from __future__ import annotations

import math
import sys
from typing import Any

from coursekit.html_table import html_table
from coursekit.progress import in_notebook

__all__ = ["EpochTable", "epoch_table_html"]


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6f}"
    return str(value)


def epoch_table_html(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """The epoch table as HTML (the notebook's table, and the training monitor's)."""
    return html_table([[_fmt(r.get(c, "")) for c in columns] for r in rows], header=columns)


class EpochTable:
    """The per-epoch table: an HTML table in a notebook (updated in place), one plain line per
    epoch in a terminal or a log (never a progress-bar's worth of carriage returns)."""

    def __init__(self, columns: list[str], quiet: bool = False):
        self.columns, self.quiet = columns, quiet
        self.rows: list[dict[str, Any]] = []
        self.handle: Any = None  # IPython's DisplayHandle, updated in place
        if quiet:
            return
        if in_notebook():
            from IPython.display import HTML, display

            self.handle = display(HTML(self._html()), display_id=True)
        else:
            print("  ".join(f"{c:>10}" for c in columns), file=sys.stdout, flush=True)

    def _html(self) -> str:
        return epoch_table_html(self.columns, self.rows)

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if self.quiet:
            return
        if self.handle is not None:
            from IPython.display import HTML

            self.handle.update(HTML(self._html()))
        else:
            print(
                "  ".join(f"{_fmt(row.get(c, '')):>10}" for c in self.columns),
                file=sys.stdout,
                flush=True,
            )
