"""Cleaning a data set by hand: delete bad images, relabel wrong ones, and undo.

    cleaner = DataCleaner(path)                                  # folder layout: path/train/<class>/
    cleaner = DataCleaner(path, csv=path/'labels.csv', suffix='.jpg')            # CSV layout
    cleaner.apply({img_a: DELETE, img_b: 'dog'})                 # an Apply: what moved where
    cleaner.undo()                                               # puts the last apply back

Nothing is ever unlinked or overwritten. A deleted image moves to ``<root>/.trash/<apply id>/``
(hidden folders are skipped when coursekit lists images). A relabelled image moves to its new
class folder (a name taken there gets ``_1``, ``_2``...), or, with a CSV, its row is rewritten.

An apply is one transaction. Every move is checked first (the image is a regular file, not a
symlink; both folders writable; the CSV has its row); then the intent is written to the change
log ``<root>/.coursekit_changes.jsonl``; then the files move, and only when all of them have moved
is the CSV rewritten (atomically, after a backup ``<csv>.<apply id>.bak``). If any step fails,
what was done is put back and ``CleanerError`` says which step failed and that nothing changed.
``undo`` refuses when a file or the CSV changed since the apply (it compares their size, time and
SHA-256), so it never overwrites a student's later edit.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
import uuid
from pathlib import Path

from coursekit.data.change_log import LOG_NAME, Apply, ChangeLog
from coursekit.data.csv_rows import edit_rows, read_rows, row_ids, rows_text
from coursekit.data.file_moves import MoveBatch, file_stamp, free_name, move_file, move_problem
from coursekit.fileio import atomic_write, atomic_write_text

__all__ = ["DELETE", "LOG_NAME", "TRASH_NAME", "Apply", "CleanerError", "DataCleaner"]

DELETE = "<delete>"
TRASH_NAME = ".trash"


class CleanerError(RuntimeError):
    """An apply or undo that could not be done; the message says what failed and what changed."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _listing(problems: list[str]) -> str:
    shown = "; ".join(problems[:10])
    return shown + (f"; ... and {len(problems) - 10} more" if len(problems) > 10 else "")


