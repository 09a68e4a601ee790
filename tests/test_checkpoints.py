"""Going back: ``learn.checkpoints`` after each fit and save, ``learn.restore(n)``."""

import copy

import pytest
import torch

import coursekit as ck
from coursekit.train.checkpoints import MAX_KEPT


@pytest.fixture
def tiny_learn(tiny_pets):
    torch.manual_seed(0)
    return ck.Learner.pretrained("tinyresnet", tiny_pets, pretrained=False, metrics=[ck.accuracy])


def _weights(learn):
    return {k: v.detach().clone() for k, v in learn.model.state_dict().items()}


def test_restore_goes_back_bit_for_bit_after_a_worse_fit(tiny_learn):
    learn = tiny_learn
    learn.fit(1e-2, 1, quiet=True)
    weights, opt_state = _weights(learn), copy.deepcopy(learn.opt.state_dict())
    probs, _ = learn.get_preds()
    learn.unfreeze()
    learn.fit(3.0, 1, quiet=True)  # far too high: worse on purpose
    assert not torch.equal(learn.get_preds()[0], probs)
    assert [g.trainable for g in learn.layer_groups] == [True, True, True]

    back = learn.restore(0)
    assert back is learn.checkpoints[0]
    assert back.description.startswith("after fit #1: learn.fit(1e-2, 1)")
    assert "val_loss" in back.description and "accuracy" in back.description
    restored = _weights(learn)
    assert restored.keys() == weights.keys()
    assert all(torch.equal(restored[k], weights[k]) for k in weights)
    assert torch.equal(learn.get_preds()[0], probs)
    assert [g.trainable for g in learn.layer_groups] == [False, False, True]
    restored_opt = learn.opt.state_dict()["state"]
    for i, state in opt_state["state"].items():
        assert all(torch.equal(restored_opt[i][k], v) for k, v in state.items())

    learn.fit(1e-2, 1, quiet=True)  # training on does not change the checkpoint it came from
    learn.restore(0)
    assert all(torch.equal(learn.model.state_dict()[k], weights[k]) for k in weights)


def test_each_fit_and_save_is_described_and_the_bound_holds(tiny_learn):
    learn = tiny_learn
    learn.checkpoints.max_kept = 2
    learn.fit(1e-2, 1, quiet=True)
    learn.save("stage1")
    learn.fit_one_cycle(1, 1e-3, quiet=True)
    assert len(learn.checkpoints) == 2
    descriptions = learn.checkpoints.descriptions
    assert descriptions[0].startswith("save('stage1'); val_loss ")
    assert descriptions[1].startswith("after fit #2: learn.fit_one_cycle(1, ")
    assert "2 checkpoint(s) kept (the last 2)" in repr(learn.checkpoints)
    assert ck.Learner(learn.model, learn.data).checkpoints.max_kept == MAX_KEPT == 8


def test_a_frozen_body_is_kept_once(tiny_learn):
    learn = tiny_learn
    learn.fit(1e-2, 1, quiet=True)
    one = learn.checkpoints.nbytes
    learn.fit(1e-2, 1, quiet=True)
    body = [k for k in learn.checkpoints[0].model if k.startswith("body.")]
    assert body and all(
        learn.checkpoints[0].model[k] is learn.checkpoints[1].model[k] for k in body
    )
    assert learn.checkpoints.nbytes < 1.5 * one


def test_restoring_a_bad_index_names_the_valid_range(tiny_learn):
    learn = tiny_learn
    with pytest.raises(IndexError, match="no checkpoints yet"):
        learn.restore(0)
    learn.fit(1e-2, 1, quiet=True)
    learn.fit(1e-2, 1, quiet=True)
    with pytest.raises(
        IndexError, match=r"restore\(5\): there are 2 checkpoint\(s\), so n must be between 0 and 1"
    ):
        learn.restore(5)
    assert learn.restore(-1) is learn.checkpoints[1]


def test_checkpoints_need_only_a_model_its_optimizer_and_the_flags():
    """``Checkpoints`` keeps copies of what it is given, not of a learner: a bare model works."""
    from coursekit.train.checkpoints import Checkpoints
    from coursekit.train.convnet import LayerGroup

    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 2))
    groups = [LayerGroup("body", [model[0]]), LayerGroup("head", [model[1]])]
    model[0].requires_grad_(False)
    opt = torch.optim.SGD(model[1].parameters(), lr=0.1, momentum=0.9)
    kept = Checkpoints(max_kept=2)
    rows = [{"epoch": 0, "trn_loss": 1.0, "val_loss": 0.5, "accuracy": 0.75, "time": "1s"}]
    first = kept.add(kept.fit_description("fit(1)", None, rows), model, opt, groups, True, False)
    assert first.description == "after fit #1: fit(1); val_loss 0.5000, accuracy 0.7500"
    assert (first.first_trainable, first.bn_frozen, first.precompute) == (1, True, False)
    with torch.no_grad():
        model[1].weight.add_(1.0)
    second = kept.add(Checkpoints.save_description("a", []), model, opt, groups, False, True)
    assert second.description == "save('a'); not validated yet"
    assert second.model["0.weight"] is first.model["0.weight"]  # unchanged: shared, not copied
    assert not torch.equal(second.model["1.weight"], first.model["1.weight"])
    assert torch.equal(second.model["1.weight"], model[1].weight)
    kept.add("third", model, None, groups, False, False)
    assert kept.descriptions == ["save('a'); not validated yet", "third"]  # the bound holds
