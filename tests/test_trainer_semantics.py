"""The course's training semantics, exactly, and no way to leave a learner broken (one test per pitfall)."""

import math
import re
import threading

import numpy as np
import pytest
import torch

import coursekit as ck
from coursekit.train import plan as fit_plans
from coursekit.train import schedules


def _top_lrs(learn):
    return [lrs[-1] for lrs in learn.recorder.lrs]


# ---------------------------------------------------------------------------------- schedules
def test_one_cycle_is_defined_for_any_number_of_steps():
    for total in range(1, 12):
        for pct in (0.0, 0.25, 0.3, 0.5, 0.99):
            lrs = [schedules.one_cycle(s, total, 1.0, pct) for s in range(total)]
            moms = [schedules.one_cycle_momentum(s, total, pct) for s in range(total)]
            assert all(math.isfinite(x) and 0 < x <= 1.0 for x in lrs + moms), (total, pct)


def test_fit_one_cycle_when_the_warm_up_is_one_step(learn):
    assert len(learn.loader("train", shuffle=True)) == 3
    learn.fit_one_cycle(
        1, 1e-3, pct_start=1 / 3, quiet=True
    )  # 1/3 x 3 steps = 1: torch divides by zero; fastai v1 peaks at step int(3 / 3) = 1
    assert len(learn.recorder.losses) == 3
    assert _top_lrs(learn)[:2] == pytest.approx([1e-3 / 25, 1e-3])
    with pytest.raises(ValueError, match="n_cycle=0"):
        learn.fit(1e-3, 0)


@pytest.mark.slow
def test_sgdr_runs_exactly_n_cycles_even_for_fractional_cycles(learn):
    learn.fit(1e-2, 1, cycle_len=0.5, quiet=True)  # 3 batches per epoch: one cycle of 2
    assert [x / 1e-2 for x in _top_lrs(learn)] == pytest.approx([0.01, 0.5])  # fastai 0.7's warm-up
    assert len(learn.recorder.rows) == 1  # validated where it ended, mid-epoch
    learn.fit(1e-2, 3, cycle_len=1.5, quiet=True)  # cycles end at 4.5 -> 5, 9, 13.5 -> 14
    lrs = _top_lrs(learn)
    assert len(lrs) == 14 and len(learn.recorder.rows) == 5
    assert [i for i, x in enumerate(lrs) if x == pytest.approx(1e-2)] == [5, 9]  # step 0: warm-up
    assert lrs[0] == pytest.approx(1e-4)
    assert lrs[-1] < 1e-2 / 10  # ends at the bottom, no 4th cycle


def test_cycle_ends_at_half_steps_round_up_and_bad_cycles_are_errors():
    assert schedules.cycle_starts(2, 0.5, 1, 5) == [0, 3, 5]  # 2.5 -> 3 (round() would give 2)
    assert schedules.cycle_starts(3, 0.1, 1, 10) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match=r"cycle_mult=0\.4"):
        fit_plans.plan_fit(1e-2, 3, 4, 3, cycle_len=1, cycle_mult=0.4)
    with pytest.raises(ValueError, match="shorter than one batch"):
        fit_plans.plan_fit(1e-2, 3, 4, 1, cycle_len=0.1)


@pytest.mark.parametrize("cycle_len, cycle_mult", [(1, 1), (1, 2), (2, 3), (0.5, 2)])
def test_sgdr_plan_matches_cosine_annealing_warm_restarts_after_the_warm_up(cycle_len, cycle_mult):
    spe, n_cycle = 10, 3
    plan = fit_plans.plan_fit(0.1, 1, spe, n_cycle, cycle_len, cycle_mult)
    n_warm = math.ceil(
        cycle_len * spe / 20
    )  # fastai 0.7: the first 1/20 of the first cycle at lr/100
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    ref = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        opt, T_0=int(cycle_len * spe), T_mult=cycle_mult
    )
    expected = []
    for _ in range(plan.total_steps):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        ref.step()
    ours = [plan.schedule.lr_at(s) for s in range(plan.total_steps)]
    assert ours[:n_warm] == pytest.approx([0.1 / 100] * n_warm)
    assert ours[n_warm:] == pytest.approx(expected[n_warm:], abs=1e-12)


