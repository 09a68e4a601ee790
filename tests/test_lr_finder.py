"""The LR finder: its ramp, its stopping rule, the suggestion, and an exact restore."""

import copy
import math
import random

import numpy as np
import pytest
import torch

import coursekit as ck
from coursekit.train import schedules
from coursekit.train.lr_finder import LRFinderResult, suggest_lr


def _state(learn):
    return (
        {k: v.clone() for k, v in learn.model.state_dict().items()},
        [p.requires_grad for p in learn.model.parameters()],
        [m.training for m in learn.model.modules()],
    )


def _opt_state_equal(a, b):
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for k in a["state"]:
        for name, value in a["state"][k].items():
            assert torch.equal(value, b["state"][k][name]), (k, name)


@pytest.mark.slow
def test_restores_everything_bit_for_bit(learn):
    learn.fit(1e-3, 1, quiet=True)  # an optimizer with momentum state
    learn.freeze_to(-2)
    learn.bn_freeze(True)
    learn.model.eval()
    model, grads, modes = _state(learn)
    opt = copy.deepcopy(learn.opt.state_dict())
    result = learn.lr_find(num_it=10, quiet=True)
    assert len(result.lrs) > 2
    after_model, after_grads, after_modes = _state(learn)
    assert all(torch.equal(model[k], after_model[k]) for k in model)  # running stats included
    assert grads == after_grads and modes == after_modes
    _opt_state_equal(opt, learn.opt.state_dict())
    assert learn.bn_frozen


def test_the_finder_needs_only_a_model_an_optimizer_and_batches():
    """The plain function behind ``learn.lr_find``: any model, its optimizer (one parameter group
    per layer group), batches and a step; the model and optimizer come back as they were."""
    from coursekit.train.lr_finder import lr_find

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    opt = torch.optim.SGD(
        [{"params": model[0].parameters()}, {"params": model[2].parameters()}], lr=0.1, momentum=0.9
    )
    xs, ys = torch.randn(24, 4), torch.randint(0, 2, (24,))
    batches = [(xs[i : i + 8], ys[i : i + 8]) for i in range(0, 24, 8)]

    def step(xb, yb):
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt_before = copy.deepcopy(opt.state_dict())
    seen = []
    result = lr_find(
        model, opt, lambda: batches, step, model.train, [1e-5, 1e-4], 1e3, num_it=20,
        quiet=True, on_step=lambda i, n: seen.append((i, n)),
    )  # fmt: skip
    assert seen[0] == (1, 20) and len(seen) == len(result.lrs) > 3  # 3 batches, passed over again
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.1]
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    _opt_state_equal(opt_before, opt.state_dict())
    assert not model.training
    with pytest.raises(ValueError, match="one per layer group \\(2\\)"):
        lr_find(model, opt, lambda: batches, step, model.train, [1e-5, 1e-4, 1e-3])


@pytest.mark.slow
@pytest.mark.parametrize("num_it", [3, 7])
def test_the_random_draws_after_it_are_those_without_it(learn, num_it):
    """However long the finder runs (it stops where the loss diverges), what follows it draws
    the same numbers: the next fit's batch order, a new head's weights, the augmentations."""

    def draws():
        return (random.random(), np.random.rand(), torch.rand(3).tolist())

    ck.set_seed(5)
    without = draws()
    ck.set_seed(5)
    learn.lr_find(num_it=num_it, quiet=True)
    assert draws() == without


@pytest.mark.slow
def test_without_an_optimizer_none_is_left_behind(learn):
    assert learn.opt is None
    learn.lr_find(num_it=5, quiet=True)
    assert learn.opt is None


@pytest.mark.slow
def test_ramp_is_exponential_over_num_it_batches_across_epochs(learn):
    assert len(learn.loader("train", shuffle=True)) == 3
    result = learn.lr_find(start_lr=1e-6, end_lr=1e-2, num_it=20, quiet=True)
    assert len(result.lrs) == 20  # nearly 7 epochs of 3 batches
    assert result.lrs == pytest.approx([schedules.exp_ramp(s, 20, 1e-6, 1e-2) for s in range(20)])


def _diverged(losses, i, stop_div=4.0, min_loss=0.05):
    """The finder's stop rule at step ``i``: not finite, or over ``stop_div`` x the best before it."""
    best = min(losses[:i], default=math.inf)
    return not math.isfinite(losses[i]) or losses[i] > stop_div * max(best, min_loss)


def test_stops_at_the_first_loss_that_explodes(learn):
    result = learn.lr_find(start_lr=1e-4, end_lr=1e6, num_it=20, quiet=True)
    losses = result.losses
    assert 2 <= len(losses) < 20  # the ramp to 1e6 was cut short ...
    assert _diverged(losses, len(losses) - 1)  # ... by the last loss ...
    assert not any(
        _diverged(losses, i) for i in range(len(losses) - 1)
    )  # ... and by no earlier one


