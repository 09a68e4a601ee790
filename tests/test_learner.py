"""The Learner on a tiny CPU problem: freezing, fitting, events, stopping, saving, predicting."""

import csv
import math

import numpy as np
import pytest
import torch

import coursekit as ck
from coursekit.train import schedules
from coursekit.train.plan import FASTAI07_WARMUP_DIV, FASTAI07_WARMUP_FRAC


def _params(group):
    return [p.detach().clone() for p in group.parameters()]


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def test_freeze_to_and_unfreeze(learn):
    learn.freeze_to(-2)
    assert [g.trainable for g in learn.layer_groups] == [False, True, True]
    learn.unfreeze()
    assert [g.trainable for g in learn.layer_groups] == [True, True, True]
    learn.freeze()
    assert [g.trainable for g in learn.layer_groups] == [False, False, True]


@pytest.mark.slow
def test_fit_trains_only_unfrozen_groups(learn):
    before = [_params(g) for g in learn.layer_groups]
    learn.fit(1e-2, 1, quiet=True)
    after = [_params(g) for g in learn.layer_groups]
    assert _same(before[0], after[0]) and _same(before[1], after[1])
    assert not _same(before[2], after[2])


def _bn_layers(group):
    return [
        m
        for mod in group.modules
        for m in mod.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
    ]


@pytest.mark.slow
def test_batchnorm_follows_fastai_0_7(learn):
    """fastai 0.7's set_train_mode: frozen groups' BatchNorm always in eval mode; bn_freeze(True): all of it."""
    body_bn = _bn_layers(learn.layer_groups[0]) + _bn_layers(learn.layer_groups[1])
    stats = [bn.running_mean.clone() for bn in body_bn]
    modes = []
    learn.events["after_batch"].append(
        lambda learner: modes.append(
            [bn.training for g in learner.layer_groups for bn in _bn_layers(g)]
        )
    )
    learn.fit(1e-3, 1, quiet=True)  # body frozen: its statistics never move
    assert all(torch.equal(bn.running_mean, s) for bn, s in zip(body_bn, stats))
    assert not any(m for step in modes for m in step[: len(body_bn)])
    learn.unfreeze()
    learn.bn_freeze(True)  # the course, for resnet50 on photos
    modes.clear()
    learn.fit(1e-3, 1, quiet=True)
    assert modes and not any(m for step in modes for m in step)  # every BatchNorm in eval mode
    assert all(torch.equal(bn.running_mean, s) for bn, s in zip(body_bn, stats))
    learn.bn_freeze(False)
    modes.clear()
    learn.fit(1e-3, 1, quiet=True)  # unfrozen, no bn_freeze: they follow the data
    assert all(all(step) for step in modes)
    assert not torch.equal(body_bn[0].running_mean, stats[0])


@pytest.mark.slow
def test_cnn_learner_trains_the_frozen_bodys_batchnorm_as_fastai_v1(tiny_pets):
    """fastai v1's freeze_to with train_bn=True (cnn_learner's default): a frozen group's
    BatchNorm layers keep requires_grad and train mode; every other layer of it is frozen."""
    torch.manual_seed(0)
    learn = ck.cnn_learner(tiny_pets, "resnet18", pretrained=False)
    body = learn.layer_groups[:-1]
    body_bn = [bn for g in body for bn in _bn_layers(g)]
    bn_ids = {id(p) for bn in body_bn for p in bn.parameters()}
    others = [p for g in body for p in g.parameters() if id(p) not in bn_ids]
    assert learn.train_bn and all(p.requires_grad for bn in body_bn for p in bn.parameters())
    assert not any(p.requires_grad for p in others)
    assert [g.trainable for g in learn.layer_groups] == [False, False, True]  # still "frozen"
    weights = [p.detach().clone() for p in others]
    bn_weights = [bn.weight.detach().clone() for bn in body_bn]
    stats = [bn.running_mean.clone() for bn in body_bn]
    learn.fit_one_cycle(1, 1e-2, quiet=True)
    assert _same(weights, others)  # convolutions as they were
    assert not _same(bn_weights, [bn.weight for bn in body_bn])
    assert not torch.equal(body_bn[0].running_mean, stats[0])  # statistics follow the data

    learn.train_bn = False  # fastai 0.7's frozen BatchNorm, applied to the groups frozen now
    assert not any(p.requires_grad for bn in body_bn for p in bn.parameters())
    assert [g.trainable for g in learn.layer_groups] == [False, False, True]
    stats = [bn.running_mean.clone() for bn in body_bn]
    learn.fit_one_cycle(1, 1e-2, quiet=True)
    assert all(torch.equal(bn.running_mean, s) for bn, s in zip(body_bn, stats))
    assert not ck.Learner.pretrained("resnet18", tiny_pets, pretrained=False).train_bn


