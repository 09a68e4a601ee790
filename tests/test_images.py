"""Decoding any image mode to upright RGB, draft decoding, header checks, and the resize cache."""

import os
import time

import numpy as np
import pytest
from PIL import Image

import coursekit as ck
from coursekit.data.images import check_images, open_image, resize_images


def _arrow(size=(120, 80)):
    """A picture that is clearly not symmetric: a red block top-left on white."""
    img = Image.new("RGB", size, "white")
    img.paste((255, 0, 0), (0, 0, size[0] // 3, size[1] // 3))
    return img


@pytest.mark.parametrize("mode", ["L", "CMYK", "P", "RGBA", "LA", "1"])
def test_any_mode_becomes_rgb(tmp_path, mode):
    path = tmp_path / "x.png"
    img = _arrow().convert(mode)
    if mode == "CMYK":
        path = tmp_path / "x.jpg"
    img.save(path)
    out = open_image(path)
    assert out.mode == "RGB" and out.size == (120, 80)


def test_transparent_pixels_become_white(tmp_path):
    rgba = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    rgba.save(tmp_path / "t.png")
    assert np.asarray(open_image(tmp_path / "t.png")).min() == 255


def test_exif_orientation_is_applied(tmp_path):
    upright = _arrow()
    exif = Image.Exif()
    exif[0x0112] = 6
    upright.transpose(Image.Transpose.ROTATE_90).save(
        tmp_path / "r.jpg", quality=95, exif=exif.tobytes()
    )
    out = np.asarray(open_image(tmp_path / "r.jpg")).astype(int)
    assert out.shape == (80, 120, 3)
    assert out[5, 5, 1] < 80 and out[-5, -5, 1] > 200  # red corner back at the top left
    sizes, bad = check_images([tmp_path / "r.jpg"])
    assert sizes == [(120, 80)] and bad == []


def test_draft_decoding_keeps_at_least_min_size(tmp_path):
    Image.new("RGB", (800, 600), "blue").save(tmp_path / "big.jpg")
    small = open_image(tmp_path / "big.jpg", min_size=64)
    assert min(small.size) >= 64 and small.size[0] < 800  # 1/8 scale: 100 x 75
    assert open_image(tmp_path / "big.jpg").size == (800, 600)


def test_unreadable_files_are_named(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(ck.UnreadableImageError, match=r"broken\.jpg"):
        open_image(bad)
    good = tmp_path / "good.jpg"
    _arrow().save(good)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(good.read_bytes()[:-200])
    sizes, problems = check_images([good, bad, truncated])
    assert sizes[0] == (120, 80) and sizes[1] is None and sizes[2] is None
    assert [p.name for p, _ in problems] == ["broken.jpg", "cut.jpg"]


def test_resize_cache_makes_small_copies_and_remakes_changed_ones(tmp_path):
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    for i in range(3):
        _arrow((500, 400)).save(src / "a" / f"{i}.jpg")
    _arrow((500, 400)).convert("P").save(src / "a" / "palette.png")
    paths = sorted((src / "a").iterdir())
    cache = tmp_path / "cache"
    out = resize_images(paths, src, 100, cache_dir=cache, progress=False)
    assert [o.relative_to(cache).parent.name for o in out] == ["a"] * 4
    assert all(max(Image.open(o).size) == 100 and Image.open(o).mode == "RGB" for o in out)
    first = out[0].stat().st_mtime_ns
    time.sleep(0.01)
    assert resize_images(paths, src, 100, cache_dir=cache, progress=False) == out
    assert out[0].stat().st_mtime_ns == first  # not re-made
    Image.new("RGB", (300, 300), "green").save(paths[0])  # the source changes
    os.utime(paths[0], ns=(time.time_ns(), time.time_ns() + 10**9))
    resize_images(paths, src, 100, cache_dir=cache, progress=False)
    assert Image.open(out[0]).size == (100, 100)
    assert not list(cache.rglob("*.tmp"))  # nothing half-written left
