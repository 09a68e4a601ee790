"""A local mirror of the lessons' real sources, for rehearsing full mode offline.

Full mode downloads fast.ai's archives, two Kaggle competitions and torchvision's ImageNet
weights. None of them can be reached from a machine with no internet, so this tool builds a
stand-in for each, with the real file names, inner layouts and checksum conventions, and
serves them on 127.0.0.1:

* fast.ai's archives under their real URLs' paths (``s3.amazonaws.com/fast-ai-imageclas/
  oxford-iiit-pet.tgz`` ...), drawn from coursekit's sample pictures, and their checks in fast.ai's
  format — ``{url: [size, md5 of the first MiB]}`` — in ``checks.txt``;
* the Kaggle competitions ``dog-breed-identification`` and ``planet-understanding-the-amazon-from-
  space`` under ``kaggle/competitions/<slug>/``, answered by a stub of Kaggle's API (``/kaggle``), so
  the real client library (kagglehub) runs unchanged;
* torchvision's weight files for every architecture the lessons use, under
  ``download.pytorch.org/models/`` with torchvision's exact names, keys and shapes (random values).

Point coursekit at it with one switch, which changes nothing but where bytes come from::

    python -m tools.mirror serve /tmp/mirror        # builds the mirror once, then serves it
    COURSEKIT_MIRROR=http://127.0.0.1:PORT jupyter lab

The full-mode rehearsal (``pytest -m full_mode``) runs every lesson against it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from coursekit.data import samples
from coursekit.data.drawing import satellite_tile
from coursekit.fileio import atomic_write
from tools.mirror_kaggle import PLANET, PLANET_LAYOUTS, build_planet_layouts

__all__ = [
    "DOG_BREEDS_120",
    "MIRROR_VERSION",
    "PET_BREEDS",
    "WEIGHTS",
    "build",
    "first_mib_md5",
    "full_mode_env",
]

# Bump when the mirror's content changes: a folder built by an older version is rebuilt.
MIRROR_VERSION = 3
# Pictures per breed by default: few, so the rehearsal trains quickly, yet enough that lesson 3's
# split (20% of 120 breeds' pictures for validation) leaves every breed training pictures (with 4,
# all of siberian_husky's went to validation).
N_PER_CLASS = 6
MARKER = "mirror.json"

# The 37 breeds of Oxford-IIIT Pets: cats Capitalised, dogs lower_case, as in the real file names.
PET_BREEDS = [
    "Abyssinian",
    "Bengal",
    "Birman",
    "Bombay",
    "British_Shorthair",
    "Egyptian_Mau",
    "Maine_Coon",
    "Persian",
    "Ragdoll",
    "Russian_Blue",
    "Siamese",
    "Sphynx",
    "american_bulldog",
    "american_pit_bull_terrier",
    "basset_hound",
    "beagle",
    "boxer",
    "chihuahua",
    "english_cocker_spaniel",
    "english_setter",
    "german_shorthaired",
    "great_pyrenees",
    "havanese",
    "japanese_chin",
    "keeshond",
    "leonberger",
    "miniature_pinscher",
    "newfoundland",
    "pomeranian",
    "pug",
    "saint_bernard",
    "samoyed",
    "scottish_terrier",
    "shiba_inu",
    "staffordshire_bull_terrier",
    "wheaten_terrier",
    "yorkshire_terrier",
]

# The 120 breeds of Kaggle's dog-breed-identification (Stanford Dogs), as spelt in its labels.csv.
DOG_BREEDS_120 = [
    "affenpinscher",
    "afghan_hound",
    "african_hunting_dog",
    "airedale",
    "american_staffordshire_terrier",
    "appenzeller",
    "australian_terrier",
    "basenji",
    "basset",
    "beagle",
    "bedlington_terrier",
    "bernese_mountain_dog",
    "black-and-tan_coonhound",
    "blenheim_spaniel",
    "bloodhound",
    "bluetick",
    "border_collie",
    "border_terrier",
    "borzoi",
    "boston_bull",
    "bouvier_des_flandres",
    "boxer",
    "brabancon_griffon",
    "briard",
    "brittany_spaniel",
    "bull_mastiff",
    "cairn",
    "cardigan",
    "chesapeake_bay_retriever",
    "chihuahua",
    "chow",
    "clumber",
    "cocker_spaniel",
    "collie",
    "curly-coated_retriever",
    "dandie_dinmont",
    "dhole",
    "dingo",
    "doberman",
    "english_foxhound",
    "english_setter",
    "english_springer",
    "entlebucher",
    "eskimo_dog",
    "flat-coated_retriever",
    "french_bulldog",
    "german_shepherd",
    "german_short-haired_pointer",
    "giant_schnauzer",
    "golden_retriever",
    "gordon_setter",
    "great_dane",
    "great_pyrenees",
    "greater_swiss_mountain_dog",
    "groenendael",
    "ibizan_hound",
    "irish_setter",
    "irish_terrier",
    "irish_water_spaniel",
    "irish_wolfhound",
    "italian_greyhound",
    "japanese_spaniel",
    "keeshond",
    "kelpie",
    "kerry_blue_terrier",
    "komondor",
    "kuvasz",
    "labrador_retriever",
    "lakeland_terrier",
    "leonberg",
    "lhasa",
    "malamute",
    "malinois",
    "maltese_dog",
    "mexican_hairless",
    "miniature_pinscher",
    "miniature_poodle",
    "miniature_schnauzer",
    "newfoundland",
    "norfolk_terrier",
    "norwegian_elkhound",
    "norwich_terrier",
    "old_english_sheepdog",
    "otterhound",
    "papillon",
    "pekinese",
    "pembroke",
    "pomeranian",
    "pug",
    "redbone",
    "rhodesian_ridgeback",
    "rottweiler",
    "saint_bernard",
    "saluki",
    "samoyed",
    "schipperke",
    "scotch_terrier",
    "scottish_deerhound",
    "sealyham_terrier",
    "shetland_sheepdog",
    "shih-tzu",
    "siberian_husky",
    "silky_terrier",
    "soft-coated_wheaten_terrier",
    "staffordshire_bullterrier",
    "standard_poodle",
    "standard_schnauzer",
    "sussex_spaniel",
    "tibetan_mastiff",
    "tibetan_terrier",
    "toy_poodle",
    "toy_terrier",
    "vizsla",
    "walker_hound",
    "weimaraner",
    "welsh_springer_spaniel",
    "west_highland_white_terrier",
    "whippet",
    "wire-haired_fox_terrier",
    "yorkshire_terrier",
]

# torchvision weights the lessons' full mode uses: the enum member Learner.pretrained asks for.
WEIGHTS = {
    "resnet34": "ResNet34_Weights.IMAGENET1K_V1",
    "resnet50": "ResNet50_Weights.IMAGENET1K_V2",
    "resnext50_32x4d": "ResNeXt50_32X4D_Weights.IMAGENET1K_V2",
}

FASTAI_IMAGECLAS = "s3.amazonaws.com/fast-ai-imageclas"
FASTAI_SAMPLE = "s3.amazonaws.com/fast-ai-sample"
PATTERNS = ("solid", "stripes", "spots", "checks")


def first_mib_md5(path: Path) -> str:
    """fast.ai's checksum: the MD5 of a file's first MiB (2**20 bytes)."""
    with open(path, "rb") as f:
        return hashlib.md5(f.read(2**20)).hexdigest()


def _breed_look(name: str) -> tuple[str, tuple[int, int, int], tuple[int, int, int], str]:
    """A fur colour, a second colour and a pattern for a breed, fixed by its name."""
    rng = samples._rng("mirror-breed", name)
    colour = tuple(int(v) for v in rng.integers(20, 250, 3))
    second = tuple(int(v) for v in rng.integers(20, 250, 3))
    return name, colour, second, PATTERNS[int(rng.integers(len(PATTERNS)))]


def _photo(key: tuple, name: str, ears: str) -> Image.Image:
    """A drawn pet the size of the real sets' photos (about 500x375)."""
    return samples._draw_breed(key, _breed_look(name), ears, 300, 500)


