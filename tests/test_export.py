"""export / load_learner / predict: one self-contained file, the same predictions, no code run."""

import io
import shutil

import numpy as np
import pytest
import torch

import coursekit as ck


@pytest.fixture
def trained(tiny_pets):
    torch.manual_seed(0)
    learn = ck.Learner.pretrained("resnet18", tiny_pets, pretrained=False)
    learn.fit(1e-2, 1, quiet=True)
    return learn


@pytest.mark.slow
def test_round_trip_gives_identical_predictions_without_the_data(trained, tmp_path):
    path = trained.export(tmp_path / "pets")
    assert path == tmp_path / "pets.pth" and not list(tmp_path.glob(".*.tmp"))
    state = torch.load(path, weights_only=True)  # tensors and plain data only
    assert state["classes"] == trained.data.classes and state["size"] == 32
    # the learner must not need the data set: copy one photo out, then make the images unreachable
    photo = tmp_path / "photo.jpg"
    shutil.copy(trained.data.valid_paths[0], photo)
    loaded = ck.load_learner(path, device="cpu")
    assert loaded.data.valid_ds is None and loaded.data.classes == trained.data.classes
    assert not loaded.model.training
    label, index, probs = loaded.predict(photo)
    ref_label, ref_index, ref_probs = trained.predict(photo)
    assert torch.equal(probs, ref_probs) and label == ref_label and int(index) == int(ref_index)
    # the same as the whole-split predictions of the original learner
    valid_probs, _ = trained.get_preds("valid")
    assert torch.allclose(probs, valid_probs[0], atol=1e-5)
    with pytest.raises(ValueError, match="no valid set"):
        loaded.get_preds("valid")


@pytest.mark.slow
def test_predict_accepts_path_pil_bytes_and_numpy(trained):
    photo = trained.data.valid_paths[1]
    want = trained.predict(photo)[2]
    pil = ck.open_image(photo, min_size=trained.data.size)  # the same decoding predict does
    buf = io.BytesIO()
    pil.save(buf, format="PNG")  # lossless, so the pixels are the same
    for image in (str(photo), pil, buf.getvalue(), np.asarray(pil), np.asarray(pil) / 255.0):
        label, index, probs = trained.predict(image)
        assert torch.allclose(probs, want, atol=1e-5), type(image)
        assert label == trained.data.classes[int(index)]
    assert torch.allclose(probs.sum(), torch.tensor(1.0), atol=1e-5)
    with pytest.raises(ck.UnreadableImageError, match="not an image"):
        trained.predict(b"not a picture")
    with pytest.raises(TypeError, match="numpy array"):
        trained.predict(42)


@pytest.mark.slow
def test_multilabel_predict_returns_tags_bool_vector_and_probs(planet_data, tmp_path):
    torch.manual_seed(0)
    learn = ck.Learner.pretrained("resnet18", planet_data, pretrained=False)
    learn.thresh = 0.45
    label, chosen, probs = learn.predict(planet_data.valid_paths[0])
    assert chosen.dtype == torch.bool and torch.equal(chosen, probs > 0.45)
    assert label.split() == [c for c, on in zip(planet_data.classes, chosen) if on]
    loaded = ck.load_learner(learn.export(tmp_path / "planet.pth"))
    assert loaded.thresh == 0.45 and loaded.data.is_multilabel
    label2, chosen2, probs2 = loaded.predict(planet_data.valid_paths[0])
    assert (
        torch.allclose(probs2, probs, atol=1e-6)
        and torch.equal(chosen2, chosen)
        and label2 == label
    )


@pytest.mark.slow
def test_pickled_checkpoints_are_refused(trained, tmp_path):
    whole = tmp_path / "whole_model.pth"
    torch.save(trained.model, whole)  # pickles the model's classes: code
    with pytest.raises(ValueError, match="pickled Python objects"):
        ck.load_learner(whole)
    saved = trained.save("weights")  # a plain save is not an export
    with pytest.raises(ValueError, match="not a coursekit export"):
        ck.load_learner(saved)
    with pytest.raises(FileNotFoundError, match=r"learn\.export"):
        ck.load_learner(tmp_path / "missing.pth")


def test_export_refuses_a_custom_model(tiny_pets, tmp_path):
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(tiny_pets.c))
    learn = ck.Learner(model, tiny_pets)
    with pytest.raises(ValueError, match=r"learn\.save"):
        learn.export(tmp_path / "x.pth")


@pytest.mark.slow
def test_short_reprs(trained):
    interp = trained.interpret()
    for obj in (trained, trained.data, interp, trained.lr_find(num_it=5, quiet=True)):
        text = repr(obj)
        assert len(text.splitlines()) <= 4 and len(text) < 400, text
    assert "items" in repr(interp) and "layer groups" in repr(trained)


def test_load_learner_says_what_a_file_is_and_never_suggests_running_its_code(tmp_path):
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(tmp_path / "cat.jpg")
    Image.new("RGB", (8, 8), "red").save(tmp_path / "cat.png")
    (tmp_path / "notes.txt").write_text("my lesson notes\n")
    torch.save(torch.nn.Linear(2, 2), tmp_path / "code.pth")  # pickles a class: code
    torch.save({"model": {}}, tmp_path / "cut.pth")
    (tmp_path / "cut.pth").write_bytes((tmp_path / "cut.pth").read_bytes()[:200])
    (tmp_path / "empty.pth").write_bytes(b"")
    expected = {
        "cat.jpg": r"cat\.jpg is a JPEG image, not a coursekit export.*learn\.predict",
        "cat.png": r"cat\.png is a PNG image, not a coursekit export",
        "notes.txt": r"notes\.txt is a text file, not a coursekit export",
        "code.pth": r"code\.pth holds pickled Python objects \(such as torch\.nn\.modules\.linear"
        r"\.Linear\).*never does",
        "cut.pth": r"cut\.pth is not a readable coursekit export \(truncated or damaged",
        "empty.pth": r"empty\.pth is empty \(0 bytes\), not a coursekit export",
    }
    for name, message in expected.items():
        with pytest.raises(ValueError, match=message) as e:
            ck.load_learner(tmp_path / name)
        assert "weights_only" not in str(e.value), name


def test_the_export_path_follows_fastai(tmp_path):
    """Relative to the data folder (fastai's ``learn.path``), ``.pth`` added when there is no
    suffix; an absolute path is kept as given."""
    from coursekit.train.export import export_path

    assert export_path(tmp_path, "export") == tmp_path / "export.pth"
    assert export_path(tmp_path, "sub/model.pkl") == tmp_path / "sub" / "model.pkl"
    assert export_path(tmp_path / "data", tmp_path / "x") == tmp_path / "x.pth"
