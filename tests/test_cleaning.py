"""DataCleaner: deletions go to .trash, relabels move files or rewrite the CSV, undo puts back."""

import json

import pytest

from coursekit.data.cleaning import DELETE, LOG_NAME, CleanerError, DataCleaner
from tests.cleaning_helpers import make_folders


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def folders(tmp_path):
    return make_folders(tmp_path / "bears")


@pytest.fixture
def csv_layout(tmp_path):
    root = tmp_path / "planet"
    (root / "train-jpg").mkdir(parents=True)
    rows = ["image_name,tags"]
    for i in range(4):
        (root / "train-jpg" / f"train_{i}.jpg").write_bytes(bytes([i]))
        rows.append(f"train_{i},clear primary" if i % 2 else f"train_{i},haze")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


def test_folder_layout_delete_relabel_undo_and_apply_again(folders):
    before = _files(folders)
    cleaner = DataCleaner(folders)
    bad, wrong = folders / "train/teddy/teddy_0.jpg", folders / "valid/black/black_1.jpg"
    clash = folders / "train/grizzly/teddy_0.jpg"
    clash.write_bytes(b"another file of that name")  # the relabelled file must not overwrite it
    before = _files(folders)
    record = cleaner.apply(
        {bad: DELETE, wrong: "grizzly", folders / "train/black/black_0.jpg": "black"}
    )
    after = _files(folders)
    assert not bad.exists() and not wrong.exists()
    assert after[f".trash/{record.id}/train/teddy/teddy_0.jpg"] == before["train/teddy/teddy_0.jpg"]
    assert after["valid/grizzly/black_1.jpg"] == before["valid/black/black_1.jpg"]
    assert (
        after["train/black/black_0.jpg"] == before["train/black/black_0.jpg"]
    )  # same class: untouched
    assert after["train/grizzly/teddy_0.jpg"] == b"another file of that name"
    # no bytes lost: every file is still somewhere
    assert sorted(v for k, v in after.items() if not k.startswith(".coursekit")) == sorted(
        before.values()
    )
    log = [json.loads(line) for line in (folders / LOG_NAME).read_text().splitlines()]
    assert log[-1]["apply"]["id"] == record.id and len(log[-1]["apply"]["moves"]) == 2

    cleaner.undo()
    restored = {k: v for k, v in _files(folders).items() if not k.startswith(".")}
    assert restored == before
    with pytest.raises(ValueError, match="nothing to undo"):
        cleaner.undo()
    # a second apply after undo works and is itself undoable
    second = cleaner.apply({wrong: "teddy"})
    assert (folders / "valid/teddy/black_1.jpg").exists() and second.id != record.id
    cleaner.undo()
    assert {k: v for k, v in _files(folders).items() if not k.startswith(".")} == before


def test_csv_layout_rewrites_rows_with_a_backup_and_undo_restores(csv_layout):
    csv_path = csv_layout / "labels.csv"
    original = csv_path.read_text()
    cleaner = DataCleaner(csv_layout, csv=csv_path, suffix=".jpg")
    img = csv_layout / "train-jpg"
    record = cleaner.apply({img / "train_0.jpg": DELETE, img / "train_1.jpg": "cloudy"})
    assert (
        csv_path.read_text()
        == "image_name,tags\ntrain_1,cloudy\ntrain_2,haze\ntrain_3,clear primary\n"
    )
    assert (csv_layout / f"labels.csv.{record.id}.bak").read_text() == original
    assert (csv_layout / ".trash" / record.id / "train-jpg/train_0.jpg").read_bytes() == bytes([0])
    assert (img / "train_1.jpg").exists()  # relabelling a CSV row moves no file
    cleaner.undo()
    assert csv_path.read_text() == original and (img / "train_0.jpg").read_bytes() == bytes([0])
    cleaner.apply({img / "train_2.jpg": "clear"})
    assert "train_2,clear\n" in csv_path.read_text()


def test_bad_requests_change_nothing(folders):
    before = _files(folders)
    cleaner = DataCleaner(folders)
    with pytest.raises(CleanerError, match=r"nothing changed: 1 problem.*nope\.jpg does not exist"):
        cleaner.apply({folders / "train/black/black_0.jpg": DELETE, folders / "nope.jpg": DELETE})
    with pytest.raises(ValueError, match="class folder name"):
        cleaner.apply({folders / "train/black/black_0.jpg": "../../elsewhere"})
    with pytest.raises(ValueError, match="class folder name"):
        cleaner.apply({folders / "train/black/black_0.jpg": ".."})
    assert _files(folders) == before
    with pytest.raises(FileNotFoundError, match="not a folder"):
        DataCleaner(folders / "missing")
