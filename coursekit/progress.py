"""Progress bars that show where someone is watching, and stay silent in a log.

In a notebook: a widget bar. In a terminal: a text bar. With no terminal (CI, a log file,
``nohup``): nothing at all, rather than thousands of carriage-return lines.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["has_terminal", "in_notebook", "progress_bar"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Notebook, Colab, VS Code)."""
    shell = sys.modules.get("IPython")
    ip = shell.get_ipython() if shell is not None and hasattr(shell, "get_ipython") else None
    return ip is not None and type(ip).__name__ in ("ZMQInteractiveShell", "Shell")


def has_terminal() -> bool:
    """True when standard error is an interactive terminal."""
    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def progress_bar(total: int, desc: str = "", unit: str = "it", leave: bool = False) -> tqdm:
    """A tqdm bar for ``total`` steps, shown only in a notebook or a terminal.

    >>> bar = progress_bar(100, 'epoch 1')
    >>> bar.update(1); bar.close()
    """
    if in_notebook():
        try:
            from tqdm.notebook import tqdm as notebook_tqdm

            return notebook_tqdm(total=total, desc=desc, unit=unit, leave=leave)
        except ImportError:  # ipywidgets missing: fall back to text
            pass
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        leave=leave,
        disable=not has_terminal(),
        mininterval=0.5,
        file=sys.stderr,
    )