class DataCleaner:
    """Applies deletions and relabellings to the files under ``root``; see the module docstring.

    Folder layout (no ``csv``): an image's class is its parent folder's name. CSV layout: rows
    ``id,label``; an image's id is its file name without ``suffix`` (see ``csv_rows.row_ids``).
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
        self.log = ChangeLog(self.root / LOG_NAME)

    # ------------------------------------------------------------------------------ planning
    def _plan_csv(self, changes: dict[Path, str], problems: list[str]) -> tuple[list, int]:
        """The CSV's rows after ``changes``, and how many rows change."""
        assert self.csv is not None
        rows, _ = read_rows(self.csv)
        rows_of: dict[str, list[int]] = {}
        for i, row in enumerate(rows[1:], start=1):
            if row:
                rows_of.setdefault(row[0], []).append(i)
        labels: dict[int, str | None] = {}
        for path, value in changes.items():
            ids = row_ids(path, self.suffix)
            found = next((rows_of[i] for i in ids if i in rows_of), None)
            if found is None:
                problems.append(
                    f"no row of {self.csv} has the id of {path.name} (looked for "
                    f"{' or '.join(map(repr, ids))}); give the suffix= that ImageData.from_csv got"
                )
            for i in found or []:
                labels[i] = None if value == DELETE else value
        return edit_rows(rows, labels)

    def _trash(self, path: Path, apply_id: str) -> Path | None:
        try:
            inside = path.parent.resolve().relative_to(self.root.resolve())
        except ValueError:
            return None
        return self.root / TRASH_NAME / apply_id / inside / path.name

    def _plan(self, changes: dict[Path, str], record: Apply) -> tuple[list, list | None]:
        """Check everything and return (moves, new CSV rows or None); ``CleanerError`` listing
        every problem when something cannot be done."""
        problems: list[str] = []
        moves: list[tuple[Path, Path]] = []
        taken: set[Path] = set()
        for path, value in changes.items():
            if value == DELETE:
                target = self._trash(path, record.id)
                if target is None:
                    problems.append(f"{path} is not inside the data folder {self.root}")
                    continue
            elif self.csv is None:
                if path.parent.name == value:
                    continue  # already in that class
                target = free_name(path.parent.parent / value / path.name, taken)
            else:
                if not path.is_file():
                    problems.append(f"{path} does not exist (already cleaned, or moved by hand?)")
                continue  # relabelling a CSV row moves no file
            taken.add(target)
            moves.append((path, target))
            problem = move_problem(path, target)
            if problem:
                problems.append(problem)
        rows = None
        if self.csv is not None:
            rows, record.rows = self._plan_csv(changes, problems)
            if not os.access(self.csv.parent, os.W_OK | os.X_OK):
                problems.append(f"the CSV's folder {self.csv.parent} is read-only")
        if problems:
            raise CleanerError(
                f"nothing changed: {len(problems)} problem(s): {_listing(problems)}."
            )
        if not moves and not record.rows:
            raise ValueError(
                "nothing to change: every image is already in the class asked for "
                f"({', '.join(f'{p.name} -> {v}' for p, v in list(changes.items())[:5])})."
            )
        return moves, rows

    # ------------------------------------------------------------------------------ applying
    def apply(self, changes: dict) -> Apply:
        """Apply ``{image path: DELETE or new label}`` as one transaction; see the module docstring."""
        self._refuse_if_interrupted()
        changes = {Path(p): v for p, v in changes.items()}
        for p, v in changes.items():
            if not isinstance(v, str) or not v.strip() or "\n" in v:
                raise ValueError(f"{p}: the change must be DELETE or a class name, not {v!r}.")
            if v != DELETE and self.csv is None and (Path(v).name != v or v.startswith(".")):
                raise ValueError(f"{p}: {v!r} is not a class folder name.")
        record = Apply(time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6])
        moves, rows = self._plan(changes, record)
        record.moves = [[str(src), str(dst)] for src, dst in moves]
        if self.csv is not None:
            record.csv = str(self.csv)
            record.backup = str(self.csv.with_name(f"{self.csv.name}.{record.id}.bak"))
        try:
            self.log.append(intent=ChangeLog.record(record))
        except OSError as e:
            raise CleanerError(
                f"nothing changed: the change log {self.log.path} cannot be written ({e})."
            ) from e
        batch, step = MoveBatch(), "starting"
        try:
            for src, dst in moves:
                step = f"moving {src} to {dst}"
                batch.move(src, dst)
            if self.csv is not None and rows is not None and record.backup is not None:
                step = f"rewriting {self.csv}"
                self._write_csv(rows, Path(record.backup), record)
            step = "recording the apply"
            record.stamps = [file_stamp(dst) for _, dst in moves]
            self.log.append(apply=ChangeLog.record(record))
        except OSError as e:
            self._fail(record, batch, f"{step} failed: {e.strerror or e}", e)
        return record

    def _write_csv(self, rows: list, backup: Path, record: Apply) -> None:
        assert self.csv is not None
        csv_path, (_, newline) = self.csv, read_rows(self.csv)
        atomic_write(backup, lambda tmp: shutil.copy2(csv_path, tmp))
        record.backup_sha256 = _sha256(backup)
        atomic_write_text(self.csv, rows_text(rows, newline))
        record.csv_sha256 = _sha256(self.csv)

    def _fail(self, record: Apply, batch: MoveBatch, what: str, error: Exception) -> None:
        """Put back everything ``record``'s apply did, log that, and raise ``CleanerError``."""
        left = batch.roll_back()
        backup = Path(record.backup) if record.backup else None
        if backup is not None and backup.exists() and self.csv is not None:
            try:
                if record.csv_sha256 is not None:  # the CSV was rewritten: the backup goes back
                    atomic_write(self.csv, lambda tmp: shutil.copy2(backup, tmp))
                backup.unlink()  # our own copy of the CSV as it still is
            except OSError as e:
                left.append(f"{self.csv} is as rewritten; its original is {backup} ({e})")
        with contextlib.suppress(OSError):  # else the intent stays: recover() can finish it
            self.log.append(rolled_back=record.id, error=what, left=left)
        if left:
            raise CleanerError(
                f"the apply failed ({what}) and not everything could be put back: "
                f"{_listing(left)}. The change log {self.log.path} lists every move of {record.id}."
            ) from error
        raise CleanerError(f"nothing changed: {what}. Every file is back where it was.") from error

    # ------------------------------------------------------------------------------- undoing
    def history(self) -> list[dict]:
        """Every line of the change log, oldest first."""
        return self.log.history()

    def last_apply(self) -> Apply | None:
        """The most recent apply that has not been undone."""
        return self.log.last_apply()

    def _undo_problems(self, record: Apply) -> list[str]:
        problems = []
        stamps: list[list | None] = list(record.stamps) or [None] * len(record.moves)
        for (src, dst), stamp in zip(record.moves, stamps):
            if os.path.lexists(src):
                problems.append(f"{src} exists again; move it away first")
            elif not os.path.lexists(dst):
                problems.append(f"{dst} is gone (moved by hand?)")
            elif stamp is not None and file_stamp(Path(dst)) != stamp:
                problems.append(f"{dst} changed since the apply (its size, time or content)")
            else:
                problems += filter(None, [move_problem(Path(dst), Path(src))])
        if record.csv is not None and record.backup is not None:
            if not Path(record.backup).is_file():
                problems.append(f"the CSV's backup {record.backup} is gone")
            elif record.backup_sha256 and _sha256(Path(record.backup)) != record.backup_sha256:
                problems.append(f"the CSV's backup {record.backup} changed since the apply")
            if record.csv_sha256 and _sha256(Path(record.csv)) != record.csv_sha256:
                problems.append(
                    f"{record.csv} changed since the apply (edited by hand?): undo would overwrite "
                    f"that edit. Its rows as they were before the apply are in {record.backup}"
                )
        return problems

    def undo(self) -> Apply:
        """Put back the files and CSV of the last apply, or refuse (changing nothing) when any
        of them changed since."""
        self._refuse_if_interrupted()
        record = self.last_apply()
        if record is None:
            raise ValueError(
                f"nothing to undo: {self.log.path} records no apply that is not undone already."
            )
        problems = self._undo_problems(record)
        if problems:
            raise CleanerError(f"cannot undo {record.id}, nothing changed: {_listing(problems)}.")
        batch, csv_now = MoveBatch(), None
        try:
            for src, dst in reversed(record.moves):
                batch.move(Path(dst), Path(src))
            if record.csv is not None and record.backup is not None:
                backup, csv_now = record.backup, Path(record.csv).read_bytes()
                atomic_write(Path(record.csv), lambda tmp: shutil.copy2(backup, tmp))
            self.log.append(undo=record.id)
        except OSError as e:
            left = batch.roll_back()
            if csv_now is not None and record.csv is not None:
                try:  # the CSV as the apply left it, so that it agrees with the files again
                    atomic_write(Path(record.csv), lambda tmp: tmp.write_bytes(csv_now))
                except OSError as again:
                    left.append(f"{record.csv} is as before the apply ({again})")
            if left:
                raise CleanerError(
                    f"the undo of {record.id} failed ({e}) and not everything could be put back "
                    f"as the apply left it: {_listing(left)}."
                ) from e
            raise CleanerError(f"cannot undo {record.id}: {e}; nothing changed.") from e
        return record

    # ------------------------------------------------------------------------- interruptions
    def _refuse_if_interrupted(self) -> None:
        record = self.log.interrupted()
        if record is not None:
            raise CleanerError(
                f"the apply {record.id} was interrupted half-way (see {self.log.path}); run "
                "cleaner.recover() to put its files back, then try again."
            )

    def recover(self) -> Apply:
        """Put back what an interrupted apply moved (and its CSV), as if it never started."""
        record = self.log.interrupted()
        if record is None:
            raise ValueError(f"nothing to recover: {self.log.path} shows no interrupted apply.")
        for src, dst in reversed(record.moves):
            if os.path.lexists(dst) and not os.path.lexists(src):
                Path(src).parent.mkdir(parents=True, exist_ok=True)
                move_file(Path(dst), Path(src))
        backup = record.backup
        if record.csv is not None and backup is not None and Path(backup).is_file():
            atomic_write(Path(record.csv), lambda tmp: shutil.copy2(backup, tmp))
        self.log.append(recovered=record.id)
        return record
