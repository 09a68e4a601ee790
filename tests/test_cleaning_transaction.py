"""The cleaner as a transaction: whatever fails, nothing is lost, moved half-way or overwritten."""

import json
import os

import pytest

from coursekit.data.cleaning import DELETE, LOG_NAME, CleanerError, DataCleaner
from coursekit.data.labels import labels_from_csv, labels_from_folders
from tests.cleaning_helpers import (
    FailingRename,
    make_folders,
    read_only,
    snapshot,
    writable_again,
)


@pytest.fixture
def folders(tmp_path):
    yield make_folders(tmp_path / "bears")
    writable_again(tmp_path)


@pytest.fixture
def csv_layout(tmp_path):
    root = tmp_path / "breeds"
    (root / "train").mkdir(parents=True)
    rows = ["id,breed"]
    for i in range(4):
        (root / "train" / f"dog_{i}.jpg").write_bytes(bytes([i]))
        rows.append(f"dog_{i},{'collie' if i % 2 else 'pug'}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    yield root
    writable_again(tmp_path)


def _data_files(root):
    return {k: v for k, v in snapshot(root).items() if not k.startswith(".")}


def _applies(root):
    if not (root / LOG_NAME).exists():
        return []
    lines = [json.loads(line) for line in (root / LOG_NAME).read_text().splitlines()]
    return [e for e in lines if "apply" in e]


def test_a_read_only_folder_changes_nothing_and_says_so(folders, monkeypatch):
    before = snapshot(folders)
    read_only(folders / "train/teddy", monkeypatch)
    cleaner = DataCleaner(folders)
    changes = {
        folders / "train/black/black_0.jpg": "grizzly",
        folders / "train/teddy/teddy_0.jpg": "grizzly",
    }
    with pytest.raises(CleanerError) as e:
        cleaner.apply(changes)
    assert snapshot(folders) == before  # no copy left in grizzly/, nothing logged
    assert cleaner.last_apply() is None
    assert e.match(r"nothing changed: 1 problem.*teddy_0\.jpg.*read-only")


def test_a_move_failing_half_way_is_rolled_back_and_named(folders, monkeypatch):
    before = _data_files(folders)
    cleaner = DataCleaner(folders)
    changes = {
        folders / "train/black/black_0.jpg": "grizzly",
        folders / "valid/teddy/teddy_1.jpg": DELETE,
        folders / "train/teddy/teddy_0.jpg": "newclass",
    }
    FailingRename(nth=3).install(monkeypatch, access=False)  # the checks cannot foresee this one
    with pytest.raises(CleanerError) as e:
        cleaner.apply(changes)
    monkeypatch.undo()
    assert _data_files(folders) == before
    assert e.match(r"nothing changed: moving .*teddy_0\.jpg to .*failed")
    assert not (folders / "train/newclass").exists()  # the folder it made is gone again
    log = [json.loads(line) for line in (folders / LOG_NAME).read_text().splitlines()]
    assert [next(k for k in e if k != "time") for e in log] == ["intent", "rolled_back"]
    assert log[0]["intent"]["moves"][0][0].endswith("black_0.jpg")  # written before any move
    assert cleaner.last_apply() is None
    record = cleaner.apply(changes)  # once the fault is gone, the same batch goes through
    assert len(record.moves) == 3 and cleaner.undo() == record and _data_files(folders) == before


def test_csv_delete_of_an_image_that_cannot_move_keeps_its_row(csv_layout, monkeypatch):
    before = snapshot(csv_layout)
    read_only(csv_layout / "train", monkeypatch)
    cleaner = DataCleaner(csv_layout, csv=csv_layout / "labels.csv", suffix=".jpg")
    with pytest.raises(CleanerError) as e:
        cleaner.apply({csv_layout / "train/dog_0.jpg": DELETE})
    assert snapshot(csv_layout) == before  # the row stays, as the image does
    paths, _ = labels_from_csv(csv_layout / "labels.csv", csv_layout / "train", ".jpg")
    assert len(paths) == 4
    assert e.match(r"nothing changed.*dog_0\.jpg cannot be moved")


def test_a_failing_csv_rewrite_puts_the_moved_files_back(csv_layout, monkeypatch):
    import coursekit.data.cleaning as cleaning

    before = _data_files(csv_layout)
    cleaner = DataCleaner(csv_layout, csv=csv_layout / "labels.csv", suffix=".jpg")

    def full_disk(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cleaning, "atomic_write_text", full_disk)
    with pytest.raises(CleanerError) as e:
        cleaner.apply({csv_layout / "train/dog_0.jpg": DELETE})
    assert _data_files(csv_layout) == before and not list(csv_layout.glob("*.bak"))
    assert e.match(r"nothing changed: rewriting .*labels\.csv failed")


def test_csv_relabel_without_suffix_rewrites_the_row(csv_layout):
    cleaner = DataCleaner(csv_layout, csv=csv_layout / "labels.csv")  # no suffix=
    record = cleaner.apply({csv_layout / "train/dog_1.jpg": "beagle"})
    assert "dog_1,beagle\n" in (csv_layout / "labels.csv").read_text() and record.rows == 1
    paths, labels = labels_from_csv(csv_layout / "labels.csv", csv_layout / "train", ".jpg")
    assert dict(zip((p.name for p in paths), labels))["dog_1.jpg"] == "beagle"
    with pytest.raises(ValueError, match="nothing to change"):  # a no-op is never "applied"
        cleaner.apply({csv_layout / "train/dog_1.jpg": "beagle"})
    (csv_layout / "train/stray.jpg").write_bytes(b"no row")
    with pytest.raises(CleanerError, match=r"no row of .*labels\.csv has the id of stray\.jpg"):
        cleaner.apply({csv_layout / "train/stray.jpg": "pug"})


def test_a_symlinked_image_is_refused_before_anything_moves(folders, tmp_path):
    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes(b"a photo kept elsewhere")
    link = folders / "train/teddy/linked.jpg"
    link.symlink_to(outside)
    before = _data_files(folders)
    cleaner = DataCleaner(folders)
    with pytest.raises(CleanerError) as e:
        cleaner.apply({folders / "train/black/black_0.jpg": "teddy", link: DELETE})
    assert _data_files(folders) == before and link.is_symlink()  # not half-applied
    assert outside.read_bytes() == b"a photo kept elsewhere" and not _applies(folders)
    assert e.match(r"nothing changed.*linked\.jpg is a symbolic link")


def test_undo_refuses_after_a_hand_edit_of_the_csv(csv_layout):
    csv_path = csv_layout / "labels.csv"
    cleaner = DataCleaner(csv_layout, csv=csv_path, suffix=".jpg")
    cleaner.apply({csv_layout / "train/dog_0.jpg": DELETE, csv_layout / "train/dog_1.jpg": "pug"})
    edited = csv_path.read_text().replace("dog_2,pug", "dog_2,husky")  # the student's own fix
    csv_path.write_text(edited)
    with pytest.raises(CleanerError, match=r"labels\.csv changed since the apply.*overwrite"):
        cleaner.undo()
    assert csv_path.read_text() == edited and not (csv_layout / "train/dog_0.jpg").exists()


def test_undo_refuses_after_a_hand_edit_of_a_moved_image(folders):
    cleaner = DataCleaner(folders)
    cleaner.apply({folders / "valid/black/black_1.jpg": "grizzly"})
    moved = folders / "valid/grizzly/black_1.jpg"
    moved.write_bytes(b"cropped by hand")
    with pytest.raises(CleanerError, match=r"black_1\.jpg changed since the apply"):
        cleaner.undo()
    assert moved.read_bytes() == b"cropped by hand"
    assert not (folders / "valid/black/black_1.jpg").exists()


def test_name_clashes_in_one_batch_get_new_names(folders):
    (folders / "train/teddy/black_0.jpg").write_bytes(b"a teddy that was called black_0")
    (folders / "train/grizzly/black_0.jpg").write_bytes(b"a grizzly called black_0")
    before = _data_files(folders)
    cleaner = DataCleaner(folders)
    cleaner.apply(
        {
            folders / "train/teddy/black_0.jpg": "black",
            folders / "train/grizzly/black_0.jpg": "black",
        }
    )
    paths, labels = labels_from_folders(folders / "train")
    black = {p.name: p.read_bytes() for p, label in zip(paths, labels) if label == "black"}
    assert sorted(black.values()) == sorted(
        [
            before["train/black/black_0.jpg"],
            before["train/black/black_1.jpg"],
            b"a teddy that was called black_0",
            b"a grizzly called black_0",
        ]
    )
    cleaner.undo()
    assert _data_files(folders) == before


def test_an_interrupted_apply_is_refused_until_recovered(folders, monkeypatch):
    before = _data_files(folders)
    cleaner = DataCleaner(folders)
    real = cleaner.log.append

    def crash_after_the_moves(**entry):
        if "apply" in entry:  # the kernel dies after the files moved, before the log says so
            raise KeyboardInterrupt
        real(**entry)

    monkeypatch.setattr(cleaner.log, "append", crash_after_the_moves)
    with pytest.raises(KeyboardInterrupt):
        cleaner.apply({folders / "train/black/black_0.jpg": DELETE})
    monkeypatch.undo()
    cleaner = DataCleaner(folders)
    with pytest.raises(CleanerError, match=r"was interrupted.*cleaner\.recover\(\)"):
        cleaner.apply({folders / "train/black/black_1.jpg": DELETE})
    cleaner.recover()
    assert _data_files(folders) == before and cleaner.last_apply() is None
    assert os.path.exists(folders / "train/black/black_0.jpg")
