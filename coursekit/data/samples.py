"""Offline sample data sets, in the exact layout and file naming of the lessons' real ones.

``ck.samples.pets()`` and friends draw small, learnable image sets into the cache directory
(``$COURSEKIT_HOME/samples``) the first time they are called and return their path; later calls
return the cached set. Each lesson's sample mode uses them, so every lesson runs offline::

    path = ck.samples.pets() if SAMPLE else ck.untar_data(ck.URLs.PETS)

Like the real sets they contain oddities that a data pipeline must survive: grayscale, CMYK,
palette and RGBA files (the last two are PNGs named ``.jpg``, as in Oxford-IIIT Pets), and
JPEGs whose EXIF orientation says "rotate me".
"""

from __future__ import annotations

import csv
import hashlib
import inspect
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from coursekit.config import coursekit_home
from coursekit.data.drawing import draw_animal, photo_size, satellite_tile
from coursekit.fileio import atomic_write, files_not_in, move_folder_aside

__all__ = [
    "CAT_BREEDS",
    "DOG_BREEDS",
    "GENERATOR_VERSION",
    "PLANET_LAND",
    "PLANET_WEATHER",
    "dogbreeds",
    "dogscats",
    "pets",
    "planet",
]

# Bump when the drawings change: cached sets made by an older generator are then redrawn.
GENERATOR_VERSION = 1
MARKER = ".coursekit-sample.json"

# (breed, fur colour, second colour, pattern): cats are Capitalised, dogs lower_case, as in the real set.
CAT_BREEDS = [
    ("Abyssinian", (190, 120, 60), (150, 90, 40), "stripes"),
    ("Bengal", (215, 160, 70), (70, 45, 25), "spots"),
    ("Bombay", (35, 30, 30), (50, 45, 45), "solid"),
    ("British_Shorthair", (135, 140, 155), (115, 120, 135), "solid"),
    ("Siamese", (235, 220, 190), (90, 60, 45), "checks"),
    ("Russian_Blue", (95, 110, 140), (70, 85, 115), "stripes"),
]
DOG_BREEDS = [
    ("beagle", (200, 140, 70), (250, 250, 245), "checks"),
    ("pug", (220, 190, 140), (60, 50, 40), "solid"),
    ("samoyed", (245, 245, 240), (225, 225, 220), "solid"),
    ("newfoundland", (30, 25, 25), (60, 50, 45), "stripes"),
    ("shiba_inu", (215, 110, 40), (245, 230, 210), "stripes"),
    ("english_setter", (245, 240, 235), (60, 40, 30), "spots"),
]
# dog breeds for the Kaggle competition layout (lower_case, as in labels.csv)
KAGGLE_BREEDS = [
    ("afghan_hound", (225, 200, 150), (200, 170, 120), "stripes"),
    ("basenji", (190, 100, 45), (245, 240, 235), "checks"),
    ("beagle", (200, 140, 70), (250, 250, 245), "checks"),
    ("dalmatian", (245, 245, 245), (20, 20, 20), "spots"),
    ("doberman", (30, 25, 25), (150, 80, 40), "checks"),
    ("golden_retriever", (225, 170, 80), (210, 150, 60), "solid"),
    ("malamute", (130, 130, 140), (245, 245, 245), "stripes"),
    ("scottish_deerhound", (120, 115, 110), (90, 85, 80), "spots"),
]
PLANET_WEATHER = ["clear", "partly_cloudy", "cloudy", "haze"]
PLANET_LAND = {"primary": 0.8, "agriculture": 0.35, "water": 0.3, "road": 0.3, "habitation": 0.2}


# ---------------------------------------------------------------------------------- writing files


