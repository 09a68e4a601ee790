"""The cleaner's change log: one JSON line per event in ``<root>/.coursekit_changes.jsonl``.

An apply writes, in this order, each line flushed to the disk before the next step:

    {"intent": {...}}          what it is about to do, before any file is touched
    {"apply": {...}}           done: every file moved, the CSV rewritten, with their stamps
or  {"rolled_back": id, ...}   a step failed and everything was put back

and an undo writes ``{"undo": id}``. An intent with neither ``apply`` nor ``rolled_back`` after it
is an apply that was interrupted (the kernel died half-way): the log still says which files it
meant to move where, so ``DataCleaner.recover()`` can put them back.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LOG_NAME", "Apply", "ChangeLog"]

LOG_NAME = ".coursekit_changes.jsonl"


@dataclass
class Apply:
    """One apply: its id; the files moved (``[src, dst]``) with each one's stamp after the move
    (``[size, mtime_ns, sha256]``); the CSV rewritten (or None), its backup, the SHA-256 of both,
    and how many of its rows changed."""

    id: str
    moves: list[list[str]] = field(default_factory=list)
    csv: str | None = None
    backup: str | None = None
    stamps: list[list[Any]] = field(default_factory=list)
    csv_sha256: str | None = None
    backup_sha256: str | None = None
    rows: int = 0

    def summary(self) -> str:
        """What the apply did, in words: 'moved 2 file(s) (1 to .trash), rewrote 1 CSV row(s)'."""
        to_trash = sum("/.trash/" in dst.replace(os.sep, "/") for _, dst in self.moves)
        parts = []
        if self.moves:
            parts.append(f"moved {len(self.moves)} file(s) ({to_trash} to .trash)")
        if self.rows:
            parts.append(f"rewrote {self.rows} CSV row(s)")
        return ", ".join(parts) or "changed nothing"


class ChangeLog:
    """Reading and appending the change log at ``path``."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, **entry: Any) -> None:
        """Add one line and make sure it is on the disk before returning (an intent must be
        there before the first file moves)."""
        entry["time"] = time.time()
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def history(self) -> list[dict[str, Any]]:
        """Every line of the log, oldest first."""
        if not self.path.exists():
            return []
        return [
            json.loads(line)
            for line in self.path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    def last_apply(self) -> Apply | None:
        """The most recent apply that has not been undone."""
        history = self.history()
        undone = {e["undo"] for e in history if "undo" in e}
        for entry in reversed(history):
            if "apply" in entry and entry["apply"]["id"] not in undone:
                return Apply(**entry["apply"])
        return None

    def interrupted(self) -> Apply | None:
        """An apply whose intent was logged but which neither finished nor was rolled back."""
        history = self.history()
        ended = {e["apply"]["id"] for e in history if "apply" in e}
        ended |= {e.get("rolled_back") for e in history} | {e.get("recovered") for e in history}
        for entry in reversed(history):
            if "intent" in entry and entry["intent"]["id"] not in ended:
                return Apply(**entry["intent"])
        return None

    @staticmethod
    def record(apply: Apply) -> dict[str, Any]:
        """``apply`` as the plain dict the log holds."""
        return asdict(apply)
