"""PredictPanel and CleanerPanel, driven headless: set values, click buttons, assert on the core."""

import datetime
import functools
import html
import http.server
import io
import shutil
import threading

import ipywidgets as widgets
import pytest
import torch
from matplotlib.figure import Figure

import coursekit as ck
from coursekit import widgets as ckw
from coursekit.widgets.predict_panel import uploaded_files

IPYWIDGETS_8 = int(widgets.__version__.split(".")[0]) >= 8


@pytest.fixture
def exported(tiny_pets, tmp_path):
    torch.manual_seed(0)
    learn = ck.Learner.pretrained("tinyresnet", tiny_pets)
    return ck.load_learner(learn.export(tmp_path / "pets.pth"), device="cpu")


def _upload(widget, name, content):
    """Put a file into a FileUpload as the browser does: ipywidgets 7's ``value`` is read-only to
    Python (the frontend's message sets it), so it is set the way that message handler does."""
    widget.set_trait("value", _upload_value(name, content))


def _upload_value(name, content):
    if IPYWIDGETS_8:
        return (
            {
                "name": name,
                "type": "image/png",
                "size": len(content),
                "content": memoryview(content),
                "last_modified": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
            },
        )
    return {
        name: {
            "metadata": {"name": name, "type": "image/png", "size": len(content)},
            "content": content,
        }
    }


def test_uploaded_files_reads_both_ipywidgets_formats():
    v8 = ({"name": "a.png", "content": memoryview(b"abc")},)
    v7 = {"a.png": {"metadata": {"name": "a.png"}, "content": b"abc"}}
    assert uploaded_files(v8) == uploaded_files(v7) == [("a.png", b"abc")]
    assert uploaded_files(()) == uploaded_files({}) == []


