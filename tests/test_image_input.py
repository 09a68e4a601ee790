"""Every form of picture a student hands to predict: each dtype read in its stated range, 16-bit
files scaled by their bit depth, very large files shrunk while decoding, anything else refused."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

import coursekit as ck
from coursekit.data import heic, images
from coursekit.data.image_input import array_to_image, as_image
from coursekit.data.images import LARGE_IMAGE_PIXELS, open_image


def _photo(size=(48, 40)):
    """A smooth colour picture with every channel in use."""
    y, x = np.mgrid[0 : size[1], 0 : size[0]]
    return np.stack([x * 255 // size[0], y * 255 // size[1], (x + y) % 256], -1).astype(np.uint8)


def test_every_dtype_is_read_in_its_stated_range():
    want = _photo()
    same = {
        "uint8": want,
        "int64 0-255": want.astype(np.int64),
        "int32 0-255": want.astype(np.int32),
        "uint16 16-bit": want.astype(np.uint16) * 257,
        "float64 0-1": want / 255.0,
        "float32 0-1": (want / 255.0).astype(np.float32),
        "float64 0-255": want.astype(np.float64),
        "H x W x 4": np.dstack([want, np.full(want.shape[:2], 255, np.uint8)]),
    }
    for name, arr in same.items():
        assert np.array_equal(np.asarray(as_image(arr)), want), name
    grey = want[:, :, 0]
    assert np.array_equal(np.asarray(as_image(grey[:, :, None].astype(np.int16)))[:, :, 1], grey)
    mask = np.asarray(as_image(grey > 128))
    assert set(np.unique(mask)) == {0, 255}


@pytest.mark.parametrize(
    "arr, message",
    [
        (
            np.arange(256, dtype=np.uint16).reshape(16, 16),
            r"uint16 .* at most 255.*astype\(np\.uint8\)",
        ),
        (
            np.arange(4096, dtype=np.int32).reshape(64, 64),
            r"int32 .*read as 0-255.*values from 0 to 4095",
        ),
        (np.eye(8, dtype=np.int64), r"only 0s and 1s.*astype\(bool\)"),
        (np.linspace(-2.1, 2.6, 64).reshape(8, 8), r"normalised tensor.*x \* std \+ mean"),
        (np.linspace(0, 1000, 64).reshape(8, 8), r"float64 .*\[0, 1\] or \[0, 255\].*to 1000"),
        (np.full((8, 8), np.nan), r"NaN or inf"),
        (np.zeros((3, 32, 32), np.uint8), r"channels first.*transpose\(1, 2, 0\)"),
        (np.zeros((8, 8, 2), np.uint8), r"H x W x 1/3/4"),
        (np.zeros((8, 8), complex), r"complex128.*only integer, boolean and float"),
    ],
)
def test_ambiguous_or_unknown_arrays_are_refused_with_the_fix(arr, message):
    with pytest.raises(ValueError, match=message):
        as_image(arr)


def test_a_tensor_is_refused_with_how_to_pass_it():
    with pytest.raises(TypeError, match=r"permute\(1, 2, 0\)\.numpy\(\)"):
        as_image(torch.zeros(3, 8, 8))


def _sixteen_bit_png(path, grey):
    Image.fromarray(grey.astype(np.uint16) * 257).save(path)
    assert Image.open(path).mode.startswith("I;16") or Image.open(path).mode == "I"
    return path


def test_a_16_bit_png_is_scaled_by_its_bit_depth_not_clipped_to_white(tmp_path):
    grey = _photo()[:, :, 0]
    path = _sixteen_bit_png(tmp_path / "xray.png", grey)
    assert np.array_equal(np.asarray(open_image(path))[:, :, 0], grey)
    assert np.array_equal(np.asarray(as_image(Image.open(path)))[:, :, 0], grey)
    assert np.array_equal(np.asarray(as_image(path.read_bytes()))[:, :, 0], grey)


def test_a_32_bit_float_tiff_follows_the_array_rules(tmp_path):
    grey = _photo()[:, :, 0]
    Image.fromarray((grey / 255.0).astype(np.float32)).save(tmp_path / "f.tif")
    assert np.array_equal(np.asarray(open_image(tmp_path / "f.tif"))[:, :, 0], grey)
    Image.fromarray(np.full((8, 8), -1.5, np.float32)).save(tmp_path / "normalised.tif")
    with pytest.raises(ck.UnreadableImageError, match=r"normalised\.tif.*normalised tensor"):
        open_image(tmp_path / "normalised.tif")


def _large(size):
    """A picture with more pixels than LARGE_IMAGE_PIXELS (a smooth one: quick to write)."""
    assert size[0] * size[1] > LARGE_IMAGE_PIXELS
    return Image.fromarray(np.asarray(Image.fromarray(_photo((64, 48))).resize(size)))


def test_a_very_large_png_is_decoded_small_without_a_needless_copy(tmp_path, monkeypatch):
    _large((2400, 1800)).save(tmp_path / "scan.png", compress_level=1)

    def no_copy(*args, **kwargs):
        raise AssertionError("exif_transpose copies the picture though it has no rotation")

    monkeypatch.setattr(ImageOps, "exif_transpose", no_copy)
    small = open_image(tmp_path / "scan.png", min_size=64)
    assert small.mode == "RGB" and min(small.size) >= 64 and small.size[1] < 128  # 1800 // 64 = 28
    monkeypatch.undo()
    whole = open_image(tmp_path / "scan.png")
    assert whole.size == (2400, 1800)
    want = np.asarray(whole.reduce(28)).astype(int)
    assert np.abs(np.asarray(small).astype(int) - want).max() <= 1


def test_a_very_large_rotated_picture_is_still_turned_upright(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways
    _large((1800, 2400)).save(tmp_path / "sideways.png", exif=exif.tobytes(), compress_level=1)
    small = open_image(tmp_path / "sideways.png", min_size=64)
    assert small.size[0] > small.size[1] and min(small.size) >= 64


def test_an_upload_or_a_pil_picture_that_is_very_large_is_reduced_like_a_file(tmp_path):
    """PredictPanel's uploads and URL downloads arrive as bytes, a student's own picture as a PIL
    image: with ``min_size`` each comes out as small as the same picture read from a file."""
    _large((2400, 1800)).save(tmp_path / "scan.png", compress_level=1)
    from_file = open_image(tmp_path / "scan.png", min_size=64)
    uploaded = as_image((tmp_path / "scan.png").read_bytes(), min_size=64)
    with Image.open(tmp_path / "scan.png") as pil:
        given = as_image(pil, min_size=64)
    assert uploaded.size == given.size == from_file.size and from_file.size[1] < 128
    assert np.array_equal(np.asarray(uploaded), np.asarray(from_file))
    assert np.array_equal(np.asarray(given), np.asarray(from_file))
    jpeg = tmp_path / "photo.jpg"
    _large((2400, 1800)).save(jpeg, quality=90)
    assert as_image(jpeg.read_bytes(), min_size=64).size == open_image(jpeg, min_size=64).size
    assert as_image(jpeg.read_bytes(), min_size=64).size[1] < 1800 // 4  # draft mode: 1/8
    assert as_image(jpeg.read_bytes()).size == (2400, 1800)  # without min_size: as it is


def test_an_upload_that_is_not_a_picture_is_refused_with_its_size():
    with pytest.raises(ck.UnreadableImageError, match=r"these 15 bytes are not an image file"):
        as_image(b"<html>hi</html>", min_size=64)


def test_small_pictures_are_decoded_as_they_are(tmp_path):
    Image.fromarray(_photo((400, 300))).save(tmp_path / "small.png")
    assert open_image(tmp_path / "small.png", min_size=32).size == (400, 300)
    assert images.LARGE_IMAGE_PIXELS > 400 * 300


def test_predict_agrees_on_a_16_bit_png_and_its_8_bit_version_and_on_wide_dtypes(learn, tmp_path):
    grey = np.asarray(open_image(learn.data.valid_paths[0], min_size=32).convert("L"))
    Image.fromarray(grey).save(tmp_path / "eight.png")
    sixteen = _sixteen_bit_png(tmp_path / "sixteen.png", grey)
    want = learn.predict(tmp_path / "eight.png")[2]
    assert torch.allclose(learn.predict(sixteen)[2], want, atol=1e-5)
    rgb = np.asarray(array_to_image(grey))
    for arr in (rgb.astype(np.int64), rgb.astype(np.float64), rgb.astype(np.uint16) * 257):
        assert torch.allclose(learn.predict(arr)[2], want, atol=1e-5), arr.dtype


def test_an_iphone_photo_is_refused_with_how_to_read_or_convert_it(learn, tmp_path, monkeypatch):
    monkeypatch.setattr(heic, "HEIC_READABLE", False)  # as without pillow-heif, installed or not
    iso_bmff = b"\x00\x00\x00\x18ftypheic" + bytes(200)  # the start of a HEIC file
    (tmp_path / "photo.heic").write_bytes(iso_bmff)
    (tmp_path / "IMG_0001.HEIC").write_bytes(b"not decodable")
    (tmp_path / "renamed.jpg").write_bytes(iso_bmff)
    for name in ("photo.heic", "IMG_0001.HEIC", "renamed.jpg"):
        for read in (open_image, learn.predict):
            with pytest.raises(ck.UnreadableImageError) as caught:
                read(tmp_path / name)
            assert str(caught.value) == f"cannot read image {tmp_path / name}: {heic.HEIC_HELP}"
    with pytest.raises(ck.UnreadableImageError, match=r"iPhone photo.*pip install pillow-heif"):
        as_image(iso_bmff, min_size=64)  # an upload
    (tmp_path / "broken.jpg").write_bytes(b"not decodable")
    with pytest.raises(ck.UnreadableImageError, match=r"broken\.jpg: .*Delete or replace"):
        open_image(tmp_path / "broken.jpg")


# Run in a fresh Python so that ru_maxrss (the peak resident memory) is this picture's alone.
_PEAK_OF_OPENING = """
import json, resource, sys
from coursekit.data.images import open_image
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
small = open_image(sys.argv[1], min_size=224)
extra = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
extra *= 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
print(json.dumps({"extra": extra, "size": small.size, "pixel": small.getpixel((0, 0))}))
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="ru_maxrss is measured on Unix only")
@pytest.mark.parametrize(
    "mode, colour, want",
    [("RGBA", (200, 0, 0, 128), (227, 127, 127)), ("I;16", 40000, (156, 156, 156))],
)
def test_a_12000_pixel_square_png_is_decoded_small_in_little_memory(tmp_path, mode, colour, want):
    """A 12000 x 12000 picture decoded as 8-bit RGBA is 576 MB, and as 16-bit grey 288 MB: that
    much is needed. Scaling the bit depth or laying the alpha on white before shrinking costs
    another full-size copy or two (1.2-1.7 GB); the 700 MiB bound leaves room for the decoding
    alone."""
    path = tmp_path / f"{mode.replace(';', '')}.png"
    Image.new(mode, (12000, 12000), colour).save(path, compress_level=1)
    run = subprocess.run(
        [sys.executable, "-c", _PEAK_OF_OPENING, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(run.stdout)
    assert result["size"] == [227, 227] and result["pixel"] == list(want)  # 12000 // 224 = 53
    assert result["extra"] < 700 * 2**20, f"{result['extra'] / 2**20:.0f} MiB"