@pytest.mark.slow
def test_constant_and_differential_lrs_are_what_the_groups_get(learn):
    learn.fit(3e-3, 2, quiet=True)
    assert {tuple(step_lrs) for step_lrs in learn.recorder.lrs} == {(3e-3,) * 3}
    learn.unfreeze()
    learn.fit([1e-4, 1e-3, 1e-2], 1, quiet=True)
    assert learn.recorder.lrs[0] == pytest.approx([1e-4, 1e-3, 1e-2])
    assert learn.opt.param_groups[0]["lr"] == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="2 learning rates for 3 layer groups"):
        learn.fit([1e-3, 1e-2], 1)
    with pytest.raises(ValueError, match="lr_find"):
        learn.fit(None, 1)
    with pytest.raises(TypeError):
        learn.fit()  # no hidden default rate


@pytest.mark.slow
def test_sgdr_fit_follows_the_pure_schedule(learn):
    learn.fit(1e-2, 2, cycle_len=1, cycle_mult=2, quiet=True)
    steps = len(learn.loader("train", shuffle=True))
    assert len(learn.recorder.rows) == 3  # 1 + 2 epochs
    expected = [
        schedules.sgdr(
            s, 1e-2, steps, 1, 2, warmup_frac=FASTAI07_WARMUP_FRAC, warmup_div=FASTAI07_WARMUP_DIV
        )
        for s in range(3 * steps)
    ]
    assert [step_lrs[-1] for step_lrs in learn.recorder.lrs] == pytest.approx(expected)


@pytest.mark.slow
def test_fit_one_cycle_moves_lr_and_momentum(learn):
    learn.fit_one_cycle(2, 1e-2, quiet=True)
    lrs = [step_lrs[-1] for step_lrs in learn.recorder.lrs]
    assert max(lrs) == pytest.approx(1e-2, rel=0.2) and lrs[0] == pytest.approx(1e-2 / 25)
    assert learn.recorder.momentums[0] == pytest.approx(0.95)
    assert min(learn.recorder.momentums) < 0.9


@pytest.mark.slow
def test_events_fire_in_order(learn):
    seen = []
    for name in ck.EVENTS:
        learn.events[name].append(lambda learner, name=name: seen.append(name))
    learn.fit(1e-3, 2, quiet=True)
    steps = len(learn.loader("train", shuffle=True))
    assert seen[0] == "before_fit" and seen[-1] == "after_fit"
    assert seen.count("after_batch") == 2 * steps and seen.count("after_epoch") == 2
    assert seen[1:3] == ["before_epoch", "after_batch"]


def test_stop_is_honoured_at_the_next_batch(learn):
    learn.events["after_batch"].append(
        lambda learner: learner.stop() if learner.recorder.iteration == 2 else None
    )
    learn.fit(1e-3, 3, quiet=True)
    assert learn.recorder.iteration == 2 and learn.recorder.stopped == "stopped"
    assert learn.recorder.rows == []
    assert learn.predict(learn.data.valid_paths[0])[0] in learn.data.classes


