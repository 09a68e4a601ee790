"""ResultsGallery, driven headless: set values, click, and check what it shows."""

import os

import pytest
import torch

import coursekit as ck
from coursekit.data import images
from coursekit.train.interpret import Interpretation
from coursekit.widgets import ResultsGallery
from coursekit.widgets.gallery import VIEWS


@pytest.fixture
def trained_interp(learn):
    learn.fit(1e-2, 1, quiet=True)
    return learn.interpret()


def _shown(panel):
    return [tile.children[1].value for tile in panel.grid.children]


@pytest.mark.slow
def test_every_view_shows_its_selection(trained_interp):
    panel = ResultsGallery(trained_interp, n=3)
    for view in VIEWS:
        panel.view.value = view
        assert panel.cls.disabled is not VIEWS[view]
        if view != "confusion matrix":
            assert len(panel.grid.children) == len(panel.selection()) <= 3
    panel.view.value = "top losses"
    assert panel.selection() == trained_interp.top_losses(3)
    assert "pred <b>" in _shown(panel)[0]
    panel.view.value = "most correct of a class"
    panel.cls.value = trained_interp.classes[1]
    assert panel.selection() == trained_interp.most_by_correct(trained_interp.classes[1], True, 3)
    panel.count.value = 1
    assert len(panel.grid.children) <= 1


@pytest.mark.slow
def test_shuffle_draws_another_random_sample(trained_interp):
    panel = ResultsGallery(
        trained_interp,
        view="correct, at random"
        if trained_interp.is_correct.sum() > 4
        else "incorrect, at random",
        n=2,
    )
    seen = {tuple(panel.selection())}
    for _ in range(5):
        panel.shuffle.click()
        seen.add(tuple(panel.selection()))
    assert len(seen) > 1


def test_confusion_cell_click_shows_that_pair():
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    targets = torch.tensor([0, 0, 0, 1])
    paths = sorted((ck.samples.pets() / "images").glob("*.jpg"))[:4]
    interp = Interpretation(probs, targets, torch.rand(4), ["cats", "dogs"], paths)
    panel = ResultsGallery(interp, view="confusion matrix")
    buttons = [c for c in panel.matrix.children if hasattr(c, "click")]
    assert [b.description for b in buttons] == ["1", "2", "1", "0"]
    buttons[1].click()  # actual cats, predicted dogs
    assert panel.pair == ("cats", "dogs") and panel.selection() == [1, 2]
    assert len(panel.grid.children) == 2 and "actual cats" in _shown(panel)[0]
    fig = panel.figure()
    assert len(fig.axes) == 2
    panel.view.value = "top losses"
    panel.view.value = "confusion matrix"
    assert panel.pair is None and panel.figure().axes[0].get_xlabel() == "predicted"


def test_opens_on_ten_thousand_items_decoding_only_what_it_shows(tmp_path, monkeypatch):
    sources = sorted((ck.samples.pets() / "images").glob("*.jpg"))[:20]
    paths = []
    for i in range(10_000):
        link = tmp_path / f"{i}.jpg"
        os.symlink(sources[i % 20], link)
        paths.append(link)
    decodes = []
    real_open = images.open_image
    monkeypatch.setattr(
        images, "open_image", lambda p, **kw: (decodes.append(p), real_open(p, **kw))[1]
    )
    g = torch.Generator().manual_seed(0)
    probs = torch.softmax(torch.randn(10_000, 12, generator=g), 1)
    targets = torch.randint(0, 12, (10_000,), generator=g)
    interp = Interpretation(
        probs, targets, torch.rand(10_000, generator=g), [f"c{i}" for i in range(12)], paths
    )
    panel = ResultsGallery(interp, n=8)
    assert len(decodes) == 8 == len(panel.grid.children)
    panel.view.value = "top losses"
    assert len(decodes) == 16
    panel.view.value = "incorrect, at random"  # back to the first view: all cached
    assert len(decodes) == 16 and panel.thumbnails.decoded == 16


@pytest.mark.slow
def test_multilabel_gallery(planet_data):
    learn = ck.Learner.pretrained("tinyresnet", planet_data.with_size(32))
    learn.fit(1e-2, 1, quiet=True)
    panel = ResultsGallery(learn.interpret(), view="top losses", n=2)
    assert len(panel.grid.children) == 2
    panel.view.value = "confusion matrix"
    assert "precision" in panel.matrix.children[0].value and "multi-label" in panel.title.value
