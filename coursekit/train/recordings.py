"""A demo's recordings on disk, and the fingerprints that say which cell each one belongs to.

While the instructor rehearses (``ck.demo.record()``), every fit, ``lr_find`` and set of
predictions is written here; in class (``ck.demo.replay()``) the same cell finds its recording by
its *key*: a hash of what the cell asks for (the fit's plan, ``lr_find``'s range, the split to
predict), the data (``data_fingerprint``: the classes and every split's files and their sizes) and
the learner's state (``state_fingerprint``: a hash of the model's ``state_dict``, which layer
groups are frozen, ``bn_freeze``, ``precompute``, the optimizer's name and weight decay). Device
and precision are left out on purpose: a lesson rehearsed on a GPU replays on a laptop's CPU.

Each recording is two files in ``<COURSEKIT_HOME>/demo/<name>/``: ``<kind>-<key>.json``, what it
is (read to explain why nothing matched), and ``<kind>-<key>.pt``, its tensors (on the CPU) and
numbers, read with ``weights_only=True``. Both are written atomically (``coursekit.fileio``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from coursekit.config import coursekit_home
from coursekit.fileio import atomic_write, atomic_write_text
from coursekit.train.torch_file import NotACheckpointError, read_torch_file

if TYPE_CHECKING:
    from coursekit.train.learner_data import LearnerData

__all__ = [
    "Recording",
    "RecordingStore",
    "data_fingerprint",
    "recordings_folder",
    "state_fingerprint",
]


def recordings_folder(name: str) -> Path:
    """Where the recordings called ``name`` live: ``<COURSEKIT_HOME>/demo/<name>``."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"{name!r} is not a recording name: use a plain name, e.g. 'lesson1'.")
    return coursekit_home() / "demo" / name


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def data_fingerprint(data: LearnerData) -> str:
    """A hash of the data's classes, picture size, batch size, and each split's files (paths
    relative to the data's folder) with their sizes in bytes. Other data: another fingerprint."""
    splits: dict[str, list[tuple[str, int]]] = {}
    for split in ("train", "valid", "test"):
        try:
            paths = data.split_paths(split)
        except ValueError:  # no test set
            continue
        splits[split] = [
            (
                str(Path(p).relative_to(data.path))
                if Path(p).is_relative_to(data.path)
                else str(p),
                Path(p).stat().st_size,
            )
            for p in paths
        ]
    return _digest({"classes": list(data.classes), "size": data.size, "bs": data.bs, **splits})


def state_fingerprint(
    model: nn.Module,
    first_trainable: int,
    bn_frozen: bool,
    train_bn: bool,
    precompute: bool,
    opt_name: str,
    wd: float,
) -> str:
    """A hash of ``model``'s weights and buffers (bit for bit, wherever they live) and of the
    training state that decides what a fit does: the first trainable layer group (those before
    it are frozen), ``bn_freeze``, ``train_bn``, ``precompute``, the optimizer's name and weight
    decay."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().to("cpu").contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    settings = [first_trainable, bn_frozen, train_bn, precompute, opt_name, wd]
    h.update(json.dumps(settings).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Recording:
    """What one recording is: its ``kind`` ('fit', 'lr_find', 'preds'), ``key``, the ``code`` it
    came from (``learn.fit(1e-2, 1)``), the data's and the state's fingerprints, and when."""

    kind: str
    key: str
    code: str
    data: str
    state: str
    recorded: str  # 'YYYY-MM-DD HH:MM', the rehearsal's local time
    device: str  # where the rehearsal ran ('cuda', 'cpu'): said when replaying

    @classmethod
    def of(cls, kind: str, code: str, data: str, state: str, device: str) -> Recording:
        """The recording that a cell running ``code`` now would have, on the data and the learner's
        state of those fingerprints (``data_fingerprint``, ``state_fingerprint``), on ``device``
        ('cuda', 'cpu')."""
        when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        key = _digest([kind, code, data, state])[:20]
        return cls(kind, key, code, data, state, when, device)

    @property
    def stem(self) -> str:
        return f"{self.kind}-{self.key}"


class RecordingStore:
    """The recordings in one folder: ``write`` one, ``read`` the one matching a cell, or say
    ``why_missing``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def write(self, recording: Recording, payload: dict[str, Any]) -> Path:
        """Write ``payload`` (tensors on the CPU, numbers, lists) and then its description."""
        atomic_write(self.folder / f"{recording.stem}.pt", lambda tmp: torch.save(payload, tmp))
        return atomic_write_text(
            self.folder / f"{recording.stem}.json", json.dumps(recording.__dict__, indent=1)
        )

    def recordings(self, kind: str | None = None) -> list[Recording]:
        """The recordings described in the folder (of ``kind``), oldest first."""
        found = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            try:
                found.append(Recording(**json.loads(path.read_text(encoding="utf-8"))))
            except (ValueError, TypeError):
                continue  # not one of ours, or damaged: it can match nothing
        return sorted(
            (r for r in found if kind is None or r.kind == kind), key=lambda r: r.recorded
        )

    def read(self, recording: Recording) -> tuple[Recording, dict[str, Any]] | str:
        """The stored recording with ``recording``'s key and its payload, or why there is none."""
        described = self.folder / f"{recording.stem}.json"
        if not described.exists():
            return self.why_missing(recording)
        stored = Recording(**json.loads(described.read_text(encoding="utf-8")))
        try:
            payload = read_torch_file(
                self.folder / f"{recording.stem}.pt",
                "cpu",
                "coursekit recording",
                "record it again.",
            )
        except (NotACheckpointError, FileNotFoundError) as e:
            return f"its recording is damaged ({e})"
        return stored, payload

    def why_missing(self, wanted: Recording) -> str:
        """Why no recording matches ``wanted``, as plainly as the recordings allow."""
        same_kind = self.recordings(wanted.kind)
        if not same_kind:
            return f"there is no recording of {_kind_text(wanted.kind)} in {self.folder}"
        same_data = [r for r in same_kind if r.data == wanted.data]
        if not same_data:
            return (
                f"the recordings in {self.folder} were made with other data (other classes, "
                "files or picture size)"
            )
        same_state = [r for r in same_data if r.state == wanted.state]
        if same_state:
            recorded = ", ".join(dict.fromkeys(r.code for r in same_state))
            return f"{wanted.code} differs from what was recorded here: {recorded}"
        same_code = [r for r in same_data if r.code == wanted.code]
        if same_code:
            return (
                f"{wanted.code} was recorded, but from other weights or frozen layer groups "
                "(an earlier cell trained live or ran differently, or the learner was built "
                "without the rehearsal's ck.set_seed)"
            )
        return (
            f"no recording starts from this learner's weights and frozen layer groups "
            f"({wanted.code} was not recorded either)"
        )


def _kind_text(kind: str) -> str:
    return {"fit": "a fit", "lr_find": "lr_find", "preds": "predictions"}.get(kind, kind)