def test_keyboard_interrupt_leaves_a_usable_model_and_history(learn):
    finished = []
    learn.events["after_fit"].append(lambda learner: finished.append(True))

    def interrupt(learner):
        if learner.recorder.iteration == 3:
            raise KeyboardInterrupt

    learn.events["after_batch"].append(interrupt)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(1e-3, 2, quiet=True)
    assert finished == [True] and len(learn.recorder.losses) == 3
    assert all(torch.isfinite(p).all() for p in learn.model.parameters())
    learn.events["after_batch"].clear()
    learn.fit(1e-3, 1, quiet=True)  # and it trains on
    assert len(learn.recorder.rows) == 1


def test_non_finite_loss_stops_with_advice_and_puts_the_weights_back(learn, capsys):
    calls = []

    def loss(out, y):
        calls.append(1)
        value = torch.nn.functional.cross_entropy(out, y)
        return value * float("nan") if len(calls) == 3 else value

    learn.loss_func = loss
    before = {k: v.clone() for k, v in learn.model.state_dict().items()}
    learn.fit(1e-3, 2)
    assert all(torch.equal(before[k], v) for k, v in learn.model.state_dict().items())
    assert "too high" in learn.recorder.stopped and "10x lower" in learn.recorder.stopped
    assert "fit ended early" in capsys.readouterr().out
    assert len(learn.recorder.losses) == 2
    assert "back to where they were before this fit" in learn.recorder.stopped
    assert all(torch.isfinite(p).all() for p in learn.model.parameters())


def test_epoch_table_in_a_log_is_one_line_per_epoch(learn, capsys):
    learn.fit(1e-3, 2)
    out = capsys.readouterr()
    precision, *lines = out.out.strip().splitlines()
    assert precision == "training with 32-bit floats (fp32) on cpu"
    assert lines[0].split() == ["epoch", "trn_loss", "val_loss", "accuracy", "time"]
    assert len(lines) == 3 and "\r" not in out.out + out.err
    assert learn.recorder.rows[1]["epoch"] == 1 and 0 <= learn.recorder.rows[1]["accuracy"] <= 1


@pytest.mark.slow
def test_save_load_round_trip_and_errors(learn, tiny_pets):
    learn.fit(1e-2, 1, quiet=True)
    path = learn.save("stage1")
    assert path.exists() and not list(path.parent.glob("*.tmp"))
    saved = {k: v.clone() for k, v in learn.model.state_dict().items()}
    learn.fit(1e-2, 1, quiet=True)
    learn.load("stage1")
    assert all(torch.equal(saved[k], v) for k, v in learn.model.state_dict().items())
    other_arch = ck.Learner.pretrained("resnet34", tiny_pets, pretrained=False)
    with pytest.raises(ValueError, match="holds a resnet18 but this learner is a resnet34"):
        other_arch.load("stage1")
    with pytest.raises(FileNotFoundError, match="stage1"):
        learn.load("nope")


def test_load_with_other_classes_is_refused(learn, tiny_pets):
    learn.save("pets12")
    fewer = ck.ImageData.from_name_re(
        tiny_pets.path / "images", pat=r"([^/]+)_\d+\.jpg$", size=32, num_workers=0
    )
    fewer.classes = [*fewer.classes[:-1], "zebra"]
    other = ck.Learner.pretrained("resnet18", fewer, pretrained=False)
    with pytest.raises(ValueError, match="saved for classes"):
        other.load("pets12")