# ------------------------------------------------------------------------------ learning rates
@pytest.mark.slow
def test_learning_rates_as_the_course_writes_them(learn):
    assert fit_plans.spread_lrs(slice(1e-3), 3) == pytest.approx([1e-4, 1e-4, 1e-3])
    assert fit_plans.spread_lrs(slice(1e-6, 1e-4), 3) == pytest.approx([1e-6, 1e-5, 1e-4])
    assert fit_plans.spread_lrs(np.float32(1e-3), 3) == pytest.approx([1e-3] * 3)
    assert fit_plans.spread_lrs(np.array([1e-4, 1e-3, 1e-2]), 3) == pytest.approx(
        [1e-4, 1e-3, 1e-2]
    )
    with pytest.raises(ValueError, match="positive"):
        fit_plans.spread_lrs(-1e-3, 3)
    learn.unfreeze()
    learn.fit(slice(1e-6, 1e-4), 1, quiet=True)
    assert learn.recorder.lrs[0] == pytest.approx([1e-6, 1e-5, 1e-4])
    learn.fit_one_cycle(1, slice(1e-3), quiet=True)
    assert all(
        step_lrs[0] / step_lrs[2] == pytest.approx(0.1) and step_lrs[1] == step_lrs[0]
        for step_lrs in learn.recorder.lrs
    )
    learn.fit(np.float64(1e-3), 1, quiet=True)
    learn.fit(np.array([1e-4, 1e-3, 1e-2]), 1, quiet=True)
    assert learn.recorder.lrs[0] == pytest.approx([1e-4, 1e-3, 1e-2])


# --------------------------------------------------------------------------------- optimizers
def test_each_course_has_its_optimizer(tiny_pets):
    old = ck.Learner.pretrained("tinyresnet", tiny_pets)
    new = ck.cnn_learner(tiny_pets, "tinyresnet", metrics=[ck.error_rate])
    old.fit(1e-3, 1, quiet=True)
    new.fit(1e-3, 1, quiet=True)
    assert isinstance(old.opt, torch.optim.SGD) and old.opt.param_groups[0]["momentum"] == 0.9
    assert old.opt.param_groups[0]["weight_decay"] == 0
    assert isinstance(new.opt, torch.optim.AdamW) and new.opt.param_groups[0]["betas"] == (
        0.9,
        0.99,
    )
    assert new.opt.param_groups[0]["weight_decay"] == 1e-2
    assert "SGD(momentum=0.9)" in repr(old) and "AdamW" in repr(new)
    assert "AdamW" in repr(ck.Learner.pretrained("tinyresnet", tiny_pets, opt_name="adamw"))
    assert "SGD" in repr(ck.cnn_learner(tiny_pets, "tinyresnet", opt_name="sgd"))
    with pytest.raises(ValueError, match="opt_name='adam'"):
        ck.cnn_learner(tiny_pets, "tinyresnet", opt_name="adam")


# --------------------------------------------------------------------------------- divergence
@pytest.mark.slow
def test_a_diverged_fit_leaves_the_learner_as_it_was_and_the_advice_trains(tiny_pets):
    torch.manual_seed(0)
    learn = ck.Learner.pretrained("tinyresnet", tiny_pets)  # SGD, as the 2018 lessons
    learn.unfreeze()
    before = {k: v.clone() for k, v in learn.model.state_dict().items()}
    learn.fit(1e4, 3, quiet=True)  # explodes to inf in the second epoch
    reason = learn.recorder.stopped
    assert "back to where they were before this fit" in reason
    assert all(torch.equal(before[k], v) for k, v in learn.model.state_dict().items())
    lr = 1e4
    for _ in range(8):  # follow the advice until it trains
        advised = float(re.search(r"10x lower \(([0-9.e+-]+)\)", learn.recorder.stopped).group(1))
        assert advised == pytest.approx(lr / 10)
        lr = advised
        learn.fit(lr, 1, quiet=True)
        if learn.recorder.stopped is None:
            break
    assert learn.recorder.stopped is None and len(learn.recorder.rows) == 1
    assert all(math.isfinite(x) for x in learn.recorder.losses)


# ----------------------------------------------------------------------------- background fit
def test_a_background_fit_refuses_every_other_call_and_finishes_unharmed(learn):
    go = threading.Event()
    learn.events["after_batch"].append(lambda learner: go.wait(30))
    job = learn.fit(1e-3, 2, background=True)
    calls = {
        "fit": lambda: learn.fit(1e-3, 1, quiet=True),
        "fit_one_cycle": lambda: learn.fit_one_cycle(1, quiet=True),
        "lr_find": lambda: learn.lr_find(quiet=True),
        "get_preds": learn.get_preds,
        "tta": learn.tta,
        "predict": lambda: learn.predict(learn.data.valid_paths[0]),
        "validate": learn.validate,
        "save": lambda: learn.save("x"),
        "load": lambda: learn.load("x"),
        "unfreeze": learn.unfreeze,
        "bn_freeze": learn.bn_freeze,
        "interpret": learn.interpret,
        "export": lambda: learn.export("during-fit.pth"),
    }
    try:
        for name, call in calls.items():
            with pytest.raises(
                RuntimeError, match=r"learn\.fit\(1e-3, 2\) is running in the background"
            ) as e:
                call()
            assert "learn.background_fit.join()" in str(e.value) and "learn.stop()" in str(
                e.value
            ), name
    finally:
        go.set()
    recorder = job.join(timeout=120)
    assert not (learn.data.path / "during-fit.pth").exists()
    assert job.error is None and len(recorder.rows) == 2 and recorder.stopped is None
    assert all(math.isfinite(x) for x in recorder.losses)
    learn.fit(1e-3, 1, quiet=True)  # once it is done, the learner is free


