"""Cleaning a data set by hand: delete bad images, relabel wrong ones, and undo.

    cleaner = DataCleaner(path)                                  # folder layout: path/train/<class>/
    cleaner = DataCleaner(path, csv=path/'labels.csv', folder=path/'train')     # CSV layout
    cleaner.apply({img_a: DELETE, img_b: 'dog'})                 # an Apply: what moved where
    cleaner.undo()                                               # puts the last apply back

Nothing is ever unlinked. A deleted image moves to ``<root>/.trash/<apply id>/`` (hidden
folders are skipped when coursekit lists images). A relabelled image moves to its new class
folder, or, with a CSV, its row is rewritten (atomically, after a backup ``<csv>.<apply id>.bak``).
Every apply is appended to ``<root>/.coursekit_changes.jsonl``, one JSON line saying which file
went where, which is what ``undo`` reads.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.fileio import atomic_write, atomic_write_text

__all__ = ["DELETE", "LOG_NAME", "TRASH_NAME", "Apply", "DataCleaner"]

DELETE = "<delete>"
LOG_NAME = ".coursekit_changes.jsonl"
TRASH_NAME = ".trash"


@dataclass
class Apply:
    """One apply: its id, the files moved (``[src, dst]``) and the CSV backed up (or None)."""

    id: str
    moves: list[list[str]] = field(default_factory=list)
    csv: str | None = None
    backup: str | None = None


def _free_name(path: Path) -> Path:
    """``path``, or ``name_1.jpg``, ``name_2.jpg``... if a file of that name exists already."""
    candidate, i = path, 0
    while candidate.exists():
        i += 1
        candidate = path.with_name(f"{path.stem}_{i}{path.suffix}")
    return candidate


class DataCleaner:
    """Applies deletions and relabellings to the files under ``root``; see the module docstring.

    Folder layout (no ``csv``): an image's class is its parent folder's name. CSV layout: rows
    ``id,label`` with images ``folder/<id><suffix>``.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        csv: str | os.PathLike | None = None,
        folder: str | os.PathLike | None = None,
        suffix: str = "",
    ):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root} is not a folder: give the data set's folder.")
        self.csv = Path(csv) if csv is not None else None
        if self.csv is not None and not self.csv.is_file():
            raise FileNotFoundError(f"no CSV file at {self.csv}.")
        self.folder = Path(folder) if folder is not None else None
        self.suffix = suffix
        self.log = self.root / LOG_NAME

    # ----------------------------------------------------------------------------- applying
    def _csv_id(self, path: Path) -> str:
        name = path.name
        if self.suffix and name.endswith(self.suffix):
            name = name[: -len(self.suffix)]
        return name

    def apply(self, changes: dict) -> Apply:
        """Apply ``{image path: DELETE or new label}`` and log it. Checks every file first, so
        a bad request changes nothing."""
        changes = {Path(p): v for p, v in changes.items()}
        for p, v in changes.items():
            if not p.is_file():
                raise FileNotFoundError(f"{p} does not exist (already cleaned, or moved by hand?).")
            if not isinstance(v, str) or not v.strip():
                raise ValueError(f"{p}: the change must be DELETE or a class name, not {v!r}.")
            if v != DELETE and self.csv is None and (Path(v).name != v or v.startswith(".")):
                raise ValueError(f"{p}: {v!r} is not a class folder name.")
        record = Apply(time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6])
        relabel = {p: v for p, v in changes.items() if v != DELETE}
        if self.csv is not None:
            self._rewrite_csv(self.csv, changes, record)
        else:
            for p, label in relabel.items():
                if p.parent.name != label:
                    self._move(p, _free_name(p.parent.parent / label / p.name), record)
        for p, v in changes.items():
            if v == DELETE:
                self._move(
                    p,
                    self.root
                    / TRASH_NAME
                    / record.id
                    / p.resolve().relative_to(self.root.resolve()),
                    record,
                )
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"apply": record.__dict__, "time": time.time()}) + "\n")
        return record

    def _move(self, src: Path, dst: Path, record: Apply) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), str(dst))
        record.moves.append([str(src), str(dst)])

    def _rewrite_csv(self, csv_path: Path, changes: dict[Path, str], record: Apply) -> None:
        with open(csv_path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        by_id = {self._csv_id(p): v for p, v in changes.items()}
        out = [rows[0]]
        for row in rows[1:]:
            change = by_id.get(row[0]) if row else None
            if change == DELETE:
                continue
            out.append([row[0], change, *row[2:]] if change is not None else row)
        backup = csv_path.with_name(f"{csv_path.name}.{record.id}.bak")
        atomic_write(backup, lambda tmp: shutil.copy2(csv_path, tmp))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(out)
        atomic_write_text(csv_path, buf.getvalue())
        record.csv, record.backup = str(csv_path), str(backup)

    # ------------------------------------------------------------------------------- undoing
    def history(self) -> list[dict]:
        """Every line of the change log, oldest first."""
        if not self.log.exists():
            return []
        return [
            json.loads(line)
            for line in self.log.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    def last_apply(self) -> Apply | None:
        """The most recent apply that has not been undone."""
        undone = {e["undo"] for e in self.history() if "undo" in e}
        for entry in reversed(self.history()):
            if "apply" in entry and entry["apply"]["id"] not in undone:
                return Apply(**entry["apply"])
        return None

    def undo(self) -> Apply:
        """Put back the files and CSV of the last apply (moving them; nothing is deleted)."""
        record = self.last_apply()
        if record is None:
            raise ValueError(
                f"nothing to undo: {self.log} records no apply that is not undone already."
            )
        for src, dst in reversed(record.moves):
            if Path(src).exists():
                raise FileExistsError(f"cannot undo: {src} exists again; move it away first.")
            if not Path(dst).exists():
                raise FileNotFoundError(f"cannot undo: {dst} is gone (moved by hand?).")
        for src, dst in reversed(record.moves):
            Path(src).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(dst, src)
        if record.backup is not None and record.csv is not None:
            backup = record.backup
            atomic_write(Path(record.csv), lambda tmp: shutil.copy2(backup, tmp))
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"undo": record.id, "time": time.time()}) + "\n")
        return record