def _tar(src: Path, archive: Path, arcname: str, mode: str = "w:gz") -> None:
    with tarfile.open(archive, mode) as tf:
        tf.add(src, arcname=arcname)


# ---------------------------------------------------------------------------- fast.ai's archives


def _pets(out: Path, n: int) -> None:
    """oxford-iiit-pet/images/<Breed>_<n>.jpg for all 37 breeds, plus annotations/ as in the real set."""
    images, notes = out / "images", out / "annotations"
    (notes / "trimaps").mkdir(parents=True)
    (notes / "xmls").mkdir()
    images.mkdir()
    listing = [
        "#Image CLASS-ID SPECIES BREED-ID",
        "#CLASS-ID: 1:37 Class ids",
        "#SPECIES: 1:Cat 2:Dog",
        "#BREED-ID: 1-25:Dog 1:12:Cat",
        "#All images with 1st letter as captial are cat images",
        "#images with small first letter are dog images",
    ]
    trainval, test = [], []
    cats = [b for b in PET_BREEDS if b[0].isupper()]
    dogs = [b for b in PET_BREEDS if b[0].islower()]
    for class_id, breed in enumerate(sorted(PET_BREEDS, key=str.lower), start=1):
        is_cat = breed in cats
        breed_id = (cats if is_cat else dogs).index(breed) + 1
        for i in range(1, n + 1):
            stem = f"{breed}_{i}"
            img = _photo(("pets", breed, i), breed, "pointy" if is_cat else "floppy")
            img.save(images / f"{stem}.jpg", "JPEG", quality=90)
            row = f"{stem} {class_id} {1 if is_cat else 2} {breed_id}"
            listing.append(row)
            (trainval if i % 2 else test).append(row)
            if i == 1:  # a trimap and a bounding box for some images, as in the real set
                w, h = img.size
                trimap = np.full((h, w), 2, np.uint8)
                trimap[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = 1
                Image.fromarray(trimap).save(notes / "trimaps" / f"{stem}.png")
                (notes / "xmls" / f"{stem}.xml").write_text(
                    f"<annotation><filename>{stem}.jpg</filename><size><width>{w}</width><height>{h}</height>"
                    f"<depth>3</depth></size><object><name>{'cat' if is_cat else 'dog'}</name><bndbox>"
                    f"<xmin>{w // 4}</xmin><ymin>{h // 4}</ymin><xmax>{3 * w // 4}</xmax><ymax>{3 * h // 4}"
                    "</ymax></bndbox></object></annotation>"
                )
    (notes / "list.txt").write_text("\n".join(listing) + "\n")
    (notes / "trainval.txt").write_text("\n".join(trainval) + "\n")
    (notes / "test.txt").write_text("\n".join(test) + "\n")
    (notes / "README").write_text("Oxford-IIIT Pet Dataset (coursekit mirror: drawn stand-ins).\n")
    for breed in cats[:2]:  # the real images/ folder also holds a few MATLAB files
        (images / f"{breed}_{n + 1}.mat").write_bytes(
            b"MATLAB 5.0 MAT-file, Platform: GLNXA64" + bytes(90)
        )


def _dogscats(out: Path, n: int) -> None:
    """dogscats/{train,valid}/{cats,dogs}/cat.<n>.jpg, test1/<n>.jpg, sample/ and models/."""
    number = 1
    breeds = {
        "cat": [b for b in PET_BREEDS if b[0].isupper()],
        "dog": [b for b in PET_BREEDS if b[0].islower()],
    }
    for split, count in (("train", n), ("valid", max(2, n // 2))):
        for label, ears in (("cat", "pointy"), ("dog", "floppy")):
            folder = out / split / f"{label}s"
            folder.mkdir(parents=True)
            for i in range(count):
                breed = breeds[label][(i * 7) % len(breeds[label])]
                _photo(("dogscats", split, label, i), breed, ears).save(
                    folder / f"{label}.{number}.jpg", "JPEG", quality=90
                )
                number += 1
    (out / "test1").mkdir()
    for i in range(max(4, n // 2)):
        label_ears = ("pointy", "floppy")[i % 2]
        _photo(("dogscats", "test", i), PET_BREEDS[i % len(PET_BREEDS)], label_ears).save(
            out / "test1" / f"{i + 1}.jpg", "JPEG", quality=90
        )
    for split in ("train", "valid"):  # sample/: a few of the same files, as in the real archive
        for label in ("cats", "dogs"):
            folder = out / "sample" / split / label
            folder.mkdir(parents=True)
            for f in sorted((out / split / label).iterdir())[:4]:
                shutil.copy2(f, folder / f.name)
    (out / "models").mkdir()


def _planet_tiles(folder: Path, prefix: str, n: int, seed: str) -> list[tuple[str, str]]:
    folder.mkdir(parents=True)
    rows = []
    for i in range(n):
        rng = samples._rng("mirror-planet", seed, i)
        tags = samples.planet_tags(rng, samples.PLANET_WEATHER[i % len(samples.PLANET_WEATHER)])
        satellite_tile(rng, 256, tags).save(folder / f"{prefix}_{i}.jpg", "JPEG", quality=90)
        rows.append((f"{prefix}_{i}", " ".join(tags)))
    return rows


def _planet_fastai(out: Path, n: int) -> None:
    """planet_tiny/ and planet_sample/: ``labels.csv`` (image_name,tags) and ``train/``."""
    rows = _planet_tiles(out / "train", "train", n, out.name)
    with open(out / "labels.csv", "w", newline="") as f:
        csv.writer(f).writerows([("image_name", "tags"), *rows])


# -------------------------------------------------------------------------------- Kaggle's files


def _dog_breeds(out: Path, n: int) -> None:
    """dog-breed-identification: labels.csv (id,breed), sample_submission.csv, train/, test/."""
    (out / "train").mkdir(parents=True)
    (out / "test").mkdir()
    rows = []
    for breed in DOG_BREEDS_120:
        for i in range(n):
            image_id = samples._rng("mirror-dogbreeds-id", breed, i).bytes(16).hex()
            _photo(("dogbreeds", breed, i), breed, "floppy").save(
                out / "train" / f"{image_id}.jpg", "JPEG", quality=90
            )
            rows.append((image_id, breed))
    with open(out / "labels.csv", "w", newline="") as f:
        csv.writer(f).writerows([("id", "breed"), *sorted(rows)])
    test_ids = []
    for i in range(max(10, n * 10)):
        image_id = samples._rng("mirror-dogbreeds-test", i).bytes(16).hex()
        breed = DOG_BREEDS_120[i % len(DOG_BREEDS_120)]
        _photo(("dogbreeds-test", i), breed, "floppy").save(
            out / "test" / f"{image_id}.jpg", "JPEG", quality=90
        )
        test_ids.append(image_id)
    with open(out / "sample_submission.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", *DOG_BREEDS_120])
        writer.writerows([i, *[f"{1 / 120:.6f}"] * 120] for i in sorted(test_ids))


def _tar_7z(folder: Path, dest: Path) -> None:
    """``train-jpg.tar.7z`` as Kaggle serves it: a 7-Zip archive holding ``train-jpg.tar``."""
    import py7zr

    tar = dest.with_suffix("")  # train-jpg.tar
    _tar(folder, tar, folder.name, mode="w")
    with py7zr.SevenZipFile(dest, "w") as z:
        z.write(tar, tar.name)
    tar.unlink()


def _planet_kaggle(out: Path, n: int, work: Path) -> None:
    """planet-understanding-the-amazon-from-space: train_v2.csv, sample_submission_v2.csv,
    train-jpg.tar.7z and test-jpg.tar.7z."""
    out.mkdir(parents=True)
    rows = _planet_tiles(work / "train-jpg", "train", n, "train")
    with open(out / "train_v2.csv", "w", newline="") as f:
        csv.writer(f).writerows([("image_name", "tags"), *rows])
    test = _planet_tiles(work / "test-jpg", "test", max(8, n // 4), "test")
    with open(out / "sample_submission_v2.csv", "w", newline="") as f:
        csv.writer(f).writerows(
            [("image_name", "tags"), *[(name, "clear primary") for name, _ in test]]
        )
    _tar_7z(work / "train-jpg", out / "train-jpg.tar.7z")
    _tar_7z(work / "test-jpg", out / "test-jpg.tar.7z")


# ------------------------------------------------------------------------------- torchvision's files


def _weights(out: Path) -> dict[str, str]:
    """torchvision's weight files with the exact names, keys and shapes (random values)."""
    import torch
    import torchvision

    urls = {}
    for arch, spec in WEIGHTS.items():
        enum_name, member = spec.split(".")
        url = getattr(getattr(torchvision.models, enum_name), member).url
        dest = out / url.split("://", 1)[1]
        dest.parent.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(0)
        torch.save(getattr(torchvision.models, arch)(weights=None).state_dict(), dest)
        urls[arch] = url
    return urls


# ------------------------------------------------------------------------------------- the mirror


def build(root: Path, n_per_class: int | None = None, quiet: bool = False) -> Path:
    """Build the mirror's files under ``root`` (once: a finished build is reused) and return ``root``.

    ``n_per_class`` sets how many pictures each breed gets (default ``N_PER_CLASS``: 222 pets, 720
    dog-breed images); None reuses a finished mirror of any size. Built in a temporary sibling folder renamed
    into place, so ``root`` is whole or absent.
    """
    root = Path(root)
    marker = root / MARKER
    if marker.exists():
        built = json.loads(marker.read_text())
        if built["version"] == MIRROR_VERSION and n_per_class in (None, built["n_per_class"]):
            return root
    n_per_class = n_per_class or N_PER_CLASS
    wanted = {"version": MIRROR_VERSION, "n_per_class": n_per_class}
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(
            f"{root} is not empty and holds no finished mirror; choose an empty or new folder."
        )
    say: Callable[[str], None] = (lambda _: None) if quiet else (lambda s: print(s, flush=True))
    start = time.perf_counter()

    def build(tmp: Path) -> None:
        work = tmp / ".work"
        checks = {}

        def archive(url_path: str, name: str, fill: Callable[[Path], None]) -> None:
            folder = work / name
            folder.mkdir(parents=True)
            fill(folder)
            dest = tmp / url_path
            dest.parent.mkdir(parents=True, exist_ok=True)
            _tar(folder, dest, name)
            checks[f"https://{url_path}"] = [dest.stat().st_size, first_mib_md5(dest)]
            say(f"  {url_path}: {dest.stat().st_size / 1e6:.1f} MB")

        say(f"building the mirror in {root} ...")
        archive(
            f"{FASTAI_IMAGECLAS}/oxford-iiit-pet.tgz",
            "oxford-iiit-pet",
            lambda p: _pets(p, n_per_class),
        )
        archive(
            f"{FASTAI_SAMPLE}/dogscats.tgz", "dogscats", lambda p: _dogscats(p, 2 * n_per_class)
        )
        archive(
            f"{FASTAI_SAMPLE}/planet_sample.tgz",
            "planet_sample",
            lambda p: _planet_fastai(p, 8 * n_per_class),
        )
        archive(
            f"{FASTAI_SAMPLE}/planet_tiny.tgz",
            "planet_tiny",
            lambda p: _planet_fastai(p, 2 * n_per_class),
        )
        competitions = tmp / "kaggle" / "competitions"
        _dog_breeds(
            competitions / "dog-breed-identification", n_per_class
        )  # every breed in training too
        _planet_kaggle(
            competitions / "planet-understanding-the-amazon-from-space",
            8 * n_per_class,
            work / "planet",
        )
        build_planet_layouts(
            competitions / "planet-understanding-the-amazon-from-space",
            work / "planet",
            tmp / "kaggle" / "layouts",
        )
        say(
            "  kaggle/competitions: dog-breed-identification, planet-understanding-the-amazon-from-space"
            f" (and its layouts {', '.join(PLANET_LAYOUTS)} in kaggle/layouts)"
        )
        for arch, url in _weights(tmp).items():
            path = tmp / url.split("://", 1)[1]
            checks[url] = [path.stat().st_size, first_mib_md5(path)]
            say(f"  {url.split('://', 1)[1]}: {path.stat().st_size / 1e6:.1f} MB ({arch})")
        (tmp / "checks.txt").write_text(json.dumps(checks, indent=1, sort_keys=True) + "\n")
        shutil.rmtree(work)
        (tmp / MARKER).write_text(json.dumps(wanted))
        if root.exists():
            root.rmdir()  # empty (checked above)

    atomic_write(root, build)
    say(f"mirror built in {time.perf_counter() - start:.0f} s")
    return root


def full_mode_env(work: Path) -> dict[str, str]:
    """The environment of a student's machine in full mode, with its caches under ``work``: what
    ``coursekit data --full all`` fills, and the lessons then read (the Kaggle key is the stub's)."""
    return {
        "COURSEKIT_HOME": str(work / "coursekit"),
        "TORCH_HOME": str(work / "torch"),
        "KAGGLEHUB_CACHE": str(work / "kagglehub"),
        "KAGGLE_USERNAME": "student",
        "KAGGLE_KEY": "0123456789abcdef",
        "COURSEKIT_SAMPLE": "0",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.mirror",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command", choices=["build", "serve"], help="build the files, or build and serve them"
    )
    parser.add_argument("root", type=Path, help="the mirror's folder")
    parser.add_argument(
        "--n-per-class",
        type=int,
        default=None,
        help=f"pictures per breed (default: {N_PER_CLASS}, or the size of the mirror already there)",
    )
    parser.add_argument(
        "--planet-layout",
        choices=["2017", *PLANET_LAYOUTS],
        default="2017",
        help="which of Kaggle's layouts of the Planet competition to serve (default: 2017)",
    )
    args = parser.parse_args(argv)
    build(args.root, args.n_per_class)
    if args.command == "serve":
        from tools.mirror_server import MirrorServer

        layout = {} if args.planet_layout == "2017" else {PLANET: args.planet_layout}
        with MirrorServer(args.root, kaggle_layout=layout) as server:
            print(
                f"serving {args.root} at {server.url}\n\n    export COURSEKIT_MIRROR={server.url}\n\n"
                "Ctrl-C stops it.",
                flush=True,
            )
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
