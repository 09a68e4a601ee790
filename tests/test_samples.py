"""The offline sample sets: the real sets' layouts and naming, their oddities, and the cache."""

import csv
import re

import numpy as np
from PIL import Image

import coursekit as ck
from coursekit.data import samples


def test_pets_layout_and_naming():
    path = ck.samples.pets()
    files = sorted((path / "images").iterdir())
    jpgs = [f for f in files if f.suffix == ".jpg"]
    assert len(jpgs) == 12 * 30
    names = {re.match(r"(.+)_\d+\.jpg$", f.name).group(1) for f in jpgs}
    cats = {n for n in names if n[0].isupper()}
    dogs = {n for n in names if n[0].islower()}
    assert cats == {b[0] for b in samples.CAT_BREEDS} and dogs == {b[0] for b in samples.DOG_BREEDS}
    assert any(f.suffix == ".mat" for f in files), "the real images/ folder also holds .mat files"


def test_pets_has_the_real_sets_oddities():
    images = ck.samples.pets() / "images"
    modes, formats, rotated = set(), set(), 0
    for f in images.glob("*.jpg"):
        with Image.open(f) as img:
            modes.add(img.mode)
            formats.add(img.format)
            rotated += img.getexif().get(0x0112) == 6
    assert {"L", "CMYK", "P", "RGBA", "RGB"} <= modes
    assert formats == {"JPEG", "PNG"}  # PNGs named .jpg, as in Oxford-IIIT Pets
    assert rotated >= 1


def test_dogscats_layout():
    path = ck.samples.dogscats()
    assert sorted(p.name for p in (path / "train").iterdir()) == ["cats", "dogs"]
    assert all(re.fullmatch(r"cat\.\d+\.jpg", f.name) for f in (path / "valid" / "cats").iterdir())
    assert all(re.fullmatch(r"dog\.\d+\.jpg", f.name) for f in (path / "train" / "dogs").iterdir())
    assert all(re.fullmatch(r"\d+\.jpg", f.name) for f in (path / "test1").iterdir())


def test_dogbreeds_layout():
    path = ck.samples.dogbreeds()
    rows = list(csv.reader((path / "labels.csv").read_text().splitlines()))
    assert rows[0] == ["id", "breed"]
    assert all(
        re.fullmatch(r"[0-9a-f]{32}", r[0]) and (path / "train" / f"{r[0]}.jpg").exists()
        for r in rows[1:]
    )
    sub = list(csv.reader((path / "sample_submission.csv").read_text().splitlines()))
    assert sub[0][0] == "id" and sub[0][1:] == sorted({r[1] for r in rows[1:]})
    assert len(sub) - 1 == len(list((path / "test").iterdir()))


def test_planet_tags_one_weather_each_and_square_tiles():
    path = ck.samples.planet()
    rows = list(csv.DictReader((path / "train_v2.csv").read_text().splitlines()))
    assert list(rows[0]) == ["image_name", "tags"]
    for row in rows:
        tags = row["tags"].split(" ")
        assert sum(t in samples.PLANET_WEATHER for t in tags) == 1, row
        if "cloudy" in tags:
            assert tags == ["cloudy"]
        with Image.open(path / "train-jpg" / f"{row['image_name']}.jpg") as img:
            assert img.size[0] == img.size[1]
    assert (path / "test-jpg" / "test_0.jpg").exists()


def test_images_vary_in_size_like_photos():
    sizes = {Image.open(f).size for f in (ck.samples.dogscats() / "train" / "cats").iterdir()}
    assert len(sizes) > 20
    aspects = [w / h for w, h in sizes]
    assert min(aspects) < 0.9 and max(aspects) > 1.1


def test_second_call_is_cached_and_n_per_class_scales(fresh_home):
    first = ck.samples.dogscats(n_per_class=4, n_test=2)
    stamp = (first / ".coursekit-sample.json").stat().st_mtime_ns
    again = ck.samples.dogscats(n_per_class=4, n_test=2)
    assert again == first and (again / ".coursekit-sample.json").stat().st_mtime_ns == stamp
    bigger = ck.samples.dogscats(n_per_class=8, n_test=2)
    assert bigger != first
    assert len(list((bigger / "train" / "cats").iterdir())) == 8
    assert len(list((first / "train" / "cats").iterdir())) == 4


