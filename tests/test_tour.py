"""`coursekit demo` end to end, small: what it prints and the pictures it saves."""

import re

import pytest

from coursekit.tour import run_demo


@pytest.mark.slow
def test_demo_runs_the_recipe_and_saves_its_plots(tmp_path, capsys):
    out = tmp_path / "demo_output"
    run_demo(out, size=32, bs=16)
    printed = capsys.readouterr().out
    # step 0: the ImageNet network names the shipped cat photo before anything is trained
    first = printed.splitlines()[1].strip()
    assert first.startswith("Egyptian cat "), first
    plain, tta, chance = map(
        float,
        re.search(
            r"accuracy ([\d.]+) plain, ([\d.]+) with TTA \(chance: ([\d.]+)\)", printed
        ).groups(),
    )
    assert chance == pytest.approx(1 / 12, abs=1e-3) and plain > 3 * chance and tta > 3 * chance
    saved = {p.name for p in out.iterdir()}
    assert {
        "lr_find.png",
        "schedule_sgdr.png",
        "schedule_unfrozen.png",
        "losses.png",
        "confusion_matrix.png",
        "gallery_top_losses.png",
        "pets_batch.png",
        "planet_batch.png",
    } <= saved