@pytest.mark.slow
def test_cycle_snapshots_and_their_average(learn):
    learn.fit(1e-2, 2, cycle_len=1, cycle_save_name="snap", quiet=True)
    assert sorted(p.name for p in learn.models_dir.glob("snap_cyc_*.pth")) == [
        "snap_cyc_0.pth",
        "snap_cyc_1.pth",
    ]
    current = learn.get_preds()[0]
    mean, _y = learn.snapshot_preds("snap")
    learn.load("snap_cyc_0")
    first = learn.get_preds()[0]
    learn.load("snap_cyc_1")
    assert torch.allclose(mean, (first + learn.get_preds()[0]) / 2, atol=1e-6)
    assert torch.allclose(learn.get_preds()[0], current)  # the last snapshot is the model


def test_set_data_keeps_weights_and_freezes_again(learn, tiny_pets):
    learn.unfreeze()
    weights = _params(learn.layer_groups[0])
    learn.set_data(tiny_pets.with_size(48))
    assert learn.data.size == 48 and _same(weights, _params(learn.layer_groups[0]))
    assert [g.trainable for g in learn.layer_groups] == [False, False, True]


@pytest.mark.slow
def test_predictions_tta_and_predict(learn, monkeypatch):
    probs, y = learn.get_preds("valid")
    assert probs.shape == (len(learn.data.valid_paths), 12)
    assert torch.allclose(probs.sum(1), torch.ones(len(probs)), atol=1e-5)
    assert torch.equal(y, learn.data.valid_ds.targets)
    # with "augmented" views equal to the plain one, TTA's mean equals the plain prediction
    monkeypatch.setattr(
        ck.train.inference,
        "train_transform",
        lambda size, *a: ck.data.transforms.valid_transform(size),
    )
    tta_probs, _ = learn.tta(n_aug=3)
    assert torch.allclose(tta_probs, probs, atol=1e-5)
    name, index, p = learn.predict(learn.data.valid_paths[0])
    assert name == learn.data.classes[int(p.argmax())] and int(index) == int(p.argmax())
    assert torch.allclose(p, probs[0], atol=1e-5)


def test_the_2018_prediction_api_gives_log_probabilities(learn, monkeypatch):
    """fastai 0.7's data.val_y, learn.predict() and learn.TTA(), against get_preds / tta."""
    probs, y = learn.get_preds("valid")
    assert np.array_equal(learn.data.val_y, y.numpy())
    log_preds = learn.predict()
    assert log_preds.shape == tuple(probs.shape) and (log_preds <= 0).all()
    assert np.allclose(np.exp(log_preds), probs.numpy(), atol=1e-5)
    monkeypatch.setattr(
        ck.train.inference,
        "train_transform",
        lambda size, *a: ck.data.transforms.valid_transform(size),
    )
    tta_log_preds, tta_y = learn.TTA(n_aug=2)
    assert tta_log_preds.shape == (3, *probs.shape) and np.array_equal(tta_y, y.numpy())
    assert np.allclose(np.mean(np.exp(tta_log_preds), 0), probs.numpy(), atol=1e-5)
    interp = ck.Interpretation.from_preds(np.exp(log_preds), tta_y, learn.data)
    reference = learn.interpret()
    assert torch.allclose(interp.losses, reference.losses, atol=1e-4)
    assert interp.paths == reference.paths


@pytest.mark.slow
def test_precompute_trains_the_head_on_cached_features(learn):
    plain_loss, _ = learn.validate()
    with pytest.warns(UserWarning, match="augmentation .* has no effect while precomputing"):
        learn.precompute = True
    assert learn.validate()[0] == pytest.approx(plain_loss, rel=1e-5)  # same model, cached body
    body = _params(learn.layer_groups[0]) + _params(learn.layer_groups[1])
    head = _params(learn.layer_groups[2])
    learn.fit(1e-2, 2, quiet=True)
    assert _same(body, _params(learn.layer_groups[0]) + _params(learn.layer_groups[1]))
    assert not _same(head, _params(learn.layer_groups[2]))
    learn.unfreeze()
    assert learn.precompute is False
    with pytest.raises(ValueError, match="frozen body"):
        learn.precompute = True


