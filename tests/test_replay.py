"""The demo mode: a rehearsal recorded, then replayed through the same events without training."""

import copy
import itertools
import math

import pytest
import torch

import coursekit as ck
from coursekit.train import inference
from coursekit.train.demo_mode import DemoMode

SNAPSHOTS = "replay_snap"


def _learner(data, mode):
    torch.manual_seed(0)
    learn = ck.Learner.pretrained("tinyresnet", data, pretrained=False, metrics=[ck.accuracy])
    learn.demo_mode = mode
    return learn


def _ticking_clock():
    """A clock that moves on one second each time it is read."""
    return itertools.count().__next__


def _no_training(learn, monkeypatch):
    """Make any training step or prediction pass fail: a replay must need neither."""

    def refuse(*args, **kwargs):
        raise AssertionError("a replay trained or predicted")

    monkeypatch.setattr(learn, "train_step", refuse)
    monkeypatch.setattr(inference, "predict_loader", refuse)


@pytest.fixture(scope="module")
def rehearsal(tiny_pets, tmp_path_factory):
    """The rehearsal, recorded once: lr_find, a fit, predictions; what each gave."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSEKIT_HOME", str(home))
        learn = _learner(tiny_pets, DemoMode("record", "lesson", clock=_ticking_clock()))
        found = learn.lr_find(num_it=6, quiet=True)
        events = []
        for event in ck.EVENTS:
            learn.subscribe(event, lambda _, event=event: events.append(event))
        learn.fit(1e-2, 2)
        weights = {k: v.clone() for k, v in learn.model.state_dict().items()}
        rec = learn.recorder
        outputs = {
            "lr_find": (found.lrs, found.losses, found.suggestion),
            "lrs": list(rec.lrs),
            "losses": list(rec.losses),
            "rows": list(rec.rows),
            "events": list(events),
            "weights": weights,
            "preds": learn.get_preds(),
        }
        learn.fit(1e-2, 2, cycle_len=1, cycle_save_name=SNAPSHOTS, quiet=True)
        outputs["snapshot_preds"] = learn.snapshot_preds(SNAPSHOTS)
        outputs["tta"] = learn.tta(n_aug=1)
    return home, outputs


def test_a_replay_gives_what_the_rehearsal_gave_without_training(
    rehearsal, tiny_pets, monkeypatch, capsys
):
    home, recorded = rehearsal
    monkeypatch.setenv("COURSEKIT_HOME", str(home))
    sleeps = []
    learn = _learner(tiny_pets, DemoMode("replay", "lesson", speed=10, sleep=sleeps.append))
    _no_training(learn, monkeypatch)

    found = learn.lr_find(num_it=6, quiet=True)
    assert (found.lrs, found.losses, found.suggestion) == recorded["lr_find"]
    events = []
    for event in ck.EVENTS:
        learn.subscribe(event, lambda _, event=event: events.append(event))
    capsys.readouterr()
    learn.fit(1e-2, 2)
    printed = capsys.readouterr().out
    assert "replaying the recording of " in printed and "(10x)" in printed
    assert learn.recorder.demo.startswith("replaying the recording of ")
    assert learn.recorder.lrs == recorded["lrs"]
    assert learn.recorder.losses == recorded["losses"]
    assert learn.recorder.rows == recorded["rows"]  # the epoch table, times included
    assert events == recorded["events"]
    weights = learn.model.state_dict()
    assert all(torch.equal(weights[k], v) for k, v in recorded["weights"].items())
    probs, targets = learn.get_preds()
    assert torch.equal(probs, recorded["preds"][0]) and torch.equal(targets, recorded["preds"][1])

    # SGDR snapshots: the replay writes the rehearsal's files, which give its predictions
    for path in learn.models_dir.glob(f"{SNAPSHOTS}_*"):
        path.unlink()
    learn.fit(1e-2, 2, cycle_len=1, cycle_save_name=SNAPSHOTS, quiet=True)
    assert learn.recorder.demo.startswith("replaying")
    assert torch.equal(learn.snapshot_preds(SNAPSHOTS)[0], recorded["snapshot_preds"][0])
    assert torch.equal(learn.tta(n_aug=1)[0], recorded["tta"][0])

    # the pace: the ticking clock recorded 1 s per step, played back 10x faster
    assert sleeps[:6] == pytest.approx([0.1] * 6)


def test_stop_during_a_replay_leaves_the_weights_as_before(rehearsal, tiny_pets, monkeypatch):
    home, _ = rehearsal
    monkeypatch.setenv("COURSEKIT_HOME", str(home))
    learn = _learner(tiny_pets, DemoMode("replay", "lesson", sleep=lambda s: None))
    before = {k: v.clone() for k, v in learn.model.state_dict().items()}
    learn.subscribe("after_batch", lambda learner: learner.stop())
    learn.fit(1e-2, 2, quiet=True)
    assert len(learn.recorder.losses) == 1
    assert "stopped during the replay" in learn.recorder.stopped
    assert all(torch.equal(learn.model.state_dict()[k], v) for k, v in before.items())


def test_a_damaged_recording_is_not_used(rehearsal, tiny_pets, monkeypatch, tmp_path):
    home, _ = rehearsal
    monkeypatch.setenv("COURSEKIT_HOME", str(tmp_path))
    copy = tmp_path / "demo" / "lesson"
    copy.mkdir(parents=True)
    for path in (home / "demo" / "lesson").iterdir():
        (copy / path.name).write_bytes(
            path.read_bytes()[:100] if path.suffix == ".pt" else path.read_bytes()
        )
    learn = _learner(tiny_pets, DemoMode("replay", "lesson", sleep=lambda s: None))
    learn.fit(1e-2, 2, quiet=True)
    assert "its recording is damaged" in learn.recorder.demo
    assert learn.recorder.demo.endswith("training live")


def test_the_training_monitor_says_it_is_a_replay(rehearsal, tiny_pets, monkeypatch):
    from coursekit.widgets import TrainingMonitor

    home, _ = rehearsal
    monkeypatch.setenv("COURSEKIT_HOME", str(home))
    learn = _learner(tiny_pets, DemoMode("replay", "lesson", sleep=lambda s: None))
    monitor = TrainingMonitor(learn)
    statuses = []
    learn.subscribe("before_epoch", lambda _: statuses.append(monitor.status.value))
    learn.fit(1e-2, 2, quiet=True)
    assert "replaying the recording of " in statuses[0]
    monitor.close()


def test_a_changed_cell_trains_live_and_says_why(rehearsal, tiny_pets, monkeypatch, capsys):
    home, _ = rehearsal
    monkeypatch.setenv("COURSEKIT_HOME", str(home))
    learn = _learner(tiny_pets, DemoMode("replay", "lesson", sleep=lambda s: None))
    learn.fit(3e-3, 1, quiet=True)
    why = learn.recorder.demo
    assert why.startswith("no recording for this fit: learn.fit(3e-3, 1) differs from")
    assert "learn.fit(1e-2, 2)" in why and why.endswith("training live")
    assert len(learn.recorder.losses) == learn.steps_per_epoch  # it trained


def test_a_recording_of_other_data_is_not_used(rehearsal, tiny_pets, monkeypatch):
    home, _ = rehearsal
    monkeypatch.setenv("COURSEKIT_HOME", str(home))
    other = ck.ImageData.from_name_re(  # the same pictures, split another way
        tiny_pets.path, pat=r"([^/]+)_\d+\.jpg$", size=32, bs=16, seed=7, num_workers=0
    )
    learn = _learner(other, DemoMode("replay", "lesson", sleep=lambda s: None))
    learn.fit(1e-2, 2, quiet=True)
    assert "were made with other data" in learn.recorder.demo
    assert learn.recorder.losses != []


def test_the_speed_sets_the_pace(rehearsal, tiny_pets, monkeypatch):
    home, recorded = rehearsal
    monkeypatch.setenv("COURSEKIT_HOME", str(home))
    # the rehearsal's clock ticked once per lr_find step, and once per batch and epoch of the fit
    fit_seconds = len(recorded["losses"]) + len(recorded["rows"])
    for speed in (1, 4, math.inf):
        lr_find_sleeps, fit_sleeps = [], []
        learn = _learner(tiny_pets, DemoMode("replay", "lesson", speed, lr_find_sleeps.append))
        learn.lr_find(num_it=6, quiet=True)
        learn.demo_mode = DemoMode("replay", "lesson", speed, fit_sleeps.append)
        learn.fit(1e-2, 2, quiet=True)
        assert learn.recorder.demo.startswith("replaying")
        assert sum(lr_find_sleeps) == pytest.approx(6 / speed)
        assert sum(fit_sleeps) == pytest.approx(fit_seconds / speed)


def test_the_mode_comes_from_the_environment(monkeypatch, fresh_home, capsys):
    for variable in ("COURSEKIT_DEMO", "COURSEKIT_DEMO_NAME", "COURSEKIT_DEMO_SPEED"):
        monkeypatch.setenv(variable, "")  # put back as they were after the test
    assert ck.demo.mode().action == "off"
    mode = ck.demo.replay(speed=3, name="lesson2")
    assert (mode.action, mode.name, mode.speed) == ("replay", "lesson2", 3.0)
    assert mode.folder == fresh_home / "demo" / "lesson2"
    assert "0 recording(s)" in capsys.readouterr().out
    monkeypatch.setenv("COURSEKIT_DEMO_SPEED", "real")
    assert ck.demo.mode().speed_text == "real pace"
    ck.demo.off()
    assert ck.demo.mode().action == "off"
    monkeypatch.setenv("COURSEKIT_DEMO_SPEED", "fast")
    with pytest.raises(ValueError, match="COURSEKIT_DEMO_SPEED='fast'"):
        ck.demo.mode()
    with pytest.raises(ValueError, match="not a recording name"):
        ck.demo.record("../elsewhere")
    monkeypatch.setenv("COURSEKIT_DEMO", "yes")
    with pytest.raises(ValueError, match="COURSEKIT_DEMO='yes': set it to off, record, replay"):
        ck.demo.mode()


def test_a_background_fit_replays_too(rehearsal, tiny_pets, monkeypatch):
    home, recorded = rehearsal
    monkeypatch.setenv("COURSEKIT_HOME", str(home))
    learn = _learner(tiny_pets, DemoMode("replay", "lesson", sleep=lambda s: None))
    _no_training(learn, monkeypatch)
    learn.fit(1e-2, 2, background=True).join(timeout=60)
    assert learn.recorder.demo.startswith("replaying")
    assert learn.recorder.rows == recorded["rows"]
    assert learn.checkpoints.descriptions[-1].startswith("after fit #1: learn.fit(1e-2, 2)")


def test_the_second_screen_says_it_is_a_replay(rehearsal, tiny_pets, monkeypatch):
    home, _ = rehearsal
    monkeypatch.setenv("COURSEKIT_HOME", str(home))
    learn = _learner(tiny_pets, DemoMode("replay", "lesson", sleep=lambda s: None))
    with ck.second_screen(learn) as screen:
        statuses = []
        learn.subscribe("before_epoch", lambda _: statuses.append(screen.data()["status"]))
        learn.fit(1e-2, 2, quiet=True)
    assert statuses[0].startswith("training: 2 epochs (replaying the recording of ")


def test_a_learner_made_after_a_replay_starts_as_in_the_rehearsal(tiny_pets, monkeypatch, tmp_path):
    """A replay trains nothing, so it draws no random numbers; the generators are left where the
    rehearsal left them, and a learner made in a later cell gets the rehearsal's initial weights
    (lesson 01's bigger pictures: a new learner after three fits), so its fit replays too."""
    monkeypatch.setenv("COURSEKIT_HOME", str(tmp_path))

    def lesson(mode):
        first = _learner(tiny_pets, mode)  # seeds torch's generator, as a lesson's first cell
        first.fit(1e-2, 1, quiet=True)
        later = ck.Learner.pretrained("tinyresnet", tiny_pets, pretrained=False)
        later.demo_mode = mode
        initial = {k: v.clone() for k, v in later.model.state_dict().items()}
        later.fit(1e-2, 1, quiet=True)
        return first.recorder.demo, later.recorder.demo, initial

    _, _, rehearsed = lesson(DemoMode("record", "chain", clock=_ticking_clock()))
    first, later, replayed = lesson(DemoMode("replay", "chain", sleep=lambda s: None))
    assert first.startswith("replaying the recording of ")
    assert all(torch.equal(rehearsed[k], replayed[k]) for k in rehearsed)
    assert later.startswith("replaying the recording of "), later


def test_the_state_fingerprint_changes_with_each_thing_that_decides_a_fit():
    from coursekit.train.recordings import state_fingerprint

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    settings = dict(
        first_trainable=1, bn_frozen=False, train_bn=True, precompute=False, opt_name="sgd", wd=0.0
    )
    base = state_fingerprint(model, **settings)
    assert state_fingerprint(copy.deepcopy(model), **settings) == base  # bit for bit, not identity
    changed = {
        "first_trainable": 0, "bn_frozen": True, "train_bn": False, "precompute": True,
        "opt_name": "adamw", "wd": 1e-2,
    }  # fmt: skip
    for name, value in changed.items():
        assert state_fingerprint(model, **{**settings, name: value}) != base, name
    model[1].running_mean[0] += 1e-7  # a buffer, by its last bits
    assert state_fingerprint(model, **settings) != base