def test_generation_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_HOME", str(tmp_path / "a"))
    a = ck.samples.planet(n_per_class=2, n_test=1)
    monkeypatch.setenv("COURSEKIT_HOME", str(tmp_path / "b"))
    b = ck.samples.planet(n_per_class=2, n_test=1)
    for f in sorted((a / "train-jpg").iterdir()):
        assert f.read_bytes() == (b / "train-jpg" / f.name).read_bytes()
    assert (a / "train_v2.csv").read_text() == (b / "train_v2.csv").read_text()


def test_new_generator_version_or_unfinished_set_regenerates(fresh_home, monkeypatch):
    path = ck.samples.dogscats(n_per_class=2, n_test=1)
    drawn = sorted(p.relative_to(path) for p in path.rglob("*"))
    monkeypatch.setattr(samples, "GENERATOR_VERSION", samples.GENERATOR_VERSION + 1)
    (path / "train" / "cats" / sorted((path / "train" / "cats").iterdir())[0].name).write_bytes(
        b"x"
    )
    assert ck.samples.dogscats(n_per_class=2, n_test=1) == path
    assert sorted(p.relative_to(path) for p in path.rglob("*")) == drawn
    assert [p.name for p in path.parent.iterdir()] == [
        path.name
    ]  # only coursekit's files: replaced
    (path / ".coursekit-sample.json").unlink()  # as if interrupted before the end
    ck.samples.dogscats(n_per_class=2, n_test=1)
    assert (path / ".coursekit-sample.json").exists()
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_a_new_drawing_keeps_the_students_files_byte_for_byte(fresh_home, monkeypatch, capsys):
    """Sample mode's data folder is where the student's work goes: learn.save writes models/,
    learn.export export.pth, the cleaner .trash/. Drawing the set afresh never deletes them."""
    path = ck.samples.dogscats(n_per_class=2, n_test=1)
    theirs = {
        "models/stage-1.pth": b"weights",
        "export.pth": b"a learner",
        ".trash/20261206-101500-ab12cd/train/cats/cat.1.jpg": b"a deleted picture",
    }
    for name, content in theirs.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(content)
    monkeypatch.setattr(samples, "GENERATOR_VERSION", samples.GENERATOR_VERSION + 1)
    assert ck.samples.dogscats(n_per_class=2, n_test=1) == path
    out = capsys.readouterr().out
    [aside] = [p for p in path.parent.iterdir() if p != path]
    assert aside.name.startswith(f"{path.name}.before-") and str(aside) in out
    assert "holds 3 file(s)" in out and "export.pth" in out
    for name, content in theirs.items():
        assert (aside / name).read_bytes() == content
        assert not (path / name).exists()  # the new set is coursekit's drawing alone
    assert (path / ".coursekit-sample.json").exists()


def test_sample_classes_differ_visibly():
    """Mean colours of two breeds differ a lot: the classes are learnable, not noise."""
    images = ck.samples.pets() / "images"

    def mean_centre(breed):
        crops = []
        for f in sorted(images.glob(f"{breed}_*.jpg"))[:10]:
            img = ck.open_image(f)
            w, h = img.size
            crops.append(
                np.asarray(img.crop((w * 0.4, h * 0.4, w * 0.6, h * 0.6)).resize((8, 8))).mean(
                    (0, 1)
                )
            )
        return np.median(crops, axis=0)

    assert np.abs(mean_centre("Bombay") - mean_centre("samoyed")).sum() > 200


def test_dogscats_can_have_a_bigger_validation_set():
    path = ck.samples.dogscats(n_per_class=8, n_test=1, n_valid=5, max_side=200)
    for split, n in (("train", 8), ("valid", 5)):
        for label in ("cats", "dogs"):
            assert len(list((path / split / label).glob("*.jpg"))) == n
    default = ck.samples.dogscats(n_per_class=8, n_test=1, max_side=200)
    assert len(list((default / "valid" / "cats").glob("*.jpg"))) == 2  # a quarter, at least 2
