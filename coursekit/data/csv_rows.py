"""The rows of a labels CSV (``id,label``, a header first) as the cleaner reads and edits them.

    rows, newline = read_rows(path/'labels.csv')
    new_rows, n_changed = edit_rows(rows, {'train_1': 'cloudy', 'train_0': None})   # None: drop

An image's id is its file name without the suffix that ``ImageData.from_csv`` was given
(``suffix='.jpg'``: ``train_1.jpg`` -> ``train_1``). Without a suffix the id may be the whole name
or the name without its extension: ``row_ids`` lists both, the likeliest first.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

__all__ = ["edit_rows", "read_rows", "row_ids", "rows_text"]


def row_ids(path: Path, suffix: str = "") -> list[str]:
    """The ids that may name the image ``path`` in a CSV read with ``suffix``, likeliest first.

    >>> row_ids(Path('train/train_1.jpg'), '.jpg'), row_ids(Path('train/train_1.jpg'))
    (['train_1'], ['train_1.jpg', 'train_1'])
    """
    name = path.name
    if suffix:
        return [name[: -len(suffix)] if name.endswith(suffix) else name]
    return [name, path.stem] if path.suffix else [name]


def read_rows(path: Path) -> tuple[list[list[str]], str]:
    """The CSV's rows (header first) and its line ending (kept when it is written again)."""
    text = Path(path).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text, newline=""))), "\r\n" if "\r\n" in text else "\n"


def rows_text(rows: list[list[str]], newline: str) -> str:
    """``rows`` as CSV text."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(rows)
    return buf.getvalue()


def edit_rows(rows: list[list[str]], labels: dict[int, str | None]) -> tuple[list[list[str]], int]:
    """``rows`` with row ``i``'s label set to ``labels[i]`` (``None``: the row dropped), and how
    many rows that changes.

    >>> edit_rows([['id', 'label'], ['a', 'cat'], ['b', 'dog']], {1: None, 2: 'dog'})
    ([['id', 'label'], ['b', 'dog']], 1)
    """
    out, changed = [rows[0]], 0
    for i, row in enumerate(rows[1:], start=1):
        if i not in labels:
            out.append(row)
            continue
        label = labels[i]
        if label is None:
            changed += 1
        else:
            changed += row[1:2] != [label]
            out.append([row[0], label, *row[2:]])
    return out, changed