def test_predict_panel_upload_path_and_url(exported, tiny_pets):
    photo = tiny_pets.valid_paths[0]
    want = exported.predict(photo)
    panel = ckw.PredictPanel(exported, k=3)
    assert panel.result is None and "1 MB" in panel.note.value
    buf = io.BytesIO()
    ck.open_image(photo, min_size=tiny_pets.size).save(buf, "PNG")
    _upload(panel.upload, "cat.png", buf.getvalue())
    assert torch.allclose(panel.result[2], want[2], atol=1e-5) and panel.result[0] == want[0]
    top = panel.top()
    assert len(top) == 3 and top[0][0] == want[0] and top[0][1] >= top[1][1] >= top[2][1]
    assert panel.picture.value and top[0][0] in panel.chart.value
    assert isinstance(panel.figure(), Figure)

    panel.result = None
    panel.source.value = str(photo)  # typing a path (Enter)
    assert panel.result is not None and panel.result[0] == want[0]

    panel.source.value = str(photo.parent / "missing.jpg")
    assert "missing.jpg" in panel.message.value

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(photo.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        panel.result = None
        panel.source.value = f"http://127.0.0.1:{server.server_address[1]}/{photo.name}"
        panel.go.click()
        url_want = exported.predict(photo.read_bytes())[2]  # the file's bytes, decoded in full
        assert panel.result is not None and torch.allclose(panel.result[2], url_want, atol=1e-5)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_predict_panel_names_a_web_page_given_for_a_picture(exported, tmp_path):
    """A URL of the page that shows a photo (not of the photo) answers HTML: the panel says so,
    names the URL and how to copy the picture's own address, whatever the file is called."""
    page = "<!DOCTYPE html><html><head><title>Cute cat</title></head><body>...</body></html>"
    (tmp_path / "cat.html").write_text(page)
    (tmp_path / "cat.jpg").write_text(page)  # a server that answers every name with its page
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    panel = ckw.PredictPanel(exported, k=3)
    try:
        for name, kind in (("cat.html", "text/html"), ("cat.jpg", "image/jpeg")):
            url = f"http://127.0.0.1:{server.server_address[1]}/{name}"
            panel.predict_source(url)
            said = html.unescape(panel.status.value)
            assert panel.result is None and f"{url} answered with an HTML page" in said
            assert "copy the image address" in said and "<!DOCTYPE html><html>" in said
            assert f"Content-Type {kind}" in said  # what the server called it
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def folder_interp(tiny_pets, tmp_path):
    """The tiny pets copied into path/train/<class>/ and path/valid/<class>/, and an Interpretation."""
    root = tmp_path / "pets"
    for split, paths, labels in (
        ("train", tiny_pets.train_paths, tiny_pets.train_labels),
        ("valid", tiny_pets.valid_paths, tiny_pets.valid_labels),
    ):
        for p, label in zip(paths, labels):
            (root / split / label).mkdir(parents=True, exist_ok=True)
            shutil.copy(p, root / split / label / p.name)
    data = ck.ImageData.from_folder(root, size=32, bs=16, num_workers=0)
    torch.manual_seed(0)
    return root, ck.Learner.pretrained("tinyresnet", data).interpret("valid")


def test_cleaner_panel_sorts_by_loss_applies_and_undoes(folder_interp):
    root, interp = folder_interp
    panel = ckw.CleanerPanel(interp)
    assert panel.cleaner.root == root and panel.undo_button.disabled
    panel.cls.value = interp.classes[0]
    shown = panel.selection()
    assert shown and all(interp.label(i, "actual") == interp.classes[0] for i in shown)
    losses = [float(interp.losses[i]) for i in shown]
    assert losses == sorted(losses, reverse=True)
    first, second = list(panel.menus)[:2]
    panel.menus[first].value = "delete"
    panel.menus[second].value = interp.classes[1]
    assert panel.choices == {first: "delete", second: interp.classes[1]}
    assert isinstance(panel.figure(), Figure)
    panel.apply_button.click()
    assert not first.exists() and not second.exists()
    assert (root / "valid" / interp.classes[1] / second.name).exists()
    assert list((root / ".trash").rglob(first.name))
    assert first not in panel.menus and not panel.choices and not panel.undo_button.disabled
    panel.undo_button.click()
    assert first.exists() and second.exists() and first in panel.menus
    panel.menus[first].value = "delete"  # a second apply after undo
    panel.apply_button.click()
    assert not first.exists() and second.exists()


def test_cleaner_panel_relabels_csv_rows_without_suffix_and_says_what_failed(tiny_pets, tmp_path):
    root = tmp_path / "breeds"
    (root / "train").mkdir(parents=True)
    rows = ["id,breed"]
    for p, label in zip(
        tiny_pets.train_paths + tiny_pets.valid_paths,
        tiny_pets.train_labels + tiny_pets.valid_labels,
    ):
        shutil.copy(p, root / "train" / p.name)
        rows.append(f"{p.stem},{label}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    data = ck.ImageData.from_csv(
        root, folder="train", csv="labels.csv", suffix=".jpg", size=32, bs=16, num_workers=0
    )
    torch.manual_seed(0)
    interp = ck.Learner.pretrained("tinyresnet", data).interpret("valid")
    panel = ckw.CleanerPanel(interp, csv=root / "labels.csv")  # no suffix=, as a student writes it
    panel.cls.value = interp.classes[0]
    image = next(iter(panel.menus))
    other = next(c for c in interp.classes if c != interp.classes[0])
    panel.menus[image].value = other
    panel.apply_button.click()
    assert "applied 1 change(s): rewrote 1 CSV row(s)" in panel.status.value
    assert f"{image.stem},{other}\n" in (root / "labels.csv").read_text()
    relabelled = ck.ImageData.from_csv(
        root, folder="train", csv="labels.csv", suffix=".jpg", size=32, valid_pct=0.5
    )
    labels = dict(
        zip(
            relabelled.train_paths + relabelled.valid_paths,
            relabelled.train_labels + relabelled.valid_labels,
        )
    )
    assert labels[image] == other

    panel.cls.value = other
    second = next(iter(panel.menus))
    second.unlink()  # gone behind the panel's back
    panel.menus[second].value = "delete"
    panel.apply_button.click()
    assert "nothing changed" in panel.status.value and second.name in panel.status.value
