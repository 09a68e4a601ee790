"""The presenter view (``ck.present()``): projector-sized panels and figures, and nothing else changed."""

import matplotlib
import pytest

import coursekit as ck
from coursekit import widgets as ckw
from coursekit.presenter import OKABE_ITO, presenter_style
from coursekit.train.recorder import Recorder


@pytest.fixture
def presenting(monkeypatch):
    monkeypatch.setenv("COURSEKIT_PRESENT", "1")
    return presenter_style()


@pytest.fixture
def not_presenting(monkeypatch):
    monkeypatch.delenv("COURSEKIT_PRESENT", raising=False)


def recorder() -> Recorder:
    rec = Recorder()
    rec.begin_fit(n_epochs=2, n_iterations=8)
    for i in range(8):
        rec.record_batch([1e-3, 1e-2], 2.0 - 0.1 * i)
    rec.rows = [{"epoch": 0, "val_loss": 1.8}, {"epoch": 1, "val_loss": 1.5}]
    return rec


def test_the_switch_is_one_environment_variable(monkeypatch):
    monkeypatch.delenv("COURSEKIT_PRESENT", raising=False)
    assert presenter_style() is None
    ck.present()
    assert presenter_style() == ck.PresenterStyle()
    ck.present(False)
    assert presenter_style() is None
    monkeypatch.setenv("COURSEKIT_PRESENT", "on")
    assert presenter_style() is not None


def test_okabe_ito_stands_in_for_matplotlibs_colours():
    style = ck.PresenterStyle()
    assert set(style.palette) == set(OKABE_ITO.values())
    assert style.colour("#ff7f0e") == OKABE_ITO["orange"]
    assert style.colour("#123456") == "#123456"  # a colour of the caller's own stays


def test_a_panel_is_projector_sized_when_presenting(tiny_pets, presenting):
    learn = ck.Learner.pretrained("tinyresnet", tiny_pets)
    monitor = ckw.TrainingMonitor(learn)
    px = f"{presenting.font_px}px"
    assert monitor.train_line.stroke_width == 2 * presenting.line_width / 2
    assert list(monitor.train_line.colors) == [OKABE_ITO["blue"]]
    assert list(monitor.valid_line.colors) == [OKABE_ITO["orange"]]
    assert all(axis.tick_style["font-size"] == px for axis in monitor.plot.axes)
    assert monitor.plot.legend_text["font-size"] == "16px"  # bqplot's legend rows are 20 px apart
    assert monitor.plot.layout.width == "900px"  # 600 px times 1.5
    assert "coursekit-present" in monitor._dom_classes
    assert f"font-size: {px}" in monitor.children[-1].value  # the hidden <style>
    schedule = ckw.SchedulePanel(steps_per_epoch=10)
    assert schedule.actual.stroke_width == presenting.line_width / 2  # thin stays thinner
    assert list(schedule.boundaries.colors) == [presenting.light_grey]
    monitor.close()


def test_a_panel_keeps_its_sizes_when_not_presenting(tiny_pets, not_presenting):
    monitor = ckw.TrainingMonitor(ck.Learner.pretrained("tinyresnet", tiny_pets))
    assert monitor.train_line.stroke_width == 2
    assert list(monitor.train_line.colors) == ["#1f77b4"]
    assert "font-size" not in monitor.plot.axes[0].tick_style
    assert "coursekit-present" not in monitor._dom_classes
    assert monitor.plot.layout.width == "600px"
    monitor.close()


def test_figures_are_drawn_within_the_presenters_rcparams_then_put_back(presenting):
    before = dict(matplotlib.rcParams)
    fig = recorder().plot_losses()
    ax = fig.axes[0]
    assert dict(matplotlib.rcParams) == before  # restored after the figure is drawn
    assert ax.xaxis.label.get_fontsize() == presenting.font_size
    assert ax.get_xticklabels()[0].get_fontsize() == pytest.approx(presenting.font_size * 0.9)
    smoothed = ax.lines[1]
    assert smoothed.get_linewidth() == presenting.line_width
    assert smoothed.get_color() == OKABE_ITO["orange"]  # the second colour of the cycle
    assert ax.get_legend().get_texts()[0].get_fontsize() == pytest.approx(
        presenting.font_size * 0.9
    )


def test_figures_are_unchanged_when_not_presenting(not_presenting):
    ax = recorder().plot_losses().axes[0]
    assert ax.xaxis.label.get_fontsize() < ck.PresenterStyle().font_size
    assert ax.lines[1].get_linewidth() == matplotlib.rcParams["lines.linewidth"]