# ---------------------------------------------------------------------------------- snapshots
@pytest.mark.slow
def test_snapshot_ensembles_use_only_this_fits_cycles(learn):
    learn.fit(1e-2, 3, cycle_len=1, cycle_save_name="snap", quiet=True)
    learn.fit(1e-2, 2, cycle_len=1, cycle_save_name="snap", quiet=True)
    assert sorted(p.name for p in learn.models_dir.glob("snap_cyc_*.pth")) == [
        "snap_cyc_0.pth",
        "snap_cyc_1.pth",
    ]
    mean, _ = learn.snapshot_preds("snap")
    probs = []
    for i in range(2):
        learn.load(f"snap_cyc_{i}")
        probs.append(learn.get_preds()[0])
    assert torch.allclose(mean, (probs[0] + probs[1]) / 2, atol=1e-6)
    with pytest.raises(ValueError, match="add cycle_len"):
        learn.fit(1e-2, 2, cycle_save_name="snap")


def test_a_snapshot_at_a_half_step_cycle_end_is_saved_at_that_end(learn, monkeypatch):
    saved = []
    monkeypatch.setattr(learn, "save", lambda name: saved.append((name, learn.recorder.iteration)))
    learn.fit(
        1e-2, 3, cycle_len=0.5, cycle_save_name="half", quiet=True
    )  # ends at 1.5, 3, 4.5 steps
    assert saved == [("half_cyc_0", 2), ("half_cyc_1", 3), ("half_cyc_2", 5)]


# --------------------------------------------------------------------------------- checkpoints
def test_load_names_the_file_when_it_is_damaged_or_has_no_classes(learn):
    path = learn.save("good")
    state = torch.load(path, weights_only=True)
    del state["classes"]
    torch.save(state, learn.models_dir / "noclasses.pth")
    with pytest.raises(ValueError, match=r"noclasses\.pth was saved for classes none recorded"):
        learn.load("noclasses")
    (learn.models_dir / "cut.pth").write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ValueError, match=r"cut\.pth is not a readable coursekit checkpoint"):
        learn.load("cut")


def test_the_fit_loop_needs_only_a_model_an_optimizer_batches_and_steps(capsys):
    """The plain function behind ``learn.fit``: a bare model, its optimizer, batches, a step and
    a validation; the schedule's rates reach the optimizer, snapshots are asked for at each
    cycle's end, a stop asked is honoured, and a diverging loss puts the weights back."""
    from coursekit.train.fit_loop import epoch_table_columns, run_fit
    from coursekit.train.plan import plan_fit
    from coursekit.train.recorder import Recorder

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    xs, ys = torch.randn(12, 4), torch.randint(0, 2, (12,))
    batches = [(xs[i : i + 4], ys[i : i + 4]) for i in range(0, 12, 4)]
    seen_lrs, events, snapshots_at = [], [], []

    def step(xb, yb):
        seen_lrs.append(opt.param_groups[0]["lr"])
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    def fit(plan, stop=lambda: None, train_step=step):
        return run_fit(
            plan, model, opt, batches, train_step, model.train, lambda: (0.5, {"accuracy": 0.75}),
            Recorder(), epoch_table_columns([]), events.append, stop, snapshots_at.append,
            quiet=True,
        )  # fmt: skip

    plan = plan_fit(1e-2, 1, 3, 2, 1, 2, "snap")  # cycles of 1 and 2 epochs of 3 batches
    rec = fit(plan)
    assert seen_lrs == [plan.schedule.group_lrs(i)[0] for i in range(9)]
    assert snapshots_at == [0, 1] and len(rec.rows) == 3 and rec.stopped is None
    assert events.count("after_batch") == 9 and events[0] == "before_fit" and not model.training

    asked = iter([None, None, "stopped"])
    rec = fit(plan_fit(1e-2, 1, 3, 1), stop=lambda: next(asked, "stopped"))
    assert rec.stopped == "stopped" and len(rec.losses) == 2 and rec.rows == []

    before = {k: v.clone() for k, v in model.state_dict().items()}
    calls = iter([1.0, float("nan")])

    def diverging(xb, yb):
        step(xb, yb)
        return next(calls)

    rec = fit(plan_fit(1e-2, 1, 3, 1), train_step=diverging)
    assert rec.stopped.startswith("the loss became nan at batch 1")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
