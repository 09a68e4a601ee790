"""The training panels, driven headless: set values, click buttons, assert on the learner and marks."""

import sys
import time
import types

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import coursekit as ck
from coursekit import widgets as ckw
from coursekit.train.lr_finder import LRFinderResult
from coursekit.train.plan import lr_text
from coursekit.widgets.common import decimate


@pytest.fixture
def tiny_learn(tiny_pets):
    torch.manual_seed(0)
    return ck.Learner.pretrained("tinyresnet", tiny_pets, metrics=[ck.accuracy])


# ------------------------------------------------------------------------------ LR finder panel
def test_lr_finder_panel_runs_draws_and_uses_a_rate(tiny_learn):
    panel = ckw.LRFinderPanel(tiny_learn, num_it=20)
    assert panel.use.disabled and len(panel.curve.x) == 0
    panel.run.click()
    result = panel.result
    finite = np.isfinite(result.losses)
    assert np.allclose(panel.curve.x, np.asarray(result.lrs)[finite])
    assert panel.progress.value == len(result.lrs)
    # a 3-point curve may have no descent before its minimum (so no suggestion; seen on torch 2.3):
    # the slider then starts mid-range
    expected = result.suggestion or result.lrs[len(result.lrs) // 2]
    assert panel.slider.value == pytest.approx(expected, rel=0.03)
    panel.slider.value = result.lrs[2]
    assert list(panel.marker.x) == pytest.approx([result.lrs[2]] * 2, rel=1e-6)
    assert f"lr <b>{lr_text(result.lrs[2])}</b>" in panel.readout.value
    assert panel.lr == float(f"{expected:.0e}")  # before a click: the marked rate, rounded
    panel.use.click()
    assert not hasattr(tiny_learn, "default_lr")  # nothing hidden on the learner
    assert panel.lr == float(f"{result.lrs[2]:.0e}")  # what the next cell reads
    # the slider shows the rate as it is used: one digit, read off a curve
    assert f"{panel.slider.value:{panel.slider.readout_format}}" == f"{panel.lr:.0e}"
    assert f"lr = {lr_text(panel.lr)}" in panel.code.value
    assert isinstance(panel.figure(), Figure)


def test_lr_finder_panel_marks_and_starts_at_a_given_rate(tiny_learn):
    lrs = list(np.logspace(-6, 0, 30))
    losses = list(3 - np.tanh(np.linspace(-3, 3, 30)))
    result = LRFinderResult(lrs, losses, 1e-3)
    panel = ckw.LRFinderPanel(tiny_learn, result=result, lr=2e-2)
    assert list(panel.suggestion_line.x) == [2e-2, 2e-2]
    assert panel.slider.value == pytest.approx(2e-2, rel=0.03) and panel.lr == 2e-2
    labels = [line.get_label() for line in panel.figure().axes[0].lines]
    assert "marked 2e-2" in labels and "panel.lr 2e-2" in labels
    # a rate beyond the end of the curve (a finder that stopped early) stays reachable
    panel = ckw.LRFinderPanel(
        tiny_learn, result=LRFinderResult(lrs[:10], losses[:10], 1e-5), lr=1e-2
    )
    assert panel.slider.max == pytest.approx(-2) and panel.lr == 1e-2


def test_lr_finder_panel_opens_on_an_existing_result(tiny_learn, monkeypatch):
    monkeypatch.setattr(tiny_learn, "lr_find", lambda *a, **k: pytest.fail("must not re-run"))
    lrs = list(np.logspace(-6, 0, 30))
    losses = list(3 - np.tanh(np.linspace(-3, 3, 30)))
    panel = ckw.LRFinderPanel(tiny_learn, result=LRFinderResult(lrs, losses, 1e-3))
    assert len(panel.curve.x) == 30 and list(panel.suggestion_line.x) == [1e-3, 1e-3]
    assert panel.loss_at(lrs[10]) == pytest.approx(losses[10])


# ------------------------------------------------------------------------------- schedule panel
def test_schedule_panel_redraws_on_every_control():
    panel = ckw.SchedulePanel(steps_per_epoch=10)
    assert "7</b> epochs" in panel.summary.value and len(panel.boundaries.x) == 2
    before = np.array(panel.plan_lines.y).copy()
    panel.cycle_mult.value = 1
    assert "3</b> epochs" in panel.summary.value and len(panel.plan_lines.x) == 30
    panel.ratio.value = 10
    y = np.array(panel.plan_lines.y)
    assert (
        y.shape == (3, 30)
        and np.allclose(y[1] / y[2], 0.1)
        and not np.array_equal(y, before[:, :30])
    )
    panel.mode.value = "one-cycle"
    assert panel.cycle_len.disabled and "fit_one_cycle(3" in panel.summary.value
    panel.mode.value = "constant"
    assert np.allclose(np.array(panel.plan_lines.y)[2], panel.lr.value)


def test_schedule_panel_decimates_long_plans():
    panel = ckw.SchedulePanel(steps_per_epoch=1000, n_cycle=100, cycle_mult=1)
    assert "100</b> epochs, 100,000 iterations" in panel.summary.value
    assert len(panel.plan_lines.x) <= 600 + 2 * 100
    restart = 1000  # the jump back to the top rate is drawn
    x = list(panel.plan_lines.x)
    assert restart in x and restart - 1 in x
    assert np.array(panel.plan_lines.y)[0][x.index(restart)] == pytest.approx(panel.lr.value)
    # fastai 0.7's warm-up (steps 0-49 at lr/100) is drawn as a step up at 50, not a slope
    top = np.array(panel.plan_lines.y)[-1]
    assert 49 in x and 50 in x
    assert top[x.index(49)] == pytest.approx(panel.lr.value / 100)
    assert top[x.index(50)] == pytest.approx(panel.lr.value, rel=0.01)


@pytest.mark.slow
def test_schedule_plan_and_the_fit_cannot_disagree(tiny_learn):
    panel = ckw.SchedulePanel(tiny_learn, lr=1e-2, n_cycle=2, cycle_len=1, cycle_mult=2)
    panel.ratio.value = 3
    tiny_learn.unfreeze()
    panel.fit()
    plan = panel.plan()
    applied = tiny_learn.recorder.lrs
    assert len(applied) == plan.total_steps
    assert applied == [pytest.approx(plan.group_lrs(s)) for s in range(plan.total_steps)]
    assert list(panel.actual.x) == list(decimate(len(applied)))  # the fit was followed
    assert list(panel.marker.x) == [len(applied) - 1] * 2
    assert isinstance(panel.figure(), Figure)
    eval(panel.code(), {"learn": tiny_learn})  # the code line shown runs the same fit
    assert tiny_learn.recorder.lrs == applied
    for mode in ("one-cycle", "constant"):
        panel.mode.value = mode
        assert panel.plan().code == panel.code() and panel.code() in panel.summary.value
        panel.fit()
        applied = tiny_learn.recorder.lrs
        eval(panel.code(), {"learn": tiny_learn})
        assert (
            np.allclose(tiny_learn.recorder.lrs, applied, rtol=1e-12)
            and len(applied) == panel.plan().total_steps
        )


# --------------------------------------------------------------------------- layer groups panel
def test_layer_groups_panel_calls_the_learner_and_reads_it_back(tiny_learn):
    panel = ckw.LayerGroupsPanel(tiny_learn)
    assert [t.value for t in panel.toggles] == [False, False, True]
    panel.toggles[1].value = True
    assert [g.trainable for g in tiny_learn.layer_groups] == [False, True, True]
    panel.unfreeze_button.click()
    assert all(g.trainable for g in tiny_learn.layer_groups) and all(t.value for t in panel.toggles)
    panel.toggles[1].value = False  # freezes everything before the head
    assert [g.trainable for g in tiny_learn.layer_groups] == [False, False, True]
    tiny_learn.unfreeze()  # a change made in code ...
    panel.refresh()  # ... shows up on refresh
    assert [t.value for t in panel.toggles] == [True, True, True] and "trainable" in panel.toggles[
        0
    ].description
    panel.bn.value = True
    assert tiny_learn.bn_frozen
    panel.lr.value, panel.ratio.value = 1e-2, 3
    assert panel.group_lrs() == [pytest.approx(1.1e-3), pytest.approx(3.3e-3), 1e-2]
    assert "learn.fit([1.1e-3, 3.3e-3, 1e-2], 3, cycle_len=1)" in panel.lrs_view.value
    panel.lr.value = 0.003271  # the slider shows the top rate as the code line uses it
    assert f"{panel.lr.value:{panel.lr.readout_format}}" == "3.3e-03"
    assert panel.group_lrs()[-1] == 3.3e-3 and "3.3e-3]" in panel.lrs_view.value
    assert not hasattr(tiny_learn, "default_lr")
    assert isinstance(panel.figure(), Figure)


# ----------------------------------------------------------------------------- training monitor
def test_monitor_follows_a_background_fit_and_stop_ends_it(tiny_learn):
    monitor = ckw.TrainingMonitor(tiny_learn)
    tiny_learn.events["after_batch"].append(lambda learn: time.sleep(0.05))  # slow enough to stop
    job = tiny_learn.fit(1e-3, 20, background=True)
    while tiny_learn.recorder.iteration < 3 and not job.done:
        time.sleep(0.01)
    assert not monitor.stop_button.disabled
    monitor.stop_button.click()
    job.join(timeout=60)
    assert job.done and tiny_learn.recorder.stopped == "stopped"
    assert tiny_learn.recorder.iteration < tiny_learn.recorder.n_iterations
    assert "ended early" in monitor.status.value and monitor.stop_button.disabled
    assert len(monitor.train_line.x) == len(tiny_learn.recorder.losses)
    assert isinstance(monitor.figure(), Figure)


def test_monitor_shows_the_error_that_ended_a_background_fit(tiny_learn, capsys):
    monitor = ckw.TrainingMonitor(tiny_learn)

    def broken(learn):
        if learn.recorder.iteration == 2:
            raise ValueError("a bug in a callback")

    tiny_learn.events["after_batch"].append(broken)
    job = tiny_learn.fit(1e-3, 2, background=True)
    with pytest.raises(ValueError, match="a bug in a callback"):
        job.join(timeout=60)
    assert "fit failed" in monitor.status.value and "a bug in a callback" in monitor.status.value
    assert "a bug in a callback" in capsys.readouterr().err  # printed, not swallowed


def test_monitor_draws_epochs_and_a_table(tiny_learn):
    monitor = ckw.TrainingMonitor(tiny_learn)
    tiny_learn.fit(1e-3, 2, quiet=True)
    assert (
        len(monitor.valid_line.y) == 2
        and monitor.valid_line.y[1] == tiny_learn.recorder.rows[1]["val_loss"]
    )
    assert "val_loss" in monitor.table.value and monitor.progress.value == monitor.progress.max
    assert monitor.smoothed == pytest.approx(tiny_learn.recorder.smooth_losses)


def test_only_one_background_fit_at_a_time(tiny_learn):
    tiny_learn.events["after_batch"].append(lambda learn: time.sleep(0.05))
    job = tiny_learn.fit(1e-3, 5, background=True)
    with pytest.raises(RuntimeError, match=r"learn.fit\(1e-3, 5\) is running in the background"):
        tiny_learn.fit(1e-3, 1, background=True)
    tiny_learn.stop()
    job.join(timeout=60)


# ------------------------------------------------------------- every panel: listeners, errors
def n_listeners(learn):
    return sum(len(fns) for fns in learn.events.values())


def test_subscribe_returns_the_way_back(tiny_learn):
    seen = []
    unsubscribe = tiny_learn.subscribe(
        "after_epoch", lambda learn: seen.append(learn.recorder.iteration)
    )
    tiny_learn.fit(1e-3, 1, quiet=True)
    unsubscribe()
    unsubscribe()  # twice is harmless
    tiny_learn.fit(1e-3, 1, quiet=True)
    assert len(seen) == 1
    with pytest.raises(ValueError, match="unknown event 'after_step'; the events are before_fit"):
        tiny_learn.subscribe("after_step", print)


def test_recreated_panels_replace_the_old_ones_and_close_detaches_them(tiny_learn):
    from IPython.display import display

    base = n_listeners(tiny_learn)
    first = ckw.TrainingMonitor(tiny_learn)
    schedule = ckw.SchedulePanel(tiny_learn)
    assert n_listeners(tiny_learn) == base + 4 + 3
    display(first)
    display(first)  # shown twice: still one set of listeners
    assert n_listeners(tiny_learn) == base + 4 + 3
    second = ckw.TrainingMonitor(tiny_learn)  # the cell run again: the first one is closed
    ckw.SchedulePanel(tiny_learn).close()  # ... and a panel closed by hand
    assert n_listeners(tiny_learn) == base + 4
    tiny_learn.fit(1e-3, 1, quiet=True)
    assert len(first.train_line.x) == 0 and len(schedule.actual.x) == 0  # no hidden redraws
    assert len(second.train_line.x) == len(tiny_learn.recorder.losses) > 0
    second.close()
    second.close()
    assert n_listeners(tiny_learn) == base


def test_a_failing_button_shows_its_error_in_the_status_line(tiny_learn, monkeypatch):
    panel = ckw.LRFinderPanel(tiny_learn, num_it=5)

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory in the finder")

    monkeypatch.setattr(tiny_learn, "lr_find", broken)
    panel.run.click()
    assert (
        "RuntimeError" in panel.status.value and "out of memory in the finder" in panel.status.value
    )
    assert not panel.run.disabled  # the button works again
    monkeypatch.undo()
    panel.run.click()  # the next success clears the error
    assert panel.status.value == "" and panel.result is not None


def test_a_failing_control_shows_its_error_and_the_real_state(tiny_learn, monkeypatch):
    panel = ckw.LayerGroupsPanel(tiny_learn)

    def refuse(n):
        raise RuntimeError("a background fit is training this learner")

    monkeypatch.setattr(tiny_learn, "freeze_to", refuse)
    panel.toggles[0].value = True
    assert "a background fit is training this learner" in panel.status.value
    assert [t.value for t in panel.toggles] == [False, False, True]  # what the learner has


@pytest.mark.parametrize("make", [ckw.ConvExplorer, ckw.MaxPoolExplorer])
def test_a_failing_explorer_slider_shows_its_error(make, monkeypatch):
    explorer = make()

    def broken():
        raise ValueError("cannot draw this window")

    monkeypatch.setattr(explorer, "refresh", broken)
    explorer.row.max = 3
    explorer.row.value = 2
    assert (
        "ValueError" in explorer.status.value and "cannot draw this window" in explorer.status.value
    )


# ------------------------------------------------------------------------------------- colab
def test_colab_widget_manager_is_enabled_only_in_colab(monkeypatch):
    assert ckw.enable_colab_widgets() is False
    calls = []
    output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append(1))
    colab = types.ModuleType("google.colab")
    colab.output = output
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    assert ckw.enable_colab_widgets() is True and calls == [1]
