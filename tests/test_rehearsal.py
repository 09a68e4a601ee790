"""The pieces of the full-mode rehearsal: the mirror's files, the picture-size cap, the CPU notice,
and the real photo that ships with coursekit."""

from __future__ import annotations

import csv
import json
import tarfile

import pytest
import torch
import torchvision

import coursekit as ck
from coursekit.config import max_picture_size
from coursekit.train import notices


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    from tools.mirror import build

    return build(tmp_path_factory.mktemp("mirror") / "root", n_per_class=2, quiet=True)


@pytest.mark.slow
def test_fastai_archives_have_the_real_names_layouts_and_checks(mirror):
    from tools.mirror import PET_BREEDS, first_mib_md5

    checks = json.loads((mirror / "checks.txt").read_text())
    pets = mirror / "s3.amazonaws.com/fast-ai-imageclas/oxford-iiit-pet.tgz"
    assert checks["https://s3.amazonaws.com/fast-ai-imageclas/oxford-iiit-pet.tgz"] == [
        pets.stat().st_size,
        first_mib_md5(pets),
    ]
    with tarfile.open(pets) as tf:
        names = tf.getnames()
    breeds = {
        n.split("/")[-1].rsplit("_", 1)[0]
        for n in names
        if n.startswith("oxford-iiit-pet/images/") and n.endswith(".jpg")
    }
    assert breeds == set(PET_BREEDS) and len(breeds) == 37
    assert sum(b[0].isupper() for b in breeds) == 12  # the cats
    assert (
        "oxford-iiit-pet/annotations/list.txt" in names
        and "oxford-iiit-pet/annotations/trimaps" in names
    )
    with tarfile.open(mirror / "s3.amazonaws.com/fast-ai-sample/dogscats.tgz") as tf:
        names = tf.getnames()
    for folder in (
        "dogscats/train/cats",
        "dogscats/valid/dogs",
        "dogscats/test1",
        "dogscats/sample/train/cats",
        "dogscats/models",
    ):
        assert folder in names, folder
    assert any(n.startswith("dogscats/train/cats/cat.") and n.endswith(".jpg") for n in names)
    for name in ("planet_sample", "planet_tiny"):
        with tarfile.open(mirror / f"s3.amazonaws.com/fast-ai-sample/{name}.tgz") as tf:
            assert f"{name}/labels.csv" in tf.getnames() and f"{name}/train" in tf.getnames()


def test_kaggle_competitions_have_kaggles_files(mirror):
    import py7zr

    from tools.mirror import DOG_BREEDS_120

    breeds = mirror / "kaggle/competitions/dog-breed-identification"
    rows = list(csv.DictReader((breeds / "labels.csv").read_text().splitlines()))
    assert len(DOG_BREEDS_120) == 120 and {r["breed"] for r in rows} == set(DOG_BREEDS_120)
    assert all((breeds / "train" / f"{r['id']}.jpg").is_file() for r in rows)
    header = next(csv.reader((breeds / "sample_submission.csv").read_text().splitlines()))
    assert header == ["id", *DOG_BREEDS_120] and any((breeds / "test").iterdir())
    planet = mirror / "kaggle/competitions/planet-understanding-the-amazon-from-space"
    assert sorted(p.name for p in planet.iterdir()) == [
        "sample_submission_v2.csv",
        "test-jpg.tar.7z",
        "train-jpg.tar.7z",
        "train_v2.csv",
    ]
    with py7zr.SevenZipFile(planet / "train-jpg.tar.7z") as z:
        assert z.getnames() == ["train-jpg.tar"]


@pytest.mark.parametrize("arch", ["resnet34", "resnet50", "resnext50_32x4d"])
def test_weight_files_load_through_torchvisions_api(mirror, arch, tmp_path, monkeypatch):
    from coursekit.train.weights import weights_enum, weights_file
    from tools.mirror import WEIGHTS

    weights = weights_enum(WEIGHTS[arch])
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    target = weights_file(weights.url)
    target.parent.mkdir(parents=True)
    target.write_bytes((mirror / weights.url.split("://", 1)[1]).read_bytes())
    model = getattr(torchvision.models, arch)(weights=weights)  # strict: every key and shape
    assert model.fc.weight.shape == (1000, model.fc.in_features)


def test_max_picture_size_reads_the_environment(monkeypatch):
    monkeypatch.delenv("COURSEKIT_MAX_SIZE", raising=False)
    assert max_picture_size() is None
    monkeypatch.setenv("COURSEKIT_MAX_SIZE", "64")
    assert max_picture_size() == 64
    monkeypatch.setenv("COURSEKIT_MAX_SIZE", "big")
    with pytest.raises(ValueError, match="COURSEKIT_MAX_SIZE='big'"):
        max_picture_size()


def test_the_cap_applies_to_every_size_and_says_so(tiny_pets, monkeypatch, capsys):
    monkeypatch.setenv("COURSEKIT_MAX_SIZE", "24")
    data = tiny_pets.with_size(48)
    assert data.size == 24 and data.with_size(96).size == 24
    assert next(iter(data.valid_dl))[0].shape[-1] == 24
    out = capsys.readouterr().out
    assert out.count("rehearsal: pictures capped at 24 px") == 2 and "instead of 96" in out
    monkeypatch.delenv("COURSEKIT_MAX_SIZE")
    assert tiny_pets.with_size(48).size == 48 and "capped" not in capsys.readouterr().out