def test_precompute_spills_to_a_memory_mapped_file(learn, coursekit_home):
    learn.feature_cache.max_bytes = 1000
    learn.data = learn.data.with_size(32)
    learn.data.aug = None
    learn.precompute = True
    loss, _ = learn.validate()
    files = list((coursekit_home / "precompute").glob("*.f32"))
    assert files and math.isfinite(loss)
    learn.precompute = False
    assert all(f.exists() for f in files)  # still valid: the body has not changed
    learn.fit(1e-3, 1, quiet=True)  # training through the body invalidates it
    assert not any(f.exists() for f in files)


def test_tta_returns_what_fastai_07_returns(learn, planet_data, monkeypatch):
    """fastai 0.7's ``TTA(n_aug)`` (old/fastai/learner.py): ``np.stack([plain] * ceil(n_aug/4) +
    [augmented] * n_aug), targs``, of the model's outputs: log-probabilities for one label per
    picture, probabilities (its sigmoid) for multi-label data."""
    monkeypatch.setattr(
        ck.train.inference,
        "train_transform",
        lambda size, *a: lambda img: ck.data.transforms.valid_transform(size)(img) * 0,
    )  # "augmented" views all black, so they can be told from the plain ones
    probs, y = learn.get_preds("valid")
    log_preds, targets = learn.TTA(n_aug=8)
    assert log_preds.shape == (2 + 8, *probs.shape) and np.array_equal(targets, y.numpy())
    for view in range(10):
        plain = np.allclose(np.exp(log_preds[view]), probs.numpy(), atol=1e-5)
        assert plain == (view < 2), view
    multi = ck.Learner.pretrained("resnet18", planet_data.with_size(32), pretrained=False)
    multi_probs, _ = multi.get_preds("valid")
    multi_preds, multi_y = multi.TTA()
    assert multi_preds.shape == (5, *multi_probs.shape) and multi_y.shape == multi_probs.shape
    assert np.allclose(multi_preds[0], multi_probs.numpy(), atol=1e-5)  # not logs: probabilities


def test_pretrained_takes_precompute_as_the_course_writes_it(tiny_pets):
    learn = ck.Learner.pretrained("resnet18", tiny_pets, pretrained=False, precompute=True)
    assert learn.precompute and not any(g.trainable for g in learn.layer_groups[:-1])
    assert not ck.cnn_learner(tiny_pets, "resnet18", pretrained=False).precompute


@pytest.mark.slow
def test_multilabel_learner_and_submission(planet_data, tmp_path):
    learn = ck.Learner.pretrained(
        "resnet18", planet_data.with_size(32), pretrained=False, metrics=[ck.f2]
    )
    assert learn.loss_func is torch.nn.functional.binary_cross_entropy_with_logits
    learn.fit(1e-2, 1, quiet=True)
    assert 0 <= learn.recorder.rows[0]["f2"] <= 1
    sub = learn.submission(tmp_path / "sub.csv", use_tta=False, thresh=0.5)
    rows = list(csv.reader(sub.read_text().splitlines()))
    assert rows[0] == ["image_name", "tags"] and len(rows) == 1 + len(planet_data.test_paths)
    assert all(t in planet_data.classes for r in rows[1:] for t in r[1].split())


@pytest.mark.slow
def test_single_label_submission_has_a_column_per_class(learn, tmp_path):
    data = ck.ImageData.from_csv(
        ck.samples.dogbreeds(),
        folder="train",
        csv="labels.csv",
        suffix=".jpg",
        test="test",
        size=32,
        bs=16,
        num_workers=0,
    )
    learn = ck.Learner.pretrained("resnet18", data, pretrained=False)
    rows = list(
        csv.reader(learn.submission(tmp_path / "s.csv", use_tta=True).read_text().splitlines())
    )
    assert rows[0] == ["id", *data.classes] and len(rows) == 1 + len(data.test_paths)
    assert all(sum(map(float, r[1:])) == pytest.approx(1, abs=1e-4) for r in rows[1:])


