"""The resize cache used automatically when photos are much bigger than the training size."""
from PIL import Image

import coursekit as ck
from coursekit.data.auto_resize import MUCH_LARGER, cache_size_for


def test_cache_size_keeps_the_shorter_side_for_nine_photos_in_ten():
    assert cache_size_for([(500, 375)] * 100, 224) == 304          # 224 * 500/375 = 299 -> 304
    assert cache_size_for([(375, 500)] * 100, 224) == 304          # portrait: the same
    assert cache_size_for([(260, 200)] * 100, 224) is None         # not much bigger than 304
    assert cache_size_for([(500, 250)] * 95 + [(2000, 200)] * 5, 64) == 128   # the 5 thin ones upscale
    assert cache_size_for([], 224) is None and cache_size_for([None, (0, 5)], 224) is None
    # right at the threshold
    assert cache_size_for([(int(MUCH_LARGER * 304), 285)] * 3, 224) == 304
    assert cache_size_for([(int(MUCH_LARGER * 304) - 1, 284)] * 3, 224) is None


def _pets(**opts):
    path = ck.samples.pets(n_per_class=3, min_side=300, max_side=400)
    return ck.ImageData.from_name_re(path / "images", pat=r"([^/]+)_\d+\.jpg$", size=64, bs=8, num_workers=0, **opts)


def test_full_mode_reads_smaller_copies_and_says_so(monkeypatch, capsys):
    monkeypatch.setenv("COURSEKIT_SAMPLE", "0")
    data = _pets()
    ds = data.train_ds
    assert "reading copies at most" in capsys.readouterr().out
    assert ds.paths != data.train_paths and all("resized" in p.parts for p in ds.paths)
    with Image.open(ds.paths[0]) as img:
        assert 64 <= min(img.size) and max(img.size) <= cache_size_for(list(data.image_size_of.values()), 64)
    assert len(data.valid_ds.paths) == len(data.valid_paths) and data.valid_ds.paths[0] != data.valid_paths[0]
    data.valid_ds
    assert capsys.readouterr().out == ""                      # said once per ImageData
    x, _ = ds[0]
    assert x.shape == (3, 64, 64)
    sizes = list(data.image_size_of.values())
    assert str(cache_size_for(sizes, 64)) in ds.paths[0].parts
    bigger = data.with_size(128)                             # a fresh choice for the new size
    assert str(cache_size_for(sizes, 128)) in bigger.train_ds.paths[0].parts


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
