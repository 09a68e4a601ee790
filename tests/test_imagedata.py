"""Every lesson layout loads from its sample through the public API, into the right batches."""

import math

import numpy as np
import pytest
import torch
from PIL import Image

import coursekit as ck
from coursekit.data.sample_sets import SAMPLE_SETS, sample_data
from coursekit.data.transforms import RandomDihedral


def test_pets_from_name_re(pets_data):
    assert pets_data.c == 12 and not pets_data.is_multilabel
    assert "Bengal" in pets_data.classes and "pug" in pets_data.classes
    assert len(pets_data.train_ds) + len(pets_data.valid_ds) == 360
    xb, yb = next(iter(pets_data.train_dl))
    assert xb.shape == (16, 3, 32, 32) and xb.dtype == torch.float32 and yb.dtype == torch.long
    assert -3 < xb.mean() < 3 and yb.max() < 12


def test_splits_are_deterministic_for_a_seed():
    path = ck.samples.pets() / "images"

    def make(seed):
        return ck.ImageData.from_name_re(path, pat=r"([^/]+)_\d+\.jpg$", seed=seed, num_workers=0)

    assert make(42).valid_paths == make(42).valid_paths
    assert make(42).valid_paths != make(7).valid_paths
    explicit = ck.ImageData.from_name_re(
        path, pat=r"([^/]+)_\d+\.jpg$", val_idxs=[0, 1, 2], num_workers=0
    )
    assert len(explicit.valid_paths) == 3


@pytest.mark.slow
def test_dogscats_from_folder():
    data = ck.ImageData.from_folder(
        ck.samples.dogscats(), train="train", valid="valid", test="test1", size=32, num_workers=0
    )
    assert data.classes == ["cats", "dogs"] and len(data.test_ds) == 20
    _xb, yb = next(iter(data.valid_dl))
    assert set(yb.tolist()) <= {0, 1}
    assert data.test_dl is not None


@pytest.mark.slow
def test_dogbreeds_from_csv():
    data = ck.ImageData.from_csv(
        ck.samples.dogbreeds(),
        folder="train",
        csv="labels.csv",
        suffix=".jpg",
        test="test",
        valid_pct=0.2,
        size=32,
        num_workers=0,
    )
    assert data.c == 8 and len(data.valid_paths) == int(0.2 * 240)
    assert len(data.image_sizes("train")) == len(data.train_paths)
    assert all(w > 50 and h > 50 for w, h in data.image_sizes())


def test_planet_multilabel_batches_are_multi_hot(planet_data):
    assert planet_data.is_multilabel and "cloudy" in planet_data.classes
    _xb, yb = next(iter(planet_data.train_dl))
    assert yb.dtype == torch.float32 and yb.shape == (16, planet_data.c)
    assert set(yb.unique().tolist()) == {0.0, 1.0}
    weather = [planet_data.classes.index(t) for t in ("clear", "cloudy", "haze", "partly_cloudy")]
    assert torch.all(yb[:, weather].sum(1) == 1)
    assert planet_data.label_text(yb[0]).count(" ") == int(yb[0].sum()) - 1


@pytest.mark.parametrize("name", SAMPLE_SETS)
def test_show_batch_draws_titled_images(name):
    data = sample_data(name, size=32, num_workers=0)
    fig = data.show_batch(n=4, ncols=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 4 and all(titles)
    assert all(t.split(" ")[0] in data.classes for t in titles)


def test_unreadable_files_are_warned_and_left_out(tmp_path):
    for c in ("cats", "dogs"):
        for i in range(3):
            (tmp_path / "train" / c).mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (40, 40), "gray").save(tmp_path / "train" / c / f"{i}.jpg")
    (tmp_path / "train" / "dogs" / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    with pytest.warns(UserWarning, match=r"(?s)1 image file\(s\) could not be read.*broken.jpg"):
        data = ck.ImageData.from_folder(tmp_path, valid=None, valid_pct=0.3, num_workers=0)
    assert not any(p.name == "broken.jpg" for p in data.train_paths + data.valid_paths)


def test_a_decompression_bomb_is_left_out_with_the_unreadable_files(tmp_path, monkeypatch):
    for c in ("cats", "dogs"):
        (tmp_path / "train" / c).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (40, 40), "gray").save(tmp_path / "train" / c / f"{i}.png")
    Image.new("RGB", (400, 400), "gray").save(tmp_path / "train" / "dogs" / "huge.png")
    monkeypatch.setattr(
        Image, "MAX_IMAGE_PIXELS", 10_000
    )  # 400x400 is over twice the limit: a "bomb"
    with pytest.warns(UserWarning, match=r"(?s)could not be read.*huge.png"):
        data = ck.ImageData.from_folder(tmp_path, valid=None, valid_pct=0.3, num_workers=0)
    assert not any(p.name == "huge.png" for p in data.train_paths + data.valid_paths)