def test_freeze_to_follows_fastai_07_slicing_and_refuses_other_indices(learn):
    n_groups = len(learn.layer_groups)
    for n in range(-n_groups, n_groups + 1):
        learn.freeze_to(n)
        # fastai 0.7: every group frozen, then layer_groups[n:] made trainable
        expected = [i in range(n_groups)[n:] for i in range(n_groups)]
        assert [g.trainable for g in learn.layer_groups] == expected, n
    learn.freeze_to(-2)
    for n in (-n_groups - 1, n_groups + 1, -100):
        with pytest.raises(ValueError, match=rf"freeze_to\({n}\): this learner has 3 layer groups"):
            learn.freeze_to(n)
    assert [g.trainable for g in learn.layer_groups] == [False, True, True]  # left as it was


def test_predictions_name_a_misspelt_split(learn):
    with pytest.raises(ValueError, match=r"unknown split 'vaild'"):
        learn.get_preds("vaild")
    with pytest.raises(ValueError, match=r"unknown split 'vaild'"):
        learn.tta(split="vaild")
    with pytest.raises(ValueError, match="no test set"):
        learn.submission("sub.csv")


def test_the_cache_needs_only_the_data_a_model_and_a_precision(tiny_pets):
    """The cache behind ``learn.precompute``: the body's pooled activations of the plain
    (un-augmented) pictures, in file order, from explicit inputs; computed once."""
    from coursekit.train.precision import Precision
    from coursekit.train.precompute import FeatureCache

    torch.manual_seed(0)
    model, _ = ck.train.models.create_convnet("resnet18", tiny_pets.c, pretrained=False)
    model.train()
    cache, fp32 = FeatureCache(), Precision.for_device(torch.device("cpu"))
    features, targets = cache.get("train", tiny_pets, model, fp32)
    plain = tiny_pets.split("train").with_transform(tiny_pets.split("valid").transform)
    model.eval()
    with torch.no_grad():
        expected = torch.cat([model.features(xb) for xb, _ in tiny_pets.loader(plain, bs=5)])
    assert torch.allclose(features, expected, atol=1e-5)
    assert torch.equal(targets, plain.targets)
    assert cache.get("train", tiny_pets, model, fp32)[0] is features  # cached
    batches = cache.loader("train", tiny_pets, model, fp32, shuffle=True)
    assert sum(len(yb) for _, yb in batches) <= len(targets)


def test_precomputed_batches_cover_every_row_once_in_a_new_order_each_epoch():
    from coursekit.train.precompute import FeatureBatches

    features, targets = torch.arange(10.0).view(10, 1).expand(10, 3), torch.arange(10)
    batches = FeatureBatches(features, targets, bs=4, shuffle=True, drop_last=False)
    torch.manual_seed(0)
    first = torch.cat([yb for _, yb in batches])
    second = torch.cat([yb for _, yb in batches])
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(10))
    assert first.tolist() != second.tolist()
    assert all(torch.equal(xb[:, 0].long(), yb) for xb, yb in batches)  # rows stay paired
    dropped = FeatureBatches(features, targets, bs=4, shuffle=True, drop_last=True)
    assert len(dropped) == 2 and [len(yb) for _, yb in dropped] == [4, 4]


def test_batches_per_epoch_are_counted_without_building_a_loader(learn, monkeypatch):
    expected = len(learn.loader("train", shuffle=True))
    monkeypatch.setattr(learn.feature_cache, "get", lambda *a: pytest.fail("computed activations"))
    with monkeypatch.context() as m:
        m.setattr(type(learn.data), "loader", lambda *a, **k: pytest.fail("built a loader"))
        assert learn.steps_per_epoch == expected
        with pytest.warns(UserWarning, match="no effect while precomputing"):
            learn.precompute = True  # the same count over cached activations
        assert learn.steps_per_epoch == expected
