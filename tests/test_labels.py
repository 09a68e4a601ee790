"""Labels from names, folders and CSVs, and the errors that teach."""

import numpy as np
import pytest
from PIL import Image

import coursekit as ck
from coursekit.data.labels import labels_from_name_re


def _img(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), "gray").save(path)


def test_regex_labels_from_full_path():
    from pathlib import Path

    assert labels_from_name_re(
        [Path("/d/images/great_pyrenees_17.jpg")], r"/([^/]+)_\d+\.jpg$"
    ) == ["great_pyrenees"]


def test_regex_matching_nothing_shows_examples(tmp_path):
    for n in ("cat.1.jpg", "cat.2.jpg"):
        _img(tmp_path / n)
    with pytest.raises(ck.LabelError, match=r"matched none of the 2 .*'cat.1.jpg'"):
        ck.ImageData.from_name_re(tmp_path, pat=r"([^/]+)_\d+\.jpg$", num_workers=0)


def test_regex_matching_some_lists_the_others(tmp_path):
    for n in ("Bengal_1.jpg", "pug_2.jpg", "pug_3.jpg", "IMG 0001.jpg"):
        _img(tmp_path / n)
    with pytest.raises(ck.LabelError, match=r"matched 3 of 4 .*'IMG 0001.jpg'"):
        ck.ImageData.from_name_re(tmp_path, pat=r"([^/]+)_\d+\.jpg$", num_workers=0)


def test_empty_class_folder(tmp_path):
    _img(tmp_path / "train" / "cats" / "cat.1.jpg")
    (tmp_path / "train" / "dogs").mkdir()
    _img(tmp_path / "valid" / "cats" / "cat.2.jpg")
    with pytest.raises(ck.LabelError, match=r"class folder .*dogs has no images"):
        ck.ImageData.from_folder(tmp_path, num_workers=0)


def test_single_class(tmp_path):
    for i in range(3):
        _img(tmp_path / "train" / "cats" / f"cat.{i}.jpg")
    _img(tmp_path / "valid" / "cats" / "cat.9.jpg")
    with pytest.raises(ck.LabelError, match=r"only one class \('cats'"):
        ck.ImageData.from_folder(tmp_path, num_workers=0)


def test_validation_labels_unseen_in_training(tmp_path):
    for c in ("cats", "dogs"):
        _img(tmp_path / "train" / c / "a.jpg")
    _img(tmp_path / "valid" / "foxes" / "f.jpg")
    with pytest.raises(ck.LabelError, match=r"\['foxes'\] never occur in the training set"):
        ck.ImageData.from_folder(tmp_path, num_workers=0)


def test_csv_row_whose_image_is_missing(tmp_path):
    _img(tmp_path / "train" / "abc.jpg")
    (tmp_path / "labels.csv").write_text("id,breed\nabc,pug\nmissing1,beagle\n")
    with pytest.raises(ck.LabelError, match=r"line 3: .*missing1.jpg.*suffix="):
        ck.ImageData.from_csv(
            tmp_path, folder="train", csv="labels.csv", suffix=".jpg", num_workers=0
        )


def test_csv_wrong_suffix_is_explained(tmp_path):
    _img(tmp_path / "train" / "abc.jpg")
    (tmp_path / "labels.csv").write_text("id,breed\nabc,pug\n")
    with pytest.raises(ck.LabelError, match=r"suffix= \(here ''\)"):
        ck.ImageData.from_csv(tmp_path, folder="train", csv="labels.csv", num_workers=0)


def test_cv_idxs_are_deterministic_and_match_the_course():
    a = ck.get_cv_idxs(100, 0.2, seed=42)
    assert len(a) == 20 and np.array_equal(a, ck.get_cv_idxs(100, 0.2, seed=42))
    np.random.seed(42)  # fastai 0.7's get_cv_idxs
    assert np.array_equal(a, np.random.permutation(100)[:20])
    assert not np.array_equal(a, ck.get_cv_idxs(100, 0.2, seed=1))
    with pytest.raises(ValueError, match="valid_pct"):
        ck.get_cv_idxs(10, 1.5)


def test_not_a_folder(tmp_path):
    with pytest.raises(ck.LabelError, match="is not a folder"):
        ck.ImageData.from_name_re(tmp_path / "nope", pat="(.*)")
