"""Sizes of files as coursekit prints them: decimal units, as Kaggle, fast.ai and browsers show them.

One convention for every message: 1 kB = 1,000 bytes, 1 MB = 10**6, 1 GB = 10**9 (SI units, not
the binary MiB = 2**20). Limits that coursekit prints are defined in the same units
(``MAX_TOTAL_BYTES = 64 * 10**9`` reads "64 GB"), so a message names a limit as it is written.

>>> format_size(811_706_944), format_size(64 * 10**9), format_size(None)
('811.7 MB', '64 GB', 'size unknown')
"""

from __future__ import annotations

__all__ = ["format_size"]

UNITS = (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3))


def format_size(n_bytes: float | None) -> str:
    """``n_bytes`` in the largest decimal unit it reaches, to one decimal (none when it is .0).

    ``None`` (a size nobody told us) reads "size unknown", never "0 MB". Used by the download,
    extraction and ``coursekit data --full`` messages.

    >>> format_size(2_500_000), format_size(999)
    ('2.5 MB', '999 bytes')
    """
    if n_bytes is None:
        return "size unknown"
    for unit, scale in UNITS:
        if abs(n_bytes) >= scale:
            return f"{n_bytes / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{n_bytes:,.0f} bytes"