@pytest.mark.slow
def test_a_torchvision_network_on_a_cpu_says_so_once(tiny_pets, monkeypatch, capsys):
    monkeypatch.setattr(notices, "_already_said", set())
    torch.manual_seed(0)
    learn = ck.Learner.pretrained("resnet18", tiny_pets, pretrained=False)
    learn.fit(1e-3, 1)
    first = capsys.readouterr().out
    learn.fit(1e-3, 1)
    out = first + capsys.readouterr().out
    assert "No GPU" in first and out.count("No GPU: resnet18 is training on the CPU") == 1
    assert "Runtime > Change runtime type" in out and "(3 batches)" in out
    small = ck.Learner.pretrained("tinyresnet", tiny_pets)
    monkeypatch.setattr(notices, "_already_said", set())
    small.fit(1e-3, 1)
    assert "No GPU" not in capsys.readouterr().out


def test_cpu_notice_text_gives_minutes_or_seconds():
    assert "(100 batches) will take about 12 minutes" in notices.cpu_estimate_text(720, 100)
    assert "about 40 seconds" in notices.cpu_estimate_text(40, 10)
    assert "about a second" in notices.cpu_estimate_text(0.2, 1)


LONG_STEPS = {
    "fit": lambda learn: learn.fit(1e-3, 1),
    "precompute": lambda learn: (setattr(learn, "precompute", True), learn.fit(1e-3, 1)),
    "lr_find": lambda learn: learn.lr_find(num_it=5),
}


@pytest.mark.slow
@pytest.mark.parametrize("step", LONG_STEPS)
def test_the_notice_comes_before_the_first_batch_of_the_first_long_step(
    tiny_pets, monkeypatch, capsys, step
):
    """What is happening and how to switch, before the first batch; how long, once a few are timed."""
    monkeypatch.setattr(notices, "_already_said", set())
    torch.manual_seed(0)
    learn = ck.Learner.pretrained("resnet18", tiny_pets, pretrained=False)
    before_first_batch: list[str] = []
    first_conv = next(m for m in learn.model.modules() if isinstance(m, torch.nn.Conv2d))
    first_conv.register_forward_pre_hook(
        lambda *_: (
            before_first_batch.append(capsys.readouterr().out) if not before_first_batch else None
        )
    )
    LONG_STEPS[step](learn)
    after = capsys.readouterr().out
    assert "No GPU: resnet18 is training on the CPU" in before_first_batch[0]
    assert "Runtime > Change runtime type > T4 GPU" in before_first_batch[0]
    assert "will take" not in before_first_batch[0] and "will take about" in after
    assert "No GPU" not in after  # once


@pytest.mark.slow
def test_the_cpu_notice_comes_before_the_precompute_pass_ends(tiny_pets, monkeypatch, capsys):
    """Lessons 02 and 03 precompute first: the notice used to wait for an epoch after that pass."""
    monkeypatch.setattr(notices, "_already_said", set())
    torch.manual_seed(0)
    learn = ck.Learner.pretrained("resnet18", tiny_pets, pretrained=False)
    learn.precompute = True
    learn.fit(1e-3, 1)
    out = capsys.readouterr().out
    assert out.count("No GPU: resnet18") == 1 and "Precomputing its train activations" in out
    assert out.index("No GPU") < out.index("epoch")  # before the first epoch's table
    learn.precompute = False
    learn.fit(1e-3, 1)
    assert "No GPU" not in capsys.readouterr().out  # once


@pytest.mark.slow
def test_the_cpu_notice_comes_during_a_first_lr_find(tiny_pets, monkeypatch, capsys):
    monkeypatch.setattr(notices, "_already_said", set())
    learn = ck.Learner.pretrained("resnet18", tiny_pets, pretrained=False)
    learn.lr_find(num_it=5)
    out = capsys.readouterr().out
    assert "No GPU: resnet18 is training on the CPU" in out
    assert "lr_find's run (5 batches) will take" in out


def test_a_real_photo_ships_with_coursekit():
    img = ck.open_image(ck.photo("chelsea"))
    assert img.size == (451, 300) and img.mode == "RGB"
    with pytest.raises(ValueError, match="choose one of"):
        ck.photo("my_photo")


def test_a_published_file_is_recognised_by_its_digest(tmp_path):
    import hashlib

    from coursekit.train.checks import is_published_file

    content = b"weights" * 1000
    good = tmp_path / f"net-{hashlib.sha256(content).hexdigest()[:8]}.pth"
    good.write_bytes(content)
    bad = tmp_path / "net-b627a593.pth"
    bad.write_bytes(content)
    assert is_published_file(good) and not is_published_file(bad)
    assert not is_published_file(tmp_path / "net-00000000.pth")  # missing


def test_check_result_in_each_mode(monkeypatch, capsys):
    from coursekit.train import checks

    class FakeLearner:
        arch = "resnet34"

    kw = dict(sample_bar=0.75, course=0.99, tolerance=0.01, learn=FakeLearner())
    checks.check_result("accuracy", 0.8, sample=True, **kw)
    assert "far better than guessing" in capsys.readouterr().out
    with pytest.raises(AssertionError, match=r"should reach 0\.75"):
        checks.check_result("accuracy", 0.6, sample=True, **kw)
    monkeypatch.setattr(checks, "has_published_weights", lambda arch: False)
    checks.check_result("accuracy", 0.5, sample=False, **kw)
    assert "Not compared" in capsys.readouterr().out
    monkeypatch.setattr(checks, "has_published_weights", lambda arch: True)
    checks.check_result("accuracy", 0.985, sample=False, **kw)
    assert "the course reported 0.99" in capsys.readouterr().out
    with pytest.raises(AssertionError, match=r"should reach 0\.980"):
        checks.check_result("accuracy", 0.97, sample=False, **kw)
    with pytest.raises(AssertionError, match=r"should reach 0\.060"):
        checks.check_result(
            "error rate", 0.07, sample=False, **{**kw, "course": 0.05}, lower_is_better=True
        )
    with pytest.raises(AssertionError, match="diverged"):
        checks.check_result("accuracy", float("nan"), sample=True, **kw)
