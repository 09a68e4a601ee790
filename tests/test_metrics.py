"""Metrics against hand-computed values and the samples-averaged F-beta definition."""

from functools import partial

import pytest
import torch

import coursekit as ck
from coursekit.train.metrics import fbeta_on_probs, metric_name


def test_accuracy_and_error_rate_by_hand():
    logits = torch.tensor([[2.0, 1.0], [0.1, 0.9], [3.0, -1.0], [0.0, 5.0]])
    y = torch.tensor([0, 1, 1, 1])
    assert ck.accuracy(logits, y) == pytest.approx(0.75)
    assert ck.error_rate(logits, y) == pytest.approx(0.25)


def test_accuracy_thresh_by_hand():
    logits = torch.logit(torch.tensor([[0.9, 0.2, 0.6], [0.4, 0.7, 0.1]]))
    y = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    # at 0.5: [1,0,1] vs [1,0,0] -> 2 right; [0,1,0] vs [0,1,1] -> 2 right: 4/6
    assert ck.accuracy_thresh(logits, y) == pytest.approx(4 / 6)
    assert ck.accuracy_thresh(logits, y, thresh=0.05) == pytest.approx(3 / 6)


def _fbeta_samples_reference(pred_sets, true_sets, beta):
    """scikit-learn's average='samples' definition, written out per image."""
    scores = []
    for p, t in zip(pred_sets, true_sets):
        tp = len(p & t)
        precision = tp / len(p) if p else 0.0
        recall = tp / len(t) if t else 0.0
        denom = beta**2 * precision + recall
        scores.append((1 + beta**2) * precision * recall / denom if denom else 0.0)
    return sum(scores) / len(scores)


@pytest.mark.parametrize("beta, thresh", [(2.0, 0.2), (1.0, 0.5), (0.5, 0.3)])
def test_fbeta_matches_samples_average(beta, thresh):
    g = torch.Generator().manual_seed(0)
    probs = torch.rand(50, 6, generator=g)
    targets = (torch.rand(50, 6, generator=g) > 0.6).float()
    targets[0] = 0  # an image with no tags
    probs[1] = 0.0  # an image with no predicted tags
    pred_sets = [{j for j in range(6) if probs[i, j] > thresh} for i in range(50)]
    true_sets = [{j for j in range(6) if targets[i, j] > 0} for i in range(50)]
    ours = ck.fbeta(torch.logit(probs.clamp(1e-6, 1 - 1e-6)), targets, beta=beta, thresh=thresh)
    assert ours == pytest.approx(_fbeta_samples_reference(pred_sets, true_sets, beta), abs=1e-6)


def test_f2_perfect_and_by_hand():
    y = torch.tensor([[1.0, 0.0, 1.0]])
    assert ck.f2(torch.tensor([[5.0, -5.0, 5.0]]), y) == pytest.approx(1.0)
    # predicted {0, 1}, true {0, 2}: P = R = 1/2 -> F2 = 1/2
    assert ck.f2(torch.tensor([[5.0, 5.0, -5.0]]), y) == pytest.approx(0.5)


def test_metric_names():
    assert metric_name(ck.accuracy) == "accuracy"
    assert metric_name(partial(ck.fbeta, beta=1)) == "fbeta"


@pytest.mark.parametrize("beta, thresh", [(2.0, 0.2), (1.0, 0.5)])
def test_fbeta_on_probabilities_by_hand(beta, thresh):
    g = torch.Generator().manual_seed(1)
    probs = torch.rand(40, 5, generator=g)
    probs[0] = torch.tensor([0.0, 1.0, thresh, 1.0, 0.0])  # certain tags, and one exactly at thresh
    probs[1] = 1.0  # every tag predicted
    targets = (torch.rand(40, 5, generator=g) > 0.5).float()
    targets[2] = 0  # an image with no tags
    pred_sets = [{j for j in range(5) if probs[i, j] > thresh} for i in range(40)]
    true_sets = [{j for j in range(5) if targets[i, j] > 0} for i in range(40)]
    ours = fbeta_on_probs(probs, targets, beta=beta, thresh=thresh)
    assert ours == pytest.approx(_fbeta_samples_reference(pred_sets, true_sets, beta), abs=1e-6)
    # the logits version is the same metric after a sigmoid
    logits = torch.logit(probs.clamp(1e-6, 1 - 1e-6))
    logits[0, 2] = torch.logit(torch.tensor(thresh))  # keep "exactly at thresh" exact
    assert ck.fbeta(logits, targets, beta=beta, thresh=thresh) == pytest.approx(ours, abs=1e-6)
