"""Every schedule, every step, against torch.optim.lr_scheduler."""

import pytest
import torch

from coursekit.train import schedules


def _torch_lrs(make_scheduler, n_steps, lr=0.1, opt="sgd"):
    p = torch.nn.Parameter(torch.zeros(1))
    optim = (
        torch.optim.SGD([p], lr=lr, momentum=0.9) if opt == "sgd" else torch.optim.AdamW([p], lr=lr)
    )
    sched = make_scheduler(optim)
    lrs, moms = [], []
    for _ in range(n_steps):
        lrs.append(optim.param_groups[0]["lr"])
        moms.append(
            optim.param_groups[0].get("momentum", optim.param_groups[0].get("betas", (None,))[0])
        )
        optim.step()
        sched.step()
    return lrs, moms


@pytest.mark.parametrize(
    "cycle_len, cycle_mult, lr_min", [(1, 1, 0.0), (1, 2, 0.0), (2, 3, 1e-4), (1, 1, 1e-3)]
)
def test_sgdr_matches_cosine_annealing_warm_restarts(cycle_len, cycle_mult, lr_min):
    spe, n_cycle = 10, 3
    n = spe * schedules.n_epochs_for_cycles(n_cycle, cycle_len, cycle_mult)
    ref, _ = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            o, T_0=cycle_len * spe, T_mult=cycle_mult, eta_min=lr_min
        ),
        n,
    )
    ours = [schedules.sgdr(s, 0.1, spe, cycle_len, cycle_mult, lr_min) for s in range(n)]
    assert ours == pytest.approx(ref, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    "total, pct, div, final_div",
    [(100, 0.25, 25.0, 1e4), (37, 0.3, 10.0, 100.0), (10, 0.5, 25.0, 1e4)],
)
def test_one_cycle_matches_onecyclelr(total, pct, div, final_div):
    ref_lr, ref_mom = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o,
            max_lr=0.1,
            total_steps=total,
            pct_start=pct,
            div_factor=div,
            final_div_factor=final_div,
            anneal_strategy="cos",
            three_phase=False,
            base_momentum=0.85,
            max_momentum=0.95,
        ),
        total,
    )
    ours = [schedules.one_cycle(s, total, 0.1, pct, div, final_div) for s in range(total)]
    assert ours == pytest.approx(ref_lr, rel=1e-9)
    moms = [schedules.one_cycle_momentum(s, total, pct) for s in range(total)]
    assert moms == pytest.approx(ref_mom, rel=1e-9)


def test_one_cycle_momentum_matches_adam_betas():
    _ref_lr, ref_beta1 = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr=0.1, total_steps=50, pct_start=0.25
        ),
        50,
        opt="adamw",
    )
    assert [schedules.one_cycle_momentum(s, 50, 0.25) for s in range(50)] == pytest.approx(
        ref_beta1
    )


def test_exp_ramp_matches_exponential_lr():
    n, start, end = 100, 1e-7, 10.0
    ref, _ = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=(end / start) ** (1 / (n - 1))),
        n,
        lr=start,
    )
    ours = [schedules.exp_ramp(s, n, start, end) for s in range(n)]
    assert ours == pytest.approx(ref, rel=1e-6)
    assert ours[0] == start and ours[-1] == pytest.approx(end)


def test_constant():
    assert {schedules.constant(s, 3e-3) for s in range(50)} == {3e-3}


def test_epoch_counts_including_cycle_mult_one():
    assert schedules.cycle_lengths(3, 1, 2) == [1, 2, 4]
    assert schedules.n_epochs_for_cycles(3, 1, 2) == 7
    assert schedules.n_epochs_for_cycles(3, 1, 1) == 3  # no division by zero at cycle_mult=1
    assert schedules.n_epochs_for_cycles(4, 2, 1) == 8
    assert schedules.cycle_starts(3, 1, 2, steps_per_epoch=10) == [0, 10, 30, 70]


def test_no_hidden_warmup():
    """SGDR starts at its full learning rate, and restarts to it exactly at each cycle start."""
    for start in schedules.cycle_starts(3, 1, 2, 10)[:-1]:
        assert schedules.sgdr(start, 0.1, 10, 1, 2) == pytest.approx(0.1)
