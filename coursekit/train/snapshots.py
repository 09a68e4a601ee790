"""Snapshot ensembles: the weights at the end of each SGDR cycle of one fit (lesson 2).

``learn.fit(1e-2, 3, cycle_len=1, cycle_save_name='snap')`` saves ``models/snap_cyc_0.pth`` ...
``snap_cyc_2.pth`` and lists them in ``models/snap_cycles.json``. ``learn.snapshot_preds('snap')``
averages exactly the files of that list, so the snapshots of an older fit with more cycles are
never averaged in: a new fit with the same name first deletes the files the old list names
(coursekit wrote them) and starts a new list.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from coursekit.fileio import atomic_write_text

__all__ = ["begin_snapshots", "manifest_path", "save_snapshot", "snapshot_names"]


def manifest_path(models_dir: Path, name: str) -> Path:
    return Path(models_dir) / f"{name}_cycles.json"


def _write_manifest(path: Path, names: list[str]) -> None:
    atomic_write_text(path, json.dumps({"snapshots": names}, indent=1))


def snapshot_names(models_dir: Path, name: str) -> list[str]:
    """The snapshots (``save``/``load`` names) written by the last fit with ``cycle_save_name=name``."""
    path = manifest_path(models_dir, name)
    if not path.exists():
        raise FileNotFoundError(
            f"no snapshots named {name!r} in {models_dir} (no {path.name}): fit with "
            f"cycle_len and cycle_save_name={name!r} first."
        )
    try:
        return list(json.loads(path.read_text())["snapshots"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(
            f"{path} is damaged ({e}); fit again with cycle_save_name={name!r}."
        ) from e


def begin_snapshots(models_dir: Path, name: str) -> None:
    """Forget the snapshots of an earlier fit with this name: delete the files its list names."""
    path = manifest_path(models_dir, name)
    if path.exists():
        try:
            old = snapshot_names(models_dir, name)
        except ValueError:
            old = []
        for stem in old:
            (Path(models_dir) / f"{stem}.pth").unlink(missing_ok=True)
    _write_manifest(path, [])


def save_snapshot(models_dir: Path, name: str, cycle: int, save: Callable[[str], object]) -> None:
    """Save the weights at the end of ``cycle`` with ``save(stem)`` (``learn.save``: to
    ``models_dir/<stem>.pth``) and add them to the list."""
    stem = f"{name}_cyc_{cycle}"
    save(stem)
    names = snapshot_names(models_dir, name)
    _write_manifest(manifest_path(models_dir, name), [*[n for n in names if n != stem], stem])
