"""Reading a PyTorch file safely, and saying plainly what a file is when it is not one.

    state = read_torch_file(path, 'cpu', fix='export it again with learn.export(...)')

Every coursekit file (``learn.save``, ``learn.export``) holds only tensors and plain data, so it is
read with ``torch.load(..., weights_only=True)``, which never runs code. When that fails, torch's
own message suggests ``weights_only=False``, which would run whatever code the file carries: the
opposite of safe advice for a file from someone else. So the message is ours: it says what the
file is (an image, a text file, a zip archive, a pickle of Python objects, a damaged checkpoint)
and what to do instead, and never repeats that suggestion.
"""

from __future__ import annotations

import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

__all__ = ["NotACheckpointError", "describe_file", "read_torch_file"]

# The first bytes of the files a student most often hands over by mistake.
SIGNATURES = {
    b"\xff\xd8\xff": "a JPEG image",
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"GIF8": "a GIF image",
    b"BM": "a BMP image",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
}


class NotACheckpointError(ValueError):
    """A file that is not a PyTorch checkpoint coursekit can read; the message says what it is."""


def describe_file(path: Path) -> str | None:
    """What ``path`` is when it is plainly not a PyTorch file ('a JPEG image', 'a text file',
    'a zip archive but not a PyTorch file', 'empty'), or None when it may be one."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head:
        return "empty (0 bytes)"
    for magic, kind in SIGNATURES.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile:
            return None  # a damaged checkpoint: torch.load says how
        if not any(name.endswith("/data.pkl") or name == "data.pkl" for name in names):
            return f"a zip archive of {len(names)} file(s) but not a PyTorch file"
        return None
    if head[:1] == b"\x80":  # a pickle (PyTorch's legacy format is one)
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "not a PyTorch file (its first bytes match no format coursekit knows)"
    return "a text file" if b"\x00" not in head else "not a PyTorch file"


def read_torch_file(path: Path, map_location: str | torch.device, what: str, fix: str) -> Any:
    """``torch.load(path, weights_only=True)``, or ``NotACheckpointError`` saying what the file
    is, that it is not ``what`` (e.g. 'coursekit checkpoint') and ``fix`` (what to do). Never
    suggests ``weights_only=False``."""
    kind = describe_file(path)
    if kind is not None:
        raise NotACheckpointError(f"{path} is {kind}, not a {what}: {fix}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        # torch >= 2.4 says "Unsupported global: GLOBAL x.y.Z", torch 2.3 "Unsupported class x.y.Z"
        found = re.search(r"(?:GLOBAL|Unsupported class) ([\w.]+)", str(e))
        what = f" (such as {found[1]})" if found else ""
        raise NotACheckpointError(
            f"{path} holds pickled Python objects{what}, not only tensors and plain data. "
            f"Loading it would run code from the file, which coursekit never does: {fix} "
            "(A file from fastai or torch.save(model) must be re-saved as weights by its author.)"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, KeyError, ValueError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "weights_only" in reason:  # torch's hint to run the file's code: never ours
            reason = type(e).__name__
        raise NotACheckpointError(
            f"{path} is not a readable {what} (truncated or damaged: {reason}): {fix}"
        ) from None
