"""A property of the cleaner, checked on random histories: nothing is ever lost.

Hypothesis draws a layout (class folders, or a CSV with and without ``suffix=``) and a sequence of
applies (each a batch of deletions and relabellings, with or without a fault: a read-only folder,
an image that does not exist, a name taken in the target class, a rename failing half-way) and
undos. After every step, whatever the cleaner answered:

* every image is in exactly one place, byte for byte: where it was, in the class the last
  successful applies gave it, or in ``.trash/`` when deleted, and no other file appeared;
* the data set built from the files and the CSV (the labels ``ImageData`` reads) gives each image
  the label a model of the history says it has: an apply that raised changed nothing, an undo
  restored the state before its apply.
"""

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.data.cleaning import DELETE, TRASH_NAME, CleanerError, DataCleaner
from coursekit.data.labels import LabelError, image_files, labels_from_csv, labels_from_folders
from tests.cleaning_helpers import FailingRename, writable_again

CLASSES = ["black", "grizzly", "teddy", "panda"]  # panda: a class with no folder yet
SPLITS = ["train", "valid"]
N_IMAGES = 8

change = st.tuples(st.integers(0, N_IMAGES - 1), st.sampled_from([DELETE, *CLASSES]))
apply_step = st.tuples(
    st.just("apply"),
    st.lists(change, min_size=1, max_size=4),
    st.sampled_from([None, None, "read-only", "missing", "clash", "half-way"]),
    st.integers(0, 7),
)
steps = st.lists(st.one_of(apply_step, st.just(("undo",))), min_size=1, max_size=7)


class DataSet:
    """A small data set on disk and the model of what each image's label should be."""

    def __init__(self, root: Path, layout: str):
        self.root, self.layout = root, layout
        self.split: dict[bytes, str] = {}
        self.label: dict[bytes, str | None] = {}  # None: deleted
        self.history: list[dict[bytes, str | None]] = []  # the labels before each apply not undone
        rows = ["id,label"]
        for i in range(N_IMAGES):
            content, cls = f"image {i}".encode(), CLASSES[i % 3]
            split = SPLITS[i % 2] if layout == "folder" else "train"
            folder = root / split / cls if layout == "folder" else root / "train"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"img_{i}.jpg").write_bytes(content)
            self.split[content], self.label[content] = split, cls
            rows.append(f"img_{i},{cls}")
        self.csv = root / "labels.csv" if layout != "folder" else None
        if self.csv is not None:
            self.csv.write_text("\n".join(rows) + "\n")
        suffix = ".jpg" if layout == "csv" else ""  # "csv-no-suffix": as a student may write it
        self.cleaner = DataCleaner(root, csv=self.csv, suffix=suffix)

    def files(self) -> dict[bytes, list[str]]:
        """Every file but the log and the CSV (and its backups), by content."""
        found: dict[bytes, list[str]] = {}
        for p in self.root.rglob("*"):
            if p.is_file() and p.parent != self.root:
                found.setdefault(p.read_bytes(), []).append(p.relative_to(self.root).as_posix())
        return found

    def where(self, content: bytes) -> Path:
        (path,) = self.files()[content]
        return self.root / path

    def built_labels(self) -> dict[bytes, str]:
        """Each image's label in the data set built from the files (and the CSV)."""
        if self.csv is not None:
            paths, labels = labels_from_csv(self.csv, self.root / "train", ".jpg")
            return {p.read_bytes(): str(label) for p, label in zip(paths, labels)}
        built = {}
        for split in SPLITS:
            try:
                paths, labels = labels_from_folders(self.root / split)
            except LabelError as e:  # a class emptied by the cleaning: the error must be true
                empty = [d for d in (self.root / split).iterdir() if not image_files(d)]
                assert "has no images" in str(e) and any(str(d) in str(e) for d in empty)
                paths = [p for d in (self.root / split).iterdir() for p in image_files(d)]
                labels = [p.parent.name for p in paths]
            built |= {p.read_bytes(): label for p, label in zip(paths, labels)}
        return built

    def check(self) -> None:
        files = self.files()
        assert set(files) == set(self.label), "a file appeared or vanished"
        for content, label in self.label.items():
            assert len(files[content]) == 1, f"{content!r} is in {files[content]}"
            parts = files[content][0].split("/")
            if label is None:
                assert parts[0] == TRASH_NAME
            elif self.layout == "folder":
                assert parts[:2] == [self.split[content], label]
            else:
                assert parts[0] == "train"  # a CSV relabel moves no file
        assert self.built_labels() == {c: lab for c, lab in self.label.items() if lab is not None}


def _apply(data: DataSet, changes, fault, k, n_extra) -> None:
    batch, contents = {}, {}
    for i, value in changes:
        content = f"image {i}".encode()
        if data.label[content] is not None:  # the panel offers only images still in the set
            path = data.where(content)
            batch[path], contents[path] = value, content
    if not batch:
        return
    expect_failure = fault == "missing"
    if fault == "missing":
        batch[data.root / "train" / "ghost.jpg"] = DELETE
    relabels = [(p, v) for p, v in batch.items() if v != DELETE and p.parent.name != v]
    if fault == "clash" and data.layout == "folder" and relabels:
        src, cls = relabels[k % len(relabels)]
        taken = src.parent.parent / cls / src.name
        if not taken.exists():
            taken.parent.mkdir(exist_ok=True)
            extra = f"extra {n_extra}".encode()
            taken.write_bytes(extra)
            data.split[extra], data.label[extra] = taken.parent.parent.name, cls
    with pytest.MonkeyPatch.context() as mp:
        if fault == "read-only":
            folder = list(batch)[k % len(batch)].parent
            folder.chmod(0o555)
            if os.geteuid() == 0:  # root ignores the mode: fail as the kernel does for others
                FailingRename((folder,)).install(mp)
        elif fault == "half-way":
            FailingRename(nth=1 + k % 3).install(mp, access=False)
        try:
            data.cleaner.apply(batch)
            done = True
        except CleanerError as e:
            assert "nothing changed" in str(e), str(e)
            done = False
        except ValueError as e:
            assert "nothing to change" in str(e), str(e)
            done = False
    writable_again(data.root)
    assert not (expect_failure and done), "an apply with a missing image went through"
    if done:
        data.history.append(dict(data.label))
        for path, content in contents.items():
            data.label[content] = None if batch[path] == DELETE else batch[path]


def _undo(data: DataSet) -> None:
    try:
        data.cleaner.undo()
    except ValueError as e:
        assert not data.history and "nothing to undo" in str(e)
        return
    except CleanerError as e:  # only when a file now sits where the undo would put one back
        assert "exists again" in str(e), str(e)
        return
    previous = data.history.pop()
    data.label = previous | {c: lab for c, lab in data.label.items() if c not in previous}


@settings(max_examples=60, deadline=None, database=None)
@given(layout=st.sampled_from(["folder", "csv", "csv-no-suffix"]), history=steps)
def test_cleaning_never_loses_an_image_and_the_data_set_agrees(layout, history):
    with tempfile.TemporaryDirectory() as tmp:
        data = DataSet(Path(tmp) / "data", layout)
        data.check()
        for n, step in enumerate(history):
            if step[0] == "apply":
                _apply(data, step[1], step[2], step[3], n)
            else:
                _undo(data)
            data.check()
        writable_again(Path(tmp))
