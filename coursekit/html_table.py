"""HTML tables that stay legible in every notebook frontend.

JupyterLab styles a bare ``<table>``, but classic Notebook and Google Colab (ipywidgets 7) leave
tables inside widgets unstyled, so the cells of an epoch table run together
(``2.4405931.9650990.357143``). Every cell therefore carries its own padding.

>>> html_table([["0", "0.25"]], header=["epoch", "trn_loss"])
"<table style='border-collapse:collapse'><tr><th style='padding:2px 10px'>epoch</th><th style='padding:2px 10px'>trn_loss</th></tr><tr><td style='padding:2px 10px'>0</td><td style='padding:2px 10px'>0.25</td></tr></table>"
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CELL_STYLE", "html_table"]

CELL_STYLE = "padding:2px 10px"


def html_table(
    rows: Sequence[Sequence[str]],
    header: Sequence[str] | None = None,
    row_headers: bool = False,
    style: str = "",
) -> str:
    """An HTML table of already-escaped cell contents, each cell padded.

    ``header`` is the first row, in ``<th>`` cells; with ``row_headers`` the first cell of every
    row is a ``<th>`` too. ``style`` is added to the table's own style (e.g. a monospace font)."""

    def cell(content: str, tag: str) -> str:
        return f"<{tag} style='{CELL_STYLE}'>{content}</{tag}>"

    def row(cells: Sequence[str], first_is_header: bool) -> str:
        tags = ["th" if first_is_header and i == 0 else "td" for i in range(len(cells))]
        return "<tr>" + "".join(cell(c, t) for c, t in zip(cells, tags)) + "</tr>"

    head = "<tr>" + "".join(cell(c, "th") for c in header) + "</tr>" if header else ""
    body = "".join(row(r, row_headers) for r in rows)
    table_style = "border-collapse:collapse" + (f";{style}" if style else "")
    return f"<table style='{table_style}'>{head}{body}</table>"