@pytest.mark.slow
def test_differential_start_keeps_group_ratios(learn, monkeypatch):
    seen = []
    original = learn.set_lrs
    monkeypatch.setattr(
        learn,
        "set_lrs",
        lambda lrs, momentum=None: (seen.append(list(lrs)), original(lrs, momentum)),
    )
    learn.lr_find(start_lr=[1e-6, 1e-5, 1e-4], end_lr=1.0, num_it=4, quiet=True)
    for lrs in seen:
        assert lrs[1] / lrs[0] == pytest.approx(10) and lrs[2] / lrs[1] == pytest.approx(10)


def test_suggestion_is_the_steepest_descent_on_log_spacing():
    lrs = np.logspace(-6, 0, 61)
    x = np.log10(lrs)
    losses = (
        2 - np.tanh(2 * (x + 3)) + np.where(x > -1.5, 20 * (x + 1.5) ** 2, 0)
    )  # steepest at 1e-3
    assert suggest_lr(lrs, losses) == pytest.approx(1e-3, rel=0.13)
    losses_nan = losses.copy()
    losses_nan[[5, 40]] = np.nan
    losses_nan[50] = np.inf
    assert suggest_lr(lrs, losses_nan) == pytest.approx(1e-3, rel=0.13)
    assert suggest_lr([1e-3, 1e-2], [1.0, 0.5]) == pytest.approx(
        1e-3
    )  # too few points: the course's rule
    assert suggest_lr([1e-3, 1e-2, 1e-1], [float("nan")] * 3) is None


def test_suggestion_ignores_the_divergent_tail():
    lrs = np.logspace(-5, 1, 31)
    x = np.log10(lrs)
    losses = np.where(
        x < -2, 2 - 0.2 * (x + 5), 1.4 + 3 * (x + 2) ** 2
    )  # after the minimum: a cliff up
    losses[-3:] = [50, 100, 1e6]
    s = suggest_lr(lrs, losses)
    assert s < 10**-1.9


@pytest.mark.slow
def test_plot_marks_the_suggestion(learn):
    result = learn.lr_find(num_it=10, quiet=True)
    fig = ck.plot_lr_find(result)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and len(ax.lines) == (2 if result.suggestion else 1)


def test_plot_marks_a_chosen_rate_and_the_ramp_is_the_rates_tried():
    lrs = list(np.logspace(-7, 1, 40))
    result = LRFinderResult(lrs, list(np.linspace(2, 1, 40)), 1e-4)
    ax = ck.plot_lr_find(result, lr=1e-2).axes[0]
    assert [line.get_label() for line in ax.lines][1] == "marked 1e-2"
    assert ax.lines[1].get_xdata()[0] == 1e-2
    ramp = ck.plot_lr_ramp(result).axes[0]
    assert ramp.get_yscale() == "log"
    assert list(ramp.lines[0].get_xdata()) == list(range(40))
    assert np.allclose(ramp.lines[0].get_ydata(), lrs)


@pytest.mark.slow
def test_an_early_stop_ends_the_progress_bar_as_finished(learn, monkeypatch):
    from coursekit.train import lr_finder

    class NotebookBar:  # as tqdm.notebook: closed before its total, it turns red ("danger")
        def __init__(self, total, desc=""):
            self.n, self.total, self.style = 0, total, None

        def update(self, k):
            self.n += k

        def refresh(self):
            pass

        def close(self):
            self.style = "danger" if self.n < self.total else "success"

    bars = []
    monkeypatch.setattr(
        lr_finder, "progress_bar", lambda *a, **k: bars.append(NotebookBar(*a, **k)) or bars[-1]
    )
    result = learn.lr_find(start_lr=1e-4, end_lr=1e6, num_it=50, quiet=False)
    assert len(result.lrs) < 50  # it stopped early ...
    assert bars[0].style == "success" and bars[0].n == len(
        result.lrs
    )  # ... and the bar says finished


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_suggestion_is_robust_for_a_fresh_and_a_trained_head(tiny_pets, seed):
    """About num_it points reaching the rise, and a suggestion within 10x of the course's rule,
    before and after the head has trained (whose loss is then near zero)."""
    torch.manual_seed(seed)
    learn = ck.Learner.pretrained("tinyresnet", tiny_pets, metrics=[ck.accuracy])
    for trained in (False, True):
        if trained:
            learn.precompute = True
            learn.fit(1e-2, 6, quiet=True)
        result = learn.lr_find(quiet=True)
        finite = [x for x in result.losses if math.isfinite(x)]
        assert len(result.lrs) >= 60, (trained, len(result.lrs))
        assert int(np.argmin(finite)) < len(finite) - 3, trained  # the curve reached the rise
        assert result.suggestion is not None and result.min_lr_div10 is not None
        assert result.min_lr_div10 / 10 <= result.suggestion <= result.min_lr_div10 * 10, trained


@pytest.mark.parametrize("n", [2, 30])
def test_the_suggestion_is_one_of_the_rates_tried(n):
    """Not 10**log10(rate), which may differ in the last bit: the course's rule of thumb and the
    suggestion are then compared exactly."""
    lrs = [schedules.exp_ramp(s, n, 1.3e-7, 10) for s in range(n)]
    losses = [2.0 - 0.01 * s * s if s < n * 2 // 3 else 9.0 for s in range(n)]
    suggestion = suggest_lr(lrs, losses)
    assert suggestion in lrs or suggestion * 10 in lrs
