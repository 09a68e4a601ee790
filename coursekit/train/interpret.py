"""What the model gets right and wrong (lessons 1 and 2).

    interp = learn.interpret()
    interp.plot_selection(interp.rand_by_correct(False), 'incorrect, at random')
    interp.most_confused()            # [('beagle', 'basset_hound', 4), ...]

The course looks at five selections — a few correct at random, a few incorrect at random, the
most correct of a class, the most incorrect of a class, the most uncertain — plus the top losses
and the confusion matrix. Every selection returns *indices* into the validation set; drawing is
separate (``plot_*``), so the results gallery panel can show the same selections.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from coursekit.data.images import open_image
from coursekit.plotting import axes_and_figure, presentable
from coursekit.train.metrics import fbeta_on_probs

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from coursekit.train.learner import Learner
    from coursekit.train.learner_data import LearnerData


# characters per line of a gallery caption: about one 3-inch picture's width at 8 pt
CAPTION_WIDTH = 34

__all__ = ["Interpretation"]


@dataclass
class Interpretation:
    """Predictions on a data set, with the targets, per-item losses and class names.

    ``probs``: (N, C) probabilities (softmax, or sigmoid per tag for multi-label); ``targets``:
    class indices (N,) or multi-hot (N, C); ``losses``: per-item loss; ``thresh``: the probability
    above which a tag counts as predicted (multi-label only).
    """

    probs: torch.Tensor
    targets: torch.Tensor
    losses: torch.Tensor
    classes: list[str]
    paths: list[Path]
    is_multilabel: bool = False
    thresh: float = 0.5

    @classmethod
    def from_learner(
        cls, learn: Learner, split: str = "valid", tta: bool = False
    ) -> Interpretation:
        """Predict ``split`` with ``learn`` (optionally with test-time augmentation) and keep it all."""
        probs, targets = learn.tta(split=split) if tta else learn.get_preds(split)
        return cls.from_preds(probs, targets, learn.data, split)

    @classmethod
    def from_preds(
        cls, probs: ArrayLike, targets: ArrayLike, data: LearnerData, split: str = "valid"
    ) -> Interpretation:
        """Probabilities already made (e.g. the course's ``np.mean(np.exp(log_preds), 0)`` after
        ``learn.TTA()``, numpy or torch) for ``data``'s ``split``, in file order (lesson 2)."""
        probs, targets = torch.as_tensor(probs).float(), torch.as_tensor(targets)
        multilabel = data.is_multilabel
        if multilabel:
            losses = F.binary_cross_entropy(
                probs.clamp(1e-7, 1 - 1e-7), targets.float(), reduction="none"
            ).mean(1)
        else:
            losses = F.nll_loss(probs.clamp_min(1e-7).log(), targets.long(), reduction="none")
        return cls(
            probs,
            targets,
            losses,
            list(data.classes),
            list(data.split_paths(split)),
            multilabel,
        )

    def __repr__(self) -> str:
        kind = "multi-label" if self.is_multilabel else "single-label"
        if len(self) == 0:
            return f"Interpretation({kind}, 0 items, {len(self.classes)} classes)"
        right = f"{float(self.is_correct.float().mean()):.1%} correct"
        return (
            f"Interpretation({kind}, {len(self)} items, {len(self.classes)} classes, {right}, "
            f"mean loss {float(self.losses.mean()):.4f})"
        )

    def __len__(self) -> int:
        return len(self.probs)

    # ------------------------------------------------------------------------------ basics
    @property
    def preds(self) -> torch.Tensor:
        """Predicted class indices, or multi-hot predicted tags (probability > ``thresh``)."""
        return (self.probs > self.thresh).float() if self.is_multilabel else self.probs.argmax(1)

    @property
    def is_correct(self) -> torch.Tensor:
        """Per item: the prediction is right (multi-label: every tag right)."""
        if self.is_multilabel:
            return (self.preds == self.targets).all(1)
        return self.preds == self.targets

    def class_index(self, cls: str | int) -> int:
        if isinstance(cls, int):
            return cls
        if cls not in self.classes:
            raise ValueError(f"unknown class {cls!r}; the classes are {self.classes[:10]}...")
        return self.classes.index(cls)

    def has_class(self, c: int) -> torch.Tensor:
        """Per item: its actual class is ``c`` (multi-label: it has tag ``c``)."""
        return self.targets[:, c] > 0 if self.is_multilabel else self.targets == c

    # -------------------------------------------------------------------------- selections
    def rand_by_correct(self, is_correct: bool, n: int = 4, seed: int | None = None) -> list[int]:
        """``n`` items at random among the correct (or incorrect) ones."""
        idxs = torch.nonzero(self.is_correct == is_correct).flatten().numpy()
        rng = np.random.default_rng(seed)
        return sorted(rng.choice(idxs, size=min(n, len(idxs)), replace=False).tolist())

    def most_by_correct(self, cls: str | int, is_correct: bool, n: int = 4) -> list[int]:
        """Items whose actual class is ``cls``: the ``n`` correct ones with the highest probability
        for ``cls`` (most correct), or the ``n`` incorrect ones with the lowest (most incorrect:
        confidently wrong)."""
        c = self.class_index(cls)
        mask = self.has_class(c) & (self.is_correct == is_correct)
        idxs = torch.nonzero(mask).flatten()
        order = torch.argsort(self.probs[idxs, c], descending=is_correct)
        return idxs[order][:n].tolist()

    def uncertainty(self) -> torch.Tensor:
        """Per item, how undecided the model is (smaller is more uncertain): for two classes the
        distance of the probability from 0.5; otherwise the margin between the top two classes;
        for multi-label, the distance from 0.5 of the least certain tag."""
        if self.is_multilabel:
            return (self.probs - 0.5).abs().min(1).values
        if self.probs.shape[1] == 2:
            return (self.probs[:, 1] - 0.5).abs()
        top2 = self.probs.topk(2, dim=1).values
        return top2[:, 0] - top2[:, 1]

    def most_uncertain(self, n: int = 4) -> list[int]:
        """The ``n`` items the model is least sure about."""
        return torch.argsort(self.uncertainty())[:n].tolist()

    def top_losses(self, k: int = 9) -> list[int]:
        """The ``k`` items with the highest loss: confidently wrong, or right but unsure."""
        return torch.argsort(self.losses, descending=True)[:k].tolist()

    def by_pair(self, actual: str | int, predicted: str | int) -> list[int]:
        """Items of class ``actual`` predicted as ``predicted`` (a confusion-matrix cell)."""
        self._single_label_only("a confusion-matrix cell")
        a, p = self.class_index(actual), self.class_index(predicted)
        return torch.nonzero((self.targets == a) & (self.preds == p)).flatten().tolist()

    # --------------------------------------------------------------------- summary numbers
    def _single_label_only(self, what: str) -> None:
        if self.is_multilabel:
            raise ValueError(
                f"{what} is for single-label data; for tags use per_tag_metrics() and best_threshold()."
            )

    def confusion_matrix(self) -> torch.Tensor:
        """(C, C) counts: row = actual class, column = predicted class."""
        self._single_label_only("the confusion matrix")
        c = len(self.classes)
        return torch.bincount(self.targets * c + self.preds, minlength=c * c).view(c, c)

    def most_confused(self, min_val: int = 1) -> list[tuple[str, str, int]]:
        """(actual, predicted, count) of the off-diagonal cells with at least ``min_val`` items, most first."""
        cm = self.confusion_matrix()
        pairs = [
            (self.classes[a], self.classes[p], int(cm[a, p]))
            for a in range(len(cm))
            for p in range(len(cm))
            if a != p and cm[a, p] >= min_val
        ]
        return sorted(pairs, key=lambda t: (-t[2], t[0], t[1]))

    def per_class_accuracy(self) -> dict[str, float]:
        """For each class, the fraction of its items predicted correctly (its recall)."""
        cm = self.confusion_matrix().float()
        return {
            c: (cm[i, i] / cm[i].sum()).item() if cm[i].sum() else float("nan")
            for i, c in enumerate(self.classes)
        }

    def per_tag_metrics(self, beta: float = 2.0) -> dict[str, dict[str, float]]:
        """Multi-label: precision, recall and F-beta of each tag at ``thresh``."""
        if not self.is_multilabel:
            raise ValueError("per_tag_metrics is for multi-label data; use per_class_accuracy().")
        out = {}
        for i, tag in enumerate(self.classes):
            pred, true = self.preds[:, i], self.targets[:, i]
            tp = (pred * true).sum().item()
            precision = tp / pred.sum().item() if pred.sum() else 0.0
            recall = tp / true.sum().item() if true.sum() else 0.0
            b2 = beta**2
            f = (
                (1 + b2) * precision * recall / (b2 * precision + recall)
                if precision + recall
                else 0.0
            )
            out[tag] = {"precision": precision, "recall": recall, f"f{beta:g}": f}
        return out

    def best_threshold(
        self, beta: float = 2.0, thresholds: Sequence[float] | np.ndarray | None = None
    ) -> tuple[float, float]:
        """Multi-label: the threshold with the highest samples-averaged F-beta, and that score
        (lesson 4 chooses the planet threshold this way)."""
        if not self.is_multilabel:
            raise ValueError("best_threshold is for multi-label data.")
        thresholds = np.round(np.arange(0.05, 0.96, 0.01), 2) if thresholds is None else thresholds
        scores = [
            fbeta_on_probs(self.probs, self.targets, beta=beta, thresh=float(t)) for t in thresholds
        ]
        best = int(np.argmax(scores))
        return float(thresholds[best]), float(scores[best])

    # ------------------------------------------------------------------------------ words
    def label(self, idx: int, which: str = "pred") -> str:
        """The predicted (``'pred'``) or actual (``'actual'``) label of item ``idx`` as text."""
        y = self.preds[idx] if which == "pred" else self.targets[idx]
        if self.is_multilabel:
            return " ".join(c for c, v in zip(self.classes, y.tolist()) if v > 0) or "(none)"
        return self.classes[int(y)]

    def confidence(self, idx: int) -> float:
        """The probability of the prediction (multi-label: the mean over the predicted tags, 0 if none)."""
        if self.is_multilabel:
            return self.probs[idx][self.preds[idx] > 0].mean().nan_to_num(0).item()
        return self.probs[idx].max().item()

    def shown_probability(self, idx: int) -> tuple[str, float]:
        """The probability a title shows, with its name: with two classes the probability of the
        second (the course's titles show P(dog) for every picture, cat or dog); otherwise the
        prediction's (``'p'``)."""
        if not self.is_multilabel and len(self.classes) == 2:
            return f"P({self.classes[1]})", self.probs[idx, 1].item()
        return "p", self.confidence(idx)

    def loss_value(self, idx: int) -> float:
        """Item ``idx``'s loss; never ``-0.0`` (a probability of 1 gives ``-log 1 = -0.0``)."""
        loss = self.losses[idx].item()
        return loss if loss > 0 else 0.0

    def caption(self, idx: int) -> str:
        """``pred / actual / probability / loss`` of one item (the course's plot_val_with_title);
        with two classes the probability is P(second class), as the course's P(dog)."""
        name, p = self.shown_probability(idx)
        prob = f"{p:.2f}" if name == "p" else f"{name} {p:.2f}"
        return (
            f"{self.label(idx)} / {self.label(idx, 'actual')} / {prob} / {self.loss_value(idx):.2f}"
        )

    # ---------------------------------------------------------------------------- drawing
    @presentable
    def plot_selection(
        self, idxs: Iterable[int], title: str = "", ncols: int = 4, size: int = 128
    ) -> Figure:
        """The images ``idxs``, each titled prediction / actual / probability / loss (wrapped at
        ``CAPTION_WIDTH`` characters, so that a tile's many tags don't run into its neighbours'
        titles). Returns the figure."""
        from matplotlib.figure import Figure

        idxs = list(idxs)
        nrows = max(1, -(-len(idxs) // ncols))
        fig = Figure(figsize=(3 * ncols, 3 * nrows + 0.4))
        for k, i in enumerate(idxs):
            ax = fig.add_subplot(nrows, ncols, k + 1)
            img = open_image(self.paths[i], min_size=size)
            img.thumbnail((size, size))
            ax.imshow(img)
            ax.set_title(textwrap.fill(self.caption(i), CAPTION_WIDTH), fontsize="small")
            ax.axis("off")
        if title:
            fig.suptitle(title)
        if not idxs:
            fig.text(0.5, 0.5, "no images in this selection", ha="center")
        fig.tight_layout()
        return fig

    @presentable
    def plot_top_losses(self, k: int = 9, ncols: int = 3) -> Figure:
        """The ``k`` highest-loss images (prediction / actual / probability / loss)."""
        return self.plot_selection(self.top_losses(k), "top losses", ncols=ncols)

    @presentable
    def plot_confusion_matrix(self, normalize: bool = False, ax: Axes | None = None) -> Figure:
        """The confusion matrix as a heat map with counts (or row fractions with ``normalize``)."""
        cm = self.confusion_matrix().float()
        if normalize:
            cm = cm / cm.sum(1, keepdim=True).clamp_min(1)
        side = max(4, 0.45 * len(self.classes) + 2)
        ax, fig = axes_and_figure(ax, figsize=(side, side))
        ax.imshow(cm.numpy(), cmap="Blues")
        ax.set_xticks(range(len(self.classes)), self.classes, rotation=90, fontsize="small")
        ax.set_yticks(range(len(self.classes)), self.classes, fontsize="small")
        ax.set_xlabel("predicted")
        ax.set_ylabel("actual")
        for (a, p), v in np.ndenumerate(cm.numpy()):
            ax.text(
                p,
                a,
                f"{v:.2f}" if normalize else f"{int(v)}",
                ha="center",
                va="center",
                fontsize="x-small",
                color="white" if v > cm.max() / 2 else "black",
            )
        ax.set_title("confusion matrix" + (" (fraction of each actual class)" if normalize else ""))
        return fig
