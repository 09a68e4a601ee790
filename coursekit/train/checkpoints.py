"""Going back: the learner's states after its last fits and saves, kept in memory.

A live demo that goes wrong on purpose ("unfreeze and train at one rate: it gets worse") comes
back in one call::

    learn.fit(1e-2, 2)                    # checkpoint 0: after fit #1
    learn.unfreeze(); learn.fit(1e-1, 1)  # checkpoint 1: after fit #2, worse
    learn.checkpoints                     # what each one is, with its last validation metrics
    learn.restore(0)                      # weights, frozen groups, optimizer: as after fit #1

Each checkpoint holds a copy, on the CPU, of the model's ``state_dict`` (BatchNorm statistics
included), which layer groups were frozen, ``bn_freeze`` and ``precompute``, and the optimizer's
state (momentum, Adam's moments), so a fit after ``restore`` goes on as it would have then.
Files on disk are another thing: ``learn.save(name)`` (``coursekit.train.checkpoint``) writes one,
and is also kept here as a checkpoint, so ``restore`` finds it without a file.

Memory is bounded: only the last ``MAX_KEPT = 8`` checkpoints are kept, and a tensor that has not
changed since the checkpoint before (a frozen body's weights, its optimizer state that stays empty)
is shared with it, not copied again. At most, each costs the weights plus the optimizer's state:
for a resnet34 (21.8 M parameters, 87 MB in fp32) trained whole with SGD and momentum, about
87 + 87 = 174 MB, so 8 cost at most 1.4 GB (2.1 GB with AdamW's two moments); with the body
frozen, as the lessons' first fits are, each new one costs about the head alone (a few MB).
``learn.checkpoints.nbytes`` is the real figure, and ``repr(learn.checkpoints)`` shows it.
Set ``learn.checkpoints.max_kept`` lower on a small machine (0 keeps none).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

from coursekit.train.convnet import LayerGroup
from coursekit.train.freezing import first_trainable_group

__all__ = ["MAX_KEPT", "Checkpoint", "Checkpoints", "on_cpu"]

MAX_KEPT = 8


@dataclass(frozen=True)
class Checkpoint:
    """One state of a learner: ``description`` says what produced it ("after fit #2:
    learn.fit(1e-2, 3, cycle_len=1); val_loss 0.4123, accuracy 0.8750" or "save('stage1')")."""

    description: str
    model: dict[str, torch.Tensor]
    opt: dict[str, Any] | None
    first_trainable: int
    bn_frozen: bool
    precompute: bool

    def __repr__(self) -> str:
        return f"Checkpoint({self.description})"


def on_cpu(value: Any) -> Any:
    """A copy of ``value`` (a ``state_dict``, an optimizer's state, model outputs: dicts, lists,
    tuples, tensors, numbers) on the CPU, sharing nothing with it."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: on_cpu(v) for k, v in value.items()}
    if isinstance(value, list):
        return [on_cpu(v) for v in value]
    if isinstance(value, tuple):
        return tuple(on_cpu(v) for v in value)
    return copy.deepcopy(value)


def _share_unchanged(new: dict[str, torch.Tensor], old: dict[str, torch.Tensor] | None) -> None:
    """Where a tensor of ``new`` equals the one of ``old`` with the same name, keep ``old``'s:
    a frozen body then costs its memory once, however many checkpoints there are."""
    for name, tensor in new.items():
        before = old.get(name) if old else None
        if before is not None and before.dtype == tensor.dtype and torch.equal(before, tensor):
            new[name] = before


def _metrics_text(rows: list[dict[str, Any]]) -> str:
    """The last validation's losses and metrics (of the epoch table's ``rows``)."""
    if not rows:
        return "not validated yet"
    last = rows[-1]
    return ", ".join(
        f"{k} {v:.4f}" for k, v in last.items() if k not in ("epoch", "trn_loss", "time")
    )


class Checkpoints:
    """The last ``max_kept`` states of one learner, oldest first: ``learn.checkpoints[0]``,
    ``len(learn.checkpoints)``, ``learn.restore(n)``. The Learner adds one after each fit and each
    ``save``; see the module's docstring for what one holds and costs."""

    def __init__(self, max_kept: int = MAX_KEPT):
        self.max_kept = max_kept
        self.n_fits = 0
        self._kept: list[Checkpoint] = []

    def __len__(self) -> int:
        return len(self._kept)

    def __getitem__(self, n: int) -> Checkpoint:
        return self._kept[self._index(n)]

    @property
    def descriptions(self) -> list[str]:
        return [c.description for c in self._kept]

    @property
    def nbytes(self) -> int:
        """Memory the checkpoints hold (a tensor shared by several counts once)."""
        seen: dict[int, int] = {}
        for c in self._kept:
            tensors = [*c.model.values(), *_tensors_of(c.opt)]
            for t in tensors:
                seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return sum(seen.values())

    def __repr__(self) -> str:
        lines = [
            f"{len(self)} checkpoint(s) kept (the last {self.max_kept}), "
            f"{self.nbytes / 1e6:.1f} MB in memory; learn.restore(n) goes back to one:"
        ]
        lines += [f"  {i}: {c.description}" for i, c in enumerate(self._kept)]
        return "\n".join(lines)

    # ------------------------------------------------------------------------ adding
    def fit_description(
        self, code: str, stop_reason: str | None, rows: list[dict[str, Any]]
    ) -> str:
        """What the next fit's checkpoint says: its number (this counts it), its line ``code``, why
        it ended early if it did, and the last row of the epoch table ``rows``."""
        self.n_fits += 1
        ended = f" (ended early: {stop_reason})" if stop_reason else ""
        return f"after fit #{self.n_fits}: {code}{ended}; {_metrics_text(rows)}"

    @staticmethod
    def save_description(name: str, rows: list[dict[str, Any]]) -> str:
        """What the checkpoint of ``learn.save(name)`` says, with the last row of ``rows``."""
        return f"save({name!r}); {_metrics_text(rows)}"

    def add(
        self,
        description: str,
        model: nn.Module,
        opt: Optimizer | None,
        layer_groups: Sequence[LayerGroup],
        bn_frozen: bool,
        precompute: bool,
    ) -> Checkpoint:
        """Copy a learner's state now into a new checkpoint (dropping the oldest past
        ``max_kept``): ``model``'s weights, ``opt``'s state, which ``layer_groups`` are frozen,
        ``bn_frozen`` and ``precompute``."""
        weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        _share_unchanged(weights, self._kept[-1].model if self._kept else None)
        opt_state = on_cpu(opt.state_dict()) if opt is not None else None
        if opt_state is not None and self._kept and self._kept[-1].opt is not None:
            for i, state in opt_state["state"].items():
                _share_unchanged(state, self._kept[-1].opt["state"].get(i))
        checkpoint = Checkpoint(
            description,
            weights,
            opt_state,
            first_trainable_group(layer_groups),
            bn_frozen,
            precompute,
        )
        self._kept = [*self._kept, checkpoint][-self.max_kept :] if self.max_kept > 0 else []
        return checkpoint

    # ------------------------------------------------------------------------ going back
    def _index(self, n: int) -> int:
        count = len(self._kept)
        if not -count <= n < count:
            if not count:
                raise IndexError(
                    f"restore({n}): there are no checkpoints yet; one is kept after each fit "
                    "and each learn.save(name)."
                )
            raise IndexError(
                f"restore({n}): there are {count} checkpoint(s), so n must be between 0 and "
                f"{count - 1} (or -{count} to -1 from the latest); see learn.checkpoints."
            )
        return n % count


def _tensors_of(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors_of(v)]
    if isinstance(value, list):
        return [t for v in value for t in _tensors_of(v)]
    return []