def test_with_size_and_resize_keep_the_split(pets_data):
    bigger = pets_data.with_size(48, bs=8)
    assert bigger.train_paths == pets_data.train_paths and bigger.size == 48 and bigger.bs == 8
    assert bigger.train_ds[0][0].shape == (3, 48, 48)
    small = pets_data.resize(64)
    assert [p.name for p in small.train_paths] == [p.name for p in pets_data.train_paths]
    assert small.train_labels == pets_data.train_labels
    assert all(min(s) <= 64 for s in small.image_sizes())
    x, _y = small.valid_ds[0]
    assert x.shape == (3, 32, 32)


def _fastai07_resize(width: int, height: int, targ: int) -> tuple[int, int]:
    """fastai 0.7's dataset.resize_fn: the shorter side becomes ``targ``, the aspect is kept."""
    ratio = targ / min(width, height)
    return max(math.floor(width * ratio), targ), max(math.floor(height * ratio), targ)


def test_resize_sets_the_shorter_side_as_the_course_did(tmp_path):
    # the course's data.resize(340, 'tmp') on a 500x375 dog-breeds photo: 453x340, not 340x255
    for c, size in [("dogs", (500, 375)), ("cats", (375, 500))]:
        (tmp_path / "train" / c).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", size, (90, 60, 30)).save(tmp_path / "train" / c / f"{i}.jpg")
    (tmp_path / "train" / "cats" / "small.jpg").parent.mkdir(exist_ok=True)
    Image.new("RGB", (200, 150), "gray").save(tmp_path / "train" / "cats" / "small.jpg")
    data = ck.ImageData.from_folder(tmp_path, valid=None, valid_pct=0.3, num_workers=0, size=32)
    small = data.resize(340, cache_dir=tmp_path / "tmp")
    for before, after in zip(
        data.train_paths + data.valid_paths, small.train_paths + small.valid_paths
    ):
        width, height = data.image_size_of[before]
        expected = (
            (width, height) if min(width, height) <= 340 else _fastai07_resize(width, height, 340)
        )
        assert Image.open(after).size == small.image_size_of[after] == expected
    assert sorted(set(small.image_size_of.values())) == [(200, 150), (340, 453), (453, 340)]


def test_augmentation_presets():
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (50, 70, 3), dtype=np.uint8))
    plain = ck.data.transforms.valid_transform(32)(img)
    assert torch.equal(plain, ck.data.transforms.valid_transform(32)(img))  # no randomness
    torch.manual_seed(0)
    views = {
        ck.data.transforms.train_transform(32, ck.side_on, max_zoom=1.1)(img).sum().item()
        for _ in range(5)
    }
    assert len(views) > 1
    x = torch.arange(16.0).view(1, 4, 4)
    seen = {tuple(RandomDihedral()(x).flatten().tolist()) for _ in range(200)}
    assert len(seen) == 8 and all(sorted(s) == list(range(16)) for s in seen)
    assert torch.allclose(
        ck.denormalize(ck.data.transforms.valid_transform(32)(img)),
        ck.data.transforms.valid_transform(32, stats=((0, 0, 0), (1, 1, 1)))(img),
        atol=1e-5,
    )


def test_split_by_name_and_a_clear_error_for_an_unknown_one(tiny_pets):
    valid = tiny_pets.split("valid")
    assert valid.paths == tiny_pets.valid_ds.paths
    assert torch.equal(valid.targets, tiny_pets.valid_ds.targets)
    assert tiny_pets.split("train").batch_augment is not None  # the training view
    assert tiny_pets.split_paths("train") == tiny_pets.train_paths
    assert tiny_pets.split_labels("valid") == tiny_pets.valid_labels
    for call in (tiny_pets.split, tiny_pets.split_paths, tiny_pets.split_labels):
        with pytest.raises(ValueError, match=r"unknown split 'vaild'.*'train', 'valid', 'test'"):
            call("vaild")
    with pytest.raises(ValueError, match=r"no test set.*test="):
        tiny_pets.split("test")  # these pets have no test folder
    assert tiny_pets.split_paths("test") == [] and tiny_pets.test_ds is None
    assert tiny_pets.image_sizes("valid") == [
        tiny_pets.image_size_of[p] for p in tiny_pets.valid_paths
    ]
    with pytest.raises(ValueError, match="unknown split 'tset'"):
        tiny_pets.class_counts("tset")


def test_split_test_of_a_data_set_with_test_images():
    data = sample_data("dogscats", size=32, num_workers=0)
    test = data.split("test")
    assert test.paths == data.test_ds.paths and len(test) == len(data.test_paths) > 0
