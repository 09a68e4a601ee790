"""A seeded run repeats exactly: the same seed gives the same epoch table, another seed another."""

import pytest

import coursekit as ck


def _run(seed, num_workers):
    """A tiny lesson: a split, a fresh head, augmentation, shuffled batches, SGDR, an epoch table."""
    ck.set_seed(seed)
    path = ck.samples.pets(n_per_class=6, max_side=200)
    data = ck.ImageData.from_name_re(
        path / "images",
        pat=r"([^/]+)_\d+\.jpg$",
        size=32,
        bs=16,
        aug=ck.side_on,
        max_zoom=1.1,
        num_workers=num_workers,
    )
    learn = ck.Learner.pretrained("tinyresnet", data, metrics=[ck.accuracy])
    learn.fit(1e-2, 2, cycle_len=1, quiet=True)
    learn.unfreeze()
    learn.fit([1e-4, 1e-3, 1e-2], 1, quiet=True)
    rows = [{k: v for k, v in row.items() if k != "time"} for row in learn.recorder.rows]
    return rows, learn.recorder.losses


@pytest.mark.parametrize("num_workers", [0, 2])
def test_the_same_seed_gives_the_same_epoch_table(num_workers):
    first, second, other = _run(5, num_workers), _run(5, num_workers), _run(6, num_workers)
    assert first == second  # every loss and metric, to the last bit
    assert other[1] != first[1]  # another seed: another head, other batches


def test_the_seed_comes_from_coursekit_seed(monkeypatch):
    monkeypatch.setenv("COURSEKIT_SEED", "7")
    assert ck.set_seed() == 7 and ck.set_seed(3) == 3
    monkeypatch.delenv("COURSEKIT_SEED")
    assert ck.set_seed() == 0
    monkeypatch.setenv("COURSEKIT_SEED", "seven")
    with pytest.raises(ValueError, match="COURSEKIT_SEED='seven' is not a whole number"):
        ck.set_seed()


def test_check_claims_names_every_claim_that_failed(capsys):
    ck.check_claims({"a holds": True}, sample=True)
    assert capsys.readouterr().out == "holds: a holds\n"
    with pytest.raises(AssertionError, match="b fails; c fails"):
        ck.check_claims({"b fails": False, "a holds": True, "c fails": False}, sample=True)
    assert capsys.readouterr().out == "FAILS: b fails\nholds: a holds\nFAILS: c fails\n"
    ck.check_claims(
        {"d fails": False}, sample=False
    )  # full mode: the sample's claims are not checked
    assert "not checked (full mode): d fails" in capsys.readouterr().out


def test_the_random_state_survives_a_recording_and_draws_on_as_before(tmp_path):
    """``ck.demo``'s recordings carry every generator's state (read back with weights_only)."""
    import io
    import random

    import numpy as np
    import torch

    from coursekit.seeding import random_state, set_random_state

    ck.set_seed(3)
    buffer = io.BytesIO()
    torch.save(random_state(), buffer)
    draws = (random.random(), float(np.random.rand()), torch.rand(3).tolist())
    ck.set_seed(4)  # elsewhere
    buffer.seek(0)
    set_random_state(torch.load(buffer, weights_only=True))
    assert (random.random(), float(np.random.rand()), torch.rand(3).tolist()) == draws
