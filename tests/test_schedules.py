"""Every schedule, every step, against a reference: the course libraries' own schedulers (fastai
0.7's CosAnneal for ``fit``, fastai v1's OneCycleScheduler for ``fit_one_cycle``), written out
below as their code steps, and torch.optim.lr_scheduler where torch has the same schedule."""

import numpy as np
import pytest
import torch

from coursekit.train import schedules
from coursekit.train.plan import plan_fit


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


# fastai v1 (1.0.64.dev0; github.com/fastai/fastai1 at 15bc02c6, formerly fastai/fastai's v1 tree),
# fastai/callback.py ``annealing_cos`` and ``Scheduler``, fastai/callbacks/one_cycle.py
# ``OneCycleScheduler.on_train_begin`` / ``on_batch_end``, in the order fastai's fit loop calls them:
# the first batch uses the phase's start, and each later one the value ``step()`` set after the last.
def _fastai_v1_annealing_cos(start, end, pct):
    cos_out = np.cos(np.pi * pct) + 1
    return end + (start - end) / 2 * cos_out


class _FastaiV1Scheduler:
    def __init__(self, vals, n_iter, func):
        self.start, self.end = vals
        self.n_iter = max(1, n_iter)
        self.func = func
        self.n = 0

    def step(self):
        self.n += 1
        return self.func(self.start, self.end, self.n / self.n_iter)

    @property
    def is_done(self):
        return self.n >= self.n_iter


def _fastai_v1_one_cycle(n, lr_max, moms=(0.95, 0.85), div_factor=25.0, pct_start=0.3):
    """(lrs, moms) of each of ``n`` batches (``n = len(train_dl) * n_epochs``)."""
    final_div = div_factor * 1e4
    a1 = int(n * pct_start)
    a2 = n - a1
    phases = ((a1, _fastai_v1_annealing_cos), (a2, _fastai_v1_annealing_cos))
    low_lr = lr_max / div_factor
    lr_scheds = [
        _FastaiV1Scheduler(vals, n_iter, func)
        for vals, (n_iter, func) in zip(((low_lr, lr_max), (lr_max, lr_max / final_div)), phases)
    ]
    mom_scheds = [
        _FastaiV1Scheduler(vals, n_iter, func)
        for vals, (n_iter, func) in zip((moms, (moms[1], moms[0])), phases)
    ]
    lr, mom, idx_s = lr_scheds[0].start, mom_scheds[0].start, 0  # on_train_begin
    lrs, momentums = [], []
    for _ in range(n):
        lrs.append(lr)
        momentums.append(mom)
        if idx_s >= len(lr_scheds):  # on_batch_end(train=True)
            break
        lr, mom = lr_scheds[idx_s].step(), mom_scheds[idx_s].step()
        if lr_scheds[idx_s].is_done:
            idx_s += 1
    return lrs, momentums


@pytest.mark.parametrize(
    "total, pct, div",
    [
        (100, 0.3, 25.0),
        (37, 0.3, 10.0),
        (10, 0.5, 25.0),
        (3, 0.3, 25.0),
        (1, 0.3, 25.0),
        (20, 0.0, 25.0),
    ],
)
def test_one_cycle_matches_fastai_v1_one_cycle_scheduler(total, pct, div):
    ref_lrs, ref_moms = _fastai_v1_one_cycle(total, 0.1, div_factor=div, pct_start=pct)
    assert len(ref_lrs) == total
    ours = [schedules.one_cycle(s, total, 0.1, pct, div) for s in range(total)]
    assert ours == pytest.approx(ref_lrs, rel=1e-12, abs=1e-15)
    moms = [schedules.one_cycle_momentum(s, total, pct) for s in range(total)]
    assert moms == pytest.approx(ref_moms, rel=1e-12)


def test_one_cycle_peaks_at_int_n_pct_and_never_quite_ends():
    """fastai v1's placement, not torch's: the peak is step int(n * pct_start) (torch's OneCycleLR:
    one step earlier), and the last step is short of lr_max / div / final_div (torch's: exactly it)."""
    n = 100
    ours = [schedules.one_cycle(s, n, 0.1) for s in range(n)]
    assert ours.index(max(ours)) == 30 and ours[30] == pytest.approx(0.1)
    assert ours[-1] > 0.1 / 25 / 1e4 * 10
    torch_lrs, _ = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr=0.1, total_steps=n, pct_start=0.3, anneal_strategy="cos", three_phase=False
        ),
        n,
    )
    assert torch_lrs.index(max(torch_lrs)) == 29 and torch_lrs[-1] == pytest.approx(0.1 / 25 / 1e4)