def _odd_save(img: Image.Image, path: Path, oddity: str | None) -> None:
    """Save ``img`` at ``path`` as a JPEG, or with one of the real data sets' oddities."""
    if oddity == "grayscale":
        img.convert("L").save(path, "JPEG", quality=90)
    elif oddity == "cmyk":
        img.convert("CMYK").save(path, "JPEG", quality=90)
    elif oddity == "palette":  # a GIF-like PNG with a .jpg name
        img.convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(path, "PNG")
    elif oddity == "rgba":  # a PNG with transparency and a .jpg name
        rgba = img.convert("RGBA")
        rgba.putalpha(Image.new("L", img.size, 230))
        rgba.save(path, "PNG")
    elif oddity == "exif_rotated":  # stored sideways; EXIF orientation 6 turns it upright
        exif = Image.Exif()
        exif[0x0112] = 6
        img.transpose(Image.Transpose.ROTATE_90).save(path, "JPEG", quality=90, exif=exif.tobytes())
    else:
        img.save(path, "JPEG", quality=90)


ODDITIES = ("grayscale", "cmyk", "palette", "rgba", "exif_rotated")


def _oddity_for(index: int, n_total: int) -> str | None:
    """Spread one of each oddity through a set (every ~n/8 images), the rest plain JPEGs."""
    step = max(3, n_total // 8)
    slot = index // step
    return ODDITIES[slot] if index % step == step // 2 and slot < len(ODDITIES) else None


def _rng(*key: object) -> np.random.Generator:
    """A generator seeded by ``key``, so each image is reproducible on its own."""
    digest = hashlib.sha256(repr(key).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _defaults(fn: Callable) -> dict:
    """The default arguments of a sample function: those sets get the plain folder name."""
    return {k: v.default for k, v in inspect.signature(fn).parameters.items()}


def _cached(name: str, params: dict, build: Callable[[Path, dict], None], defaults: dict) -> Path:
    """Return the sample set ``name`` made with ``params``, drawing it first if needed.

    The set is drawn into a temporary folder and renamed into place, and a marker naming the
    generator version is written last, so an interrupted run is never mistaken for a finished one.
    An older drawing of the set is replaced, unless it holds files coursekit did not draw (the
    student's ``models/``, ``export.pth``, the cleaner's ``.trash/``): then it is moved aside whole,
    with a notice naming them (``move_folder_aside``). Nothing the student wrote is deleted.
    """
    root = coursekit_home() / "samples"
    suffix = (
        ""
        if params == defaults
        else "-" + hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
    )
    dest = root / f"{name}{suffix}"
    wanted = {"version": GENERATOR_VERSION, "name": name, "params": params}
    marker = dest / MARKER
    if marker.exists():
        try:
            if json.loads(marker.read_text()) == wanted:
                return dest
        except (OSError, ValueError):
            pass

    notice = []

    def build_whole(tmp: Path) -> None:
        tmp.mkdir()
        build(tmp, params)
        (tmp / MARKER).write_text(json.dumps(wanted))
        if not dest.exists():
            return
        if files_not_in(dest, tmp):  # a student's models/, export.pth, .trash/, ...: kept
            what = (
                f"The sample set {dest.name} was drawn afresh (coursekit draws it differently now)"
            )
            notice.append(move_folder_aside(dest, tmp, what))
        else:
            shutil.rmtree(dest)  # an older build of this set, every file in it drawn by coursekit

    atomic_write(dest, build_whole)
    for text in notice:
        print(text, flush=True)
    return dest


# ------------------------------------------------------------------------------------ the four sets


def _draw_breed(key: tuple, breed: tuple, ears: str, min_side: int, max_side: int) -> Image.Image:
    rng = _rng(*key)
    _, colour, second, pattern = breed
    return draw_animal(
        rng,
        photo_size(rng, min_side, max_side),
        ears=ears,
        pattern=pattern,
        colour=colour,
        second=second,
    )


def _build_pets(path: Path, p: dict) -> None:
    images = path / "images"
    images.mkdir()
    breeds = [(b, "pointy") for b in CAT_BREEDS] + [(b, "floppy") for b in DOG_BREEDS]
    n_total = len(breeds) * p["n_per_class"]
    for c, (breed, ears) in enumerate(breeds):
        for i in range(p["n_per_class"]):
            img = _draw_breed(("pets", p["seed"], c, i), breed, ears, p["min_side"], p["max_side"])
            _odd_save(
                img,
                images / f"{breed[0]}_{i + 1}.jpg",
                _oddity_for(c * p["n_per_class"] + i, n_total),
            )
    for breed, _ in breeds[:3]:  # the real images/ folder also holds a few MATLAB files
        (images / f"{breed[0]}_{p['n_per_class'] + 1}.mat").write_bytes(
            b"MATLAB 5.0 MAT-file, Platform: GLNXA64" + bytes(90)
        )


def _build_dogscats(path: Path, p: dict) -> None:
    # Colours and patterns are shared by both classes: only the shape of the head tells them apart.
    fur = CAT_BREEDS + DOG_BREEDS
    n_valid = p.get("n_valid") or max(2, p["n_per_class"] // 4)
    counts = {"train": p["n_per_class"], "valid": n_valid}
    number = 1
    for split, n in counts.items():
        for label, ears in (("cat", "pointy"), ("dog", "floppy")):
            folder = path / split / f"{label}s"
            folder.mkdir(parents=True)
            for i in range(n):
                breed = fur[(i * 7 + len(label)) % len(fur)]
                img = _draw_breed(
                    ("dogscats", p["seed"], split, label, i),
                    breed,
                    ears,
                    p["min_side"],
                    p["max_side"],
                )
                _odd_save(
                    img,
                    folder / f"{label}.{number}.jpg",
                    _oddity_for(i, n) if split == "train" else None,
                )
                number += 1
    test = path / "test1"
    test.mkdir()
    for i in range(p["n_test"]):
        label, ears = (("cat", "pointy"), ("dog", "floppy"))[i % 2]
        img = _draw_breed(
            ("dogscats", p["seed"], "test", i),
            fur[i % len(fur)],
            ears,
            p["min_side"],
            p["max_side"],
        )
        img.save(test / f"{i + 1}.jpg", "JPEG", quality=90)


def _build_dogbreeds(path: Path, p: dict) -> None:
    train, test = path / "train", path / "test"
    train.mkdir()
    test.mkdir()
    rows = []
    n_total = len(KAGGLE_BREEDS) * p["n_per_class"]
    for c, breed in enumerate(KAGGLE_BREEDS):
        for i in range(p["n_per_class"]):
            rng = _rng("dogbreeds-id", p["seed"], c, i)
            image_id = rng.bytes(16).hex()
            img = _draw_breed(
                ("dogbreeds", p["seed"], c, i), breed, "floppy", p["min_side"], p["max_side"]
            )
            _odd_save(
                img, train / f"{image_id}.jpg", _oddity_for(c * p["n_per_class"] + i, n_total)
            )
            rows.append((image_id, breed[0]))
    rows.sort()  # Kaggle's labels.csv is sorted by id
    with open(path / "labels.csv", "w", newline="") as f:
        csv.writer(f).writerows([("id", "breed"), *rows])
    names = sorted(b[0] for b in KAGGLE_BREEDS)
    test_ids = []
    for i in range(p["n_test"]):
        image_id = _rng("dogbreeds-test-id", p["seed"], i).bytes(16).hex()
        img = _draw_breed(
            ("dogbreeds-test", p["seed"], i),
            KAGGLE_BREEDS[i % len(KAGGLE_BREEDS)],
            "floppy",
            p["min_side"],
            p["max_side"],
        )
        img.save(test / f"{image_id}.jpg", "JPEG", quality=90)
        test_ids.append(image_id)
    with open(path / "sample_submission.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", *names])
        writer.writerows(
            [image_id, *[f"{1 / len(names):.6f}"] * len(names)] for image_id in sorted(test_ids)
        )


def planet_tags(rng: np.random.Generator, weather: str) -> list[str]:
    """Exactly one weather tag, plus land tags (none under full cloud, as in the real set)."""
    if weather == "cloudy":
        return ["cloudy"]
    land = [tag for tag, prob in PLANET_LAND.items() if rng.random() < prob]
    return [weather, *(land or ["primary"])]


def _build_planet(path: Path, p: dict) -> None:
    train, test = path / "train-jpg", path / "test-jpg"
    train.mkdir()
    test.mkdir()
    rows, n = [], len(PLANET_WEATHER) * p["n_per_class"]
    for i in range(n):
        rng = _rng("planet", p["seed"], i)
        tags = planet_tags(rng, PLANET_WEATHER[i % len(PLANET_WEATHER)])
        odd = _oddity_for(i, n)
        _odd_save(
            satellite_tile(rng, p["side"], tags),
            train / f"train_{i}.jpg",
            odd if odd in ("grayscale", "cmyk", "exif_rotated") else None,
        )
        rows.append((f"train_{i}", " ".join(tags)))
    with open(path / "train_v2.csv", "w", newline="") as f:
        csv.writer(f).writerows([("image_name", "tags"), *rows])
    for i in range(p["n_test"]):
        rng = _rng("planet-test", p["seed"], i)
        satellite_tile(rng, p["side"], planet_tags(rng, PLANET_WEATHER[i % 4])).save(
            test / f"test_{i}.jpg", "JPEG", quality=90
        )


def pets(n_per_class: int = 30, seed: int = 0, min_side: int = 160, max_side: int = 400) -> Path:
    """Oxford-IIIT Pets in miniature: ``images/<Breed>_<n>.jpg`` for 6 cat and 6 dog breeds.

    Cat breeds are Capitalised and dog breeds lower_case, so ``pat=PETS_PATTERN``
    (``coursekit.data.labels``) labels them as in lesson 1. The folder also holds a few ``.mat`` files, like the real one.

    >>> path = pets()
    >>> data = ImageData.from_name_re(path/'images', pat=PETS_PATTERN, size=64)
    """
    params = dict(n_per_class=n_per_class, seed=seed, min_side=min_side, max_side=max_side)
    return _cached("pets", params, _build_pets, _defaults(pets))


def dogscats(
    n_per_class: int = 60,
    n_test: int = 20,
    seed: int = 0,
    min_side: int = 160,
    max_side: int = 400,
    n_valid: int | None = None,
) -> Path:
    """Dogs vs cats (lesson 2): ``train/{cats,dogs}/cat.<n>.jpg``, ``valid/...``, unlabeled ``test1/``.
    ``n_per_class`` training pictures per class; ``n_valid`` validation pictures per class (default
    a quarter of ``n_per_class``, at least 2).

    >>> data = ImageData.from_folder(dogscats(), train='train', valid='valid', test='test1', size=64)
    """
    params = dict(
        n_per_class=n_per_class,
        n_test=n_test,
        seed=seed,
        min_side=min_side,
        max_side=max_side,
        n_valid=n_valid,
    )
    return _cached("dogscats", params, _build_dogscats, _defaults(dogscats))


def dogbreeds(
    n_per_class: int = 30, n_test: int = 20, seed: int = 0, min_side: int = 160, max_side: int = 400
) -> Path:
    """Kaggle dog breeds (lesson 3): ``train/<hex id>.jpg``, ``labels.csv`` (id,breed), ``test/``,
    ``sample_submission.csv``.

    >>> data = ImageData.from_csv(dogbreeds(), folder='train', csv='labels.csv', suffix='.jpg', test='test')
    """
    params = dict(
        n_per_class=n_per_class, n_test=n_test, seed=seed, min_side=min_side, max_side=max_side
    )
    return _cached("dogbreeds", params, _build_dogbreeds, _defaults(dogbreeds))


def planet(n_per_class: int = 50, n_test: int = 20, seed: int = 0, side: int = 256) -> Path:
    """Kaggle Planet (lesson 4, multi-label): ``train-jpg/train_<n>.jpg``, ``train_v2.csv``
    (image_name,tags — one weather tag plus land tags), ``test-jpg/``. ``n_per_class`` tiles per
    weather tag.

    >>> data = ImageData.from_csv(planet(), folder='train-jpg', csv='train_v2.csv', suffix='.jpg', label_delim=' ')
    """
    params = dict(n_per_class=n_per_class, n_test=n_test, seed=seed, side=side)
    return _cached("planet", params, _build_planet, _defaults(planet))
