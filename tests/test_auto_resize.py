"""The resize cache used automatically when photos are much bigger than the training size."""

import pytest
from PIL import Image

import coursekit as ck
from coursekit.data.auto_resize import MUCH_LARGER, cache_size_for
from coursekit.data.images import resize_images


def test_copies_are_made_only_for_photos_much_bigger_than_the_training_size():
    assert cache_size_for([(500, 375)] * 100, 224) == 224
    assert cache_size_for([(375, 500)] * 100, 224) == 224  # portrait: the same
    assert cache_size_for([(260, 250)] * 100, 224) is None  # not much bigger
    assert (
        cache_size_for([(600, 200)] * 60 + [(500, 375)] * 40, 224) is None
    )  # the median photo decides
    assert cache_size_for([], 224) is None and cache_size_for([None, (0, 5)], 224) is None
    assert cache_size_for([(400, int(MUCH_LARGER * 224))] * 3, 224) == 224  # right at the threshold
    assert cache_size_for([(400, int(MUCH_LARGER * 224) - 1)] * 3, 224) is None


def test_shorter_side_copies_keep_the_aspect_and_never_enlarge(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    for name, size in [
        ("wide.jpg", (500, 375)),
        ("tall.jpg", (300, 480)),
        ("small.jpg", (100, 80)),
    ]:
        Image.new("RGB", size, (120, 30, 200)).save(root / name)
    copies = resize_images(
        sorted(root.iterdir()), root, 224, tmp_path / "cache", progress=False, shorter=True
    )
    sizes = {p.name: Image.open(p).size for p in copies}
    assert sizes == {"small.jpg": (100, 80), "tall.jpg": (224, 358), "wide.jpg": (299, 224)}


def _pets(**opts):
    path = ck.samples.pets(n_per_class=3, min_side=300, max_side=400)
    return ck.ImageData.from_name_re(
        path / "images", pat=r"([^/]+)_\d+\.jpg$", size=64, bs=8, num_workers=0, **opts
    )


@pytest.mark.slow
def test_full_mode_reads_smaller_copies_and_says_so(monkeypatch, capsys):
    monkeypatch.setenv("COURSEKIT_SAMPLE", "0")
    data = _pets()
    ds = data.train_ds
    assert "reading copies whose shorter side is 64 px" in capsys.readouterr().out
    assert ds.paths != data.train_paths and all(
        "resized" in p.parts and "short64" in p.parts for p in ds.paths
    )
    for copy, original in zip(ds.paths[:5], data.train_paths):
        with Image.open(copy) as img:
            assert min(img.size) == 64
            w, h = data.image_size_of[original]
            assert abs(img.size[0] / img.size[1] - w / h) < 0.05
    assert (
        len(data.valid_ds.paths) == len(data.valid_paths)
        and data.valid_ds.paths[0] != data.valid_paths[0]
    )
    assert capsys.readouterr().out == ""  # said once per ImageData
    x, _ = ds[0]
    assert x.shape == (3, 64, 64)
    bigger = data.with_size(128)  # a fresh choice for the new size
    assert "short128" in bigger.train_ds.paths[0].parts


def test_sample_mode_and_auto_resize_false_read_the_originals(monkeypatch):
    monkeypatch.setenv("COURSEKIT_SAMPLE", "1")
    assert _pets().train_ds.paths == _pets().train_paths
    monkeypatch.setenv("COURSEKIT_SAMPLE", "0")
    data = _pets(auto_resize=False)
    assert data.train_ds.paths == data.train_paths
    monkeypatch.setenv("COURSEKIT_SAMPLE", "1")
    data = _pets(auto_resize=True)
    assert data.train_ds.paths != data.train_paths


def test_no_copies_when_photos_are_near_the_training_size(monkeypatch):
    monkeypatch.setenv("COURSEKIT_SAMPLE", "0")
    data = _pets().with_size(256)
    assert data.train_ds.paths == data.train_paths