def test_one_cycle_momentum_drives_adam_beta1_as_fastai_v1():
    """fastai v1 writes ``mom`` into AdamW's first beta; the schedule is the same for SGD's momentum."""
    _, ref_moms = _fastai_v1_one_cycle(50, 0.1)
    assert [schedules.one_cycle_momentum(s, 50) for s in range(50)] == pytest.approx(ref_moms)


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


# fastai 0.7 (github.com/fastai/fastai1 at 15bc02c6, old/fastai/sgdr.py; the 2018 course's library):
# ``CosAnneal.calc_lr``, called by ``LR_Updater.on_train_begin`` (iteration 0) and after every batch by
# ``LR_Updater.on_batch_end`` (``LossRecorder.on_batch_end`` first adds 1 to ``iteration``);
# old/fastai/learner.py ``fit_gen`` makes it with ``nb = len(data.trn_dl) * cycle_len`` and trains
# ``sum(cycle_len * cycle_mult**i)`` epochs.
def _fastai_07_cos_anneal(init_lr, batches_per_epoch, n_cycle, cycle_len, cycle_mult):
    nb = batches_per_epoch * cycle_len
    n_epochs = sum(cycle_len * cycle_mult**i for i in range(n_cycle))
    iteration, cycle_iter = 0, 0

    def calc_lr():
        nonlocal cycle_iter, nb
        if iteration < nb / 20:
            cycle_iter += 1
            return init_lr / 100.0
        cos_out = np.cos(np.pi * cycle_iter / nb) + 1
        cycle_iter += 1
        if cycle_iter == nb:
            cycle_iter = 0
            nb *= cycle_mult
        return init_lr / 2 * cos_out

    lrs, lr = [], calc_lr()  # on_train_begin
    for _ in range(n_epochs * batches_per_epoch):
        lrs.append(lr)
        iteration += 1  # on_batch_end
        lr = calc_lr()
    return lrs


@pytest.mark.parametrize(
    "steps_per_epoch, n_cycle, cycle_len, cycle_mult",
    [
        (10, 3, 1, 1),
        (10, 3, 1, 2),
        (40, 3, 1, 2),
        (100, 2, 1, 2),
        (7, 2, 2, 3),
        (60, 3, 1, 1),
        (3, 4, 1, 2),
    ],
)
def test_fit_plan_matches_fastai_07_cos_anneal_warm_up_included(
    steps_per_epoch, n_cycle, cycle_len, cycle_mult
):
    ref = _fastai_07_cos_anneal(0.1, steps_per_epoch, n_cycle, cycle_len, cycle_mult)
    plan = plan_fit(0.1, 1, steps_per_epoch, n_cycle, cycle_len, cycle_mult)
    assert plan.total_steps == len(ref)
    assert [plan.schedule.lr_at(s) for s in range(plan.total_steps)] == pytest.approx(
        ref, rel=1e-12, abs=1e-15
    )


def test_the_warm_up_is_the_first_twentieth_of_the_first_cycle_only():
    plan = plan_fit(0.1, 1, 40, 3, 1, 2)  # cycles of 40, 80 and 160 steps
    lrs = [plan.schedule.lr_at(s) for s in range(plan.total_steps)]
    assert lrs[:3] == pytest.approx([0.001, 0.001, 0.1 / 2 * (np.cos(np.pi * 2 / 40) + 1)])
    for start in (40, 120):  # each restart is to the full rate: no warm-up again
        assert lrs[start] == pytest.approx(0.1)
    # the pure function has none unless asked: it then equals torch's CosineAnnealingWarmRestarts
    assert schedules.sgdr(0, 0.1, 40, 1, 2) == pytest.approx(0.1)


def test_n_cycle_is_a_whole_number_in_both_kinds_of_fit():
    from coursekit.train.plan import plan_fit

    for cycle_len in (None, 1):
        plan = plan_fit(1e-2, 1, steps_per_epoch=4, n_cycle=3.0, cycle_len=cycle_len)
        assert plan.n_epochs == 3 and "learn.fit(1e-2, 3" in plan.code
        for bad in (2.5, 0, True):
            with pytest.raises(ValueError, match="whole number of cycles"):
                plan_fit(1e-2, 1, steps_per_epoch=4, n_cycle=bad, cycle_len=cycle_len)
