"""The second screen: a read-only view of a running fit on http://127.0.0.1:PORT/."""

import json
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

import coursekit as ck
from coursekit import widgets as ckw


def get(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers["Content-Type"], response.read()


@pytest.fixture
def tiny_learn(tiny_pets):
    torch.manual_seed(0)
    return ck.Learner.pretrained("tinyresnet", tiny_pets, metrics=[ck.accuracy])


def test_the_json_is_the_recorders_and_close_stops_it_all(tiny_learn, capsys):
    listeners = sum(map(len, tiny_learn.events.values()))
    screen = ck.second_screen(tiny_learn)
    assert screen.url.startswith("http://127.0.0.1:") and screen.url in capsys.readouterr().out
    assert screen.server.server_address[0] == "127.0.0.1"  # never on the room's network
    assert json.loads(get(screen.url + "data.json")[1])["status"] == "waiting for a fit"
    tiny_learn.fit(1e-3, 2)
    kind, body = get(screen.url + "data.json")
    data, rec = json.loads(body), tiny_learn.recorder
    assert kind == "application/json"
    assert data["status"] == "done: 2 epochs" and data["epoch"] == data["n_epochs"] == 2
    assert data["batches"] == list(range(len(rec.losses)))
    assert data["losses"] == pytest.approx(rec.losses)
    np.testing.assert_allclose(data["lrs"], rec.lrs)  # every layer group's rate, per batch
    assert data["smoothed"] == pytest.approx(rec.smooth_losses)
    assert data["valid_losses"] == pytest.approx(rec.val_losses)
    assert [row["epoch"] for row in data["rows"]] == [row["epoch"] for row in rec.rows]
    kind, page = get(screen.url)
    assert kind.startswith("text/html") and b"data.json" in page
    assert b" src=" not in page and b"<link" not in page  # offline: nothing from the network
    with pytest.raises(urllib.error.HTTPError):
        get(screen.url + "elsewhere")
    screen.close()
    assert sum(map(len, tiny_learn.events.values())) == listeners
    assert not screen.thread.is_alive()
    with pytest.raises(OSError):
        get(screen.url + "data.json")


def test_json_has_no_nan_and_a_long_fit_is_decimated(tiny_learn):
    with ck.SecondScreen(tiny_learn, max_points=5) as screen:
        rec = tiny_learn.recorder
        rec.begin_fit(n_epochs=1, n_iterations=100)
        for i in range(100):
            rec.record_batch([1e-3], float("nan") if i == 50 else 1.0)
            screen._after_batch(tiny_learn)
        rec.rows = [{"epoch": 0, "val_loss": float("nan")}]
        body = get(screen.url + "data.json")[1]
        data = json.loads(body)  # strict JSON: NaN written as null
        assert b"NaN" not in body and data["valid_losses"] == [None]
        assert data["batches"] == [0, 25, 50, 74, 99] and data["losses"][2] is None


def test_a_second_screen_made_again_closes_the_earlier_one(tiny_learn):
    first = ck.second_screen(tiny_learn)
    second = ck.second_screen(tiny_learn)
    assert not first.thread.is_alive() and second.thread.is_alive()
    assert sum(len(fns) for fns in tiny_learn.events.values()) == 3  # the second one's
    second.close()


def test_the_monitor_opens_one_and_closes_it(tiny_learn):
    monitor = ckw.TrainingMonitor(tiny_learn)
    url = monitor.open_second_screen()
    assert monitor.open_second_screen() == url  # the same one
    assert json.loads(get(url + "data.json")[1])["iteration"] == 0
    screen = monitor.second_screen
    monitor.close()
    assert not screen.thread.is_alive() and not any(tiny_learn.events.values())


def test_in_colab_it_prints_the_line_that_opens_it(tiny_learn, capsys, monkeypatch):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    with ck.second_screen(tiny_learn) as screen:
        out = capsys.readouterr().out
    assert f"output.serve_kernel_port_as_window({screen.port})" in out
