"""Interpretation against hand-made predictions whose right answers are known."""

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from PIL import Image

from coursekit.train.interpret import CAPTION_WIDTH, Interpretation


def _single(probs, targets):
    probs, targets = torch.tensor(probs), torch.tensor(targets)
    losses = torch.nn.functional.nll_loss(probs.log(), targets, reduction="none")
    return Interpretation(
        probs, targets, losses, ["cat", "dog", "fox"], [Path(f"{i}.jpg") for i in range(len(probs))]
    )


@pytest.fixture
def interp():
    return _single(
        [
            [0.9, 0.05, 0.05],  # 0 cat, right, sure
            [0.6, 0.3, 0.1],  # 1 cat, right
            [0.2, 0.7, 0.1],  # 2 cat, wrong -> dog
            [0.1, 0.85, 0.05],  # 3 dog, right, sure
            [0.45, 0.44, 0.11],  # 4 dog, wrong -> cat, very uncertain
            [0.05, 0.15, 0.8],  # 5 fox, right
            [0.1, 0.8, 0.1],  # 6 fox, wrong -> dog, confidently
        ],
        [0, 0, 0, 1, 1, 2, 2],
    )


def test_correctness_and_random_selections(interp):
    assert interp.is_correct.tolist() == [True, True, False, True, False, True, False]
    assert set(interp.rand_by_correct(False, n=10)) == {2, 4, 6}
    picks = interp.rand_by_correct(True, n=2, seed=1)
    assert len(picks) == 2 and set(picks) <= {0, 1, 3, 5}
    assert interp.rand_by_correct(True, n=2, seed=1) == picks


def test_most_correct_and_incorrect_by_class(interp):
    assert interp.most_by_correct("cat", True, n=4) == [0, 1]  # highest P(cat) first
    assert interp.most_by_correct("cat", False) == [2]
    assert interp.most_by_correct("fox", False) == [6]
    assert interp.most_by_correct(1, True) == [3]


def test_most_uncertain_uses_the_top_two_margin(interp):
    assert interp.most_uncertain(1) == [4]
    two = _single([[0.51, 0.49], [0.9, 0.1], [0.3, 0.7]], [0, 0, 1])
    assert two.most_uncertain(3) == [0, 2, 1]  # |p - 0.5|: 0.01, 0.2, 0.4


def test_top_losses(interp):
    assert interp.top_losses(2) == [6, 2]  # P(true) 0.1, then 0.2


def test_confusion_matrix_and_most_confused(interp):
    assert interp.confusion_matrix().tolist() == [[2, 1, 0], [1, 1, 0], [0, 1, 1]]
    assert interp.most_confused() == [("cat", "dog", 1), ("dog", "cat", 1), ("fox", "dog", 1)]
    assert interp.most_confused(min_val=2) == []
    assert interp.by_pair("fox", "dog") == [6]
    acc = interp.per_class_accuracy()
    assert acc["cat"] == pytest.approx(2 / 3) and acc["fox"] == pytest.approx(0.5)


def test_multilabel_metrics_and_threshold(tmp_path):
    probs = torch.tensor([[0.9, 0.3, 0.1], [0.8, 0.6, 0.35], [0.2, 0.7, 0.4]])
    targets = torch.tensor([[1.0, 0, 0], [1, 1, 1], [0, 1, 1]])
    interp = Interpretation(
        probs,
        targets,
        torch.zeros(3),
        ["clear", "road", "water"],
        [Path("a")] * 3,
        is_multilabel=True,
        thresh=0.5,
    )
    tags = interp.per_tag_metrics()
    assert tags["clear"] == {"precision": 1.0, "recall": 1.0, "f2": pytest.approx(1.0)}
    assert tags["water"]["recall"] == 0.0 and tags["road"]["precision"] == 1.0
    caption = interp.caption(1)
    assert caption.startswith("clear road / clear road water / ") and len(caption) > CAPTION_WIDTH
    Image.new("RGB", (8, 8), "green").save(tmp_path / "tile.jpg")
    fig = replace(interp, paths=[tmp_path / "tile.jpg"] * 3).plot_selection([1, 2], ncols=2, size=8)
    titles = [ax.get_title() for ax in fig.axes]
    assert [t.replace("\n", " ") for t in titles] == [interp.caption(1), interp.caption(2)]
    assert all(len(line) <= CAPTION_WIDTH for t in titles for line in t.split("\n"))
    thresh, score = interp.best_threshold(beta=2)
    assert 0.30 <= thresh < 0.35 and score == pytest.approx(
        1.0
    )  # true tags >= 0.35, false ones <= 0.3
    with pytest.raises(ValueError, match="single-label"):
        interp.confusion_matrix()


@pytest.mark.slow
def test_from_learner_and_plots(learn):
    learn.fit(1e-2, 1, quiet=True)
    interp = learn.interpret()
    n = len(learn.data.valid_paths)
    assert (
        interp.probs.shape == (n, 12)
        and len(interp.losses) == n
        and interp.paths == learn.data.valid_paths
    )
    expected = torch.nn.functional.cross_entropy(torch.log(interp.probs), interp.targets)
    assert interp.losses.mean().item() == pytest.approx(expected.item(), rel=1e-4)
    fig = interp.plot_top_losses(4, ncols=2)
    assert len(fig.axes) == 4 and all(" / " in ax.get_title() for ax in fig.axes)
    cm_fig = interp.plot_confusion_matrix(normalize=True)
    assert cm_fig.axes[0].get_xlabel() == "predicted"


def test_captions_show_p_of_the_second_class_for_two_classes_and_never_minus_zero():
    probs = torch.tensor([[0.2, 0.8], [1.0, 0.0]])
    targets = torch.tensor([0, 0])
    losses = torch.nn.functional.nll_loss(probs.log(), targets, reduction="none")
    assert str(losses[1].item()) == "-0.0"  # the case the caption must not print as -0.00
    two = Interpretation(probs, targets, losses, ["cats", "dogs"], [Path("0.jpg"), Path("1.jpg")])
    assert two.caption(0) == "dogs / cats / P(dogs) 0.80 / 1.61"  # P(dog), as the course's titles
    assert two.caption(1) == "cats / cats / P(dogs) 0.00 / 0.00"


def test_captions_show_the_predictions_probability_for_more_classes(interp):
    assert interp.caption(6) == f"dog / fox / 0.80 / {interp.losses[6].item():.2f}"


def test_interpret_with_tta_keeps_the_tta_probabilities(learn):
    """``learn.interpret(tta=True)`` (lessons 03, 04) interprets ``learn.tta()``'s averaged
    probabilities, not the plain prediction's."""
    torch.manual_seed(3)
    want, targets = learn.tta()
    torch.manual_seed(3)
    interp = learn.interpret(tta=True)
    assert torch.allclose(interp.probs, want) and torch.equal(interp.targets, targets)
    plain = learn.interpret()
    assert not torch.allclose(plain.probs, interp.probs)  # the augmented views count
    losses = torch.nn.functional.nll_loss(want.log(), targets, reduction="none")
    assert torch.allclose(interp.losses, losses, atol=1e-5)
