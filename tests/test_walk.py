"""Walking class folders (and the images a CSV names): symlinks that loop or leave the data folder,
and iPhone (HEIC) photos, are passed over with one warning that names them, never silently and
never as a class."""

import warnings

import pytest

from coursekit.data.labels import LabelError, image_files, labels_from_csv, labels_from_folders


@pytest.fixture
def data(tmp_path):
    root = tmp_path / "bears"
    for cls in ("black", "grizzly"):
        for i in range(2):
            (root / "train" / cls).mkdir(parents=True, exist_ok=True)
            (root / "train" / cls / f"{cls}_{i}.jpg").write_bytes(b"jpeg")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "pandas").mkdir(parents=True)
    (elsewhere / "pandas" / "panda.jpg").write_bytes(b"jpeg")
    return root, elsewhere


def _caught(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [str(w.message) for w in caught]


def test_links_that_loop_or_leave_the_data_folder_are_skipped_with_one_warning(data):
    root, elsewhere = data
    train = root / "train"
    (train / "all").symlink_to(".")  # a class of every image
    (train / "pandas").symlink_to(elsewhere / "pandas")
    (train / "black" / "again").symlink_to("..")  # deeper: back up to train/
    (train / "black" / "borrowed.jpg").symlink_to(elsewhere / "pandas" / "panda.jpg")
    (train / "grizzly" / "twin.jpg").symlink_to(train / "grizzly" / "grizzly_0.jpg")  # inside: kept
    (paths, labels), messages = _caught(lambda: labels_from_folders(train))
    assert sorted(set(labels)) == ["black", "grizzly"]
    assert sorted(p.name for p in paths) == [
        "black_0.jpg",
        "black_1.jpg",
        "grizzly_0.jpg",
        "grizzly_1.jpg",
        "twin.jpg",
    ]
    assert len(messages) == 1, messages
    message = messages[0]
    assert message.startswith("4 symbolic link(s) skipped")
    assert f"{train / 'all'}: leads back to" in message
    assert f"{train / 'pandas'}: points outside {train}" in message
    assert f"{train / 'black' / 'again'}: leads back to" in message
    assert f"{train / 'black' / 'borrowed.jpg'}: points outside" in message


def test_csv_rows_whose_image_is_a_link_that_loops_or_leaves_the_folder_are_skipped(data):
    """The CSV layout (dog breeds' labels.csv + train/) follows the folder layout's rule."""
    root, elsewhere = data
    train = root / "train" / "black"
    (train / "borrowed.jpg").symlink_to(elsewhere / "pandas" / "panda.jpg")
    (train / "loop.jpg").symlink_to("loop.jpg")
    (train / "twin.jpg").symlink_to(train / "black_0.jpg")  # inside: kept
    rows = ["black_0,black", "borrowed,panda", "loop,black", "twin,black", "black_1,black"]
    (root / "labels.csv").write_text("id,breed\n" + "\n".join(rows) + "\n")
    (paths, labels), messages = _caught(lambda: labels_from_csv(root / "labels.csv", train, ".jpg"))
    assert [p.name for p in paths] == ["black_0.jpg", "twin.jpg", "black_1.jpg"]
    assert labels == ["black"] * 3
    assert len(messages) == 1, messages
    assert messages[0].startswith("2 symbolic link(s) skipped")
    assert f"{train / 'borrowed.jpg'}: points outside {train}" in messages[0]
    assert f"{train / 'loop.jpg'}: loops" in messages[0]


def test_image_files_skips_a_loop_once_and_names_it(data):
    root, _ = data
    (root / "train" / "black" / "loop").symlink_to(".")
    files, messages = _caught(lambda: image_files(root / "train" / "black"))
    assert [p.name for p in files] == ["black_0.jpg", "black_1.jpg"]
    assert len(messages) == 1 and "loop" in messages[0] and "leads back to" in messages[0]


def test_heic_photos_are_named_with_how_to_convert_them(data, monkeypatch):
    import coursekit.data.walk as walk

    monkeypatch.setattr(walk, "HEIC_READABLE", False)  # as without pillow-heif, installed or not
    root, _ = data
    train = root / "train"
    (train / "black" / "IMG_0001.HEIC").write_bytes(b"heic")
    (train / "iphone").mkdir()
    (train / "iphone" / "IMG_0002.heic").write_bytes(b"heic")
    with (
        pytest.warns(UserWarning, match=r"2 HEIC photo\(s\) left out"),
        pytest.raises(LabelError, match=r"iphone has no images.*1 HEIC photo.*pillow-heif"),
    ):
        labels_from_folders(train)
    (train / "iphone" / "IMG_0002.heic").unlink()
    (train / "iphone").rmdir()
    (paths, _), messages = _caught(lambda: labels_from_folders(train))
    assert len(paths) == 4 and len(messages) == 1
    assert "1 HEIC photo(s) left out" in messages[0] and "IMG_0001.HEIC" in messages[0]
    assert "pip install pillow-heif" in messages[0] and "sips -s format jpeg" in messages[0]
