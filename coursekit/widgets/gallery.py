"""ResultsGallery: look at what the model gets right and wrong (lessons 1 and 2).

    ckw.ResultsGallery(learn.interpret())

A view selector (the course's five selections, top losses, the confusion matrix), a class selector
where the view needs one, a count slider, and a grid of thumbnails captioned prediction / actual /
probability / loss. In the confusion-matrix view each cell is a button: click it to see the images
of that (actual, predicted) pair. The panel is a view: every selection comes from the
``Interpretation``; thumbnails are made only for what is shown, and kept.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from coursekit.html_table import html_table
from coursekit.panel import Panel
from coursekit.plotting import presentable
from coursekit.train.interpret import Interpretation
from coursekit.widgets.thumbnails import Thumbnails

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["VIEWS", "ResultsGallery"]

# view name -> does it need a class?
VIEWS = {
    "correct, at random": False,
    "incorrect, at random": False,
    "most correct of a class": True,
    "most incorrect of a class": True,
    "most uncertain": False,
    "top losses": False,
    "confusion matrix": False,
}
MAX_MATRIX_CLASSES = 16


class ResultsGallery(Panel):
    """Thumbnails of a selection of ``interp``'s items; see the module docstring."""

    def __init__(
        self,
        interp: Interpretation,
        view: str = "incorrect, at random",
        n: int = 8,
        columns: int = 4,
        thumb_size: int = 112,
    ):
        self.interp, self.columns, self.seed = interp, columns, 0
        self.pair: tuple[str, str] | None = None  # the confusion-matrix cell shown
        self.thumbnails = Thumbnails(thumb_size)
        self.view = widgets.Dropdown(options=list(VIEWS), value=view, description="view")
        self.cls = widgets.Dropdown(options=interp.classes, description="class")
        self.count = widgets.IntSlider(value=n, min=1, max=32, description="images")
        self.shuffle = widgets.Button(
            description="new sample", tooltip="draw another random sample"
        )
        self.title, self.status = widgets.HTML(), widgets.HTML()
        self.matrix = widgets.GridBox(layout=widgets.Layout(grid_gap="2px"))
        self.grid = widgets.GridBox(
            layout=widgets.Layout(grid_template_columns=f"repeat({columns}, 1fr)", grid_gap="6px")
        )
        for control in (self.view, self.cls, self.count):
            control.observe(self.handler(self._on_change), names="value")
        self.shuffle.on_click(self.handler(self._on_shuffle))
        super().__init__(
            [
                widgets.HBox([self.view, self.cls, self.count, self.shuffle]),
                self.title,
                self.status,
                self.matrix,
                self.grid,
            ]
        )
        self.refresh()

    # ------------------------------------------------------------------------- what to show
    def selection(self) -> list[int]:
        """Indices of the items the current view shows."""
        interp, n, view = self.interp, self.count.value, self.view.value
        if view == "correct, at random":
            return interp.rand_by_correct(True, n, seed=self.seed)
        if view == "incorrect, at random":
            return interp.rand_by_correct(False, n, seed=self.seed)
        if view == "most correct of a class":
            return interp.most_by_correct(self.cls.value, True, n)
        if view == "most incorrect of a class":
            return interp.most_by_correct(self.cls.value, False, n)
        if view == "most uncertain":
            return interp.most_uncertain(n)
        if view == "top losses":
            return interp.top_losses(n)
        return interp.by_pair(*self.pair)[:n] if self.pair else []

    def describe(self) -> str:
        """What the current view shows, as HTML (the title above the images)."""
        if self.view.value == "confusion matrix":
            if self.interp.is_multilabel:
                return "confusion matrix: not defined for multi-label data (per-tag precision and recall below)"
            if self.pair:
                return f"actual <b>{html.escape(self.pair[0])}</b>, predicted <b>{html.escape(self.pair[1])}</b>"
            return "confusion matrix: click a cell to see its images (rows: actual, columns: predicted)"
        suffix = f" — {html.escape(self.cls.value)}" if VIEWS[self.view.value] else ""
        return f"{self.view.value}{suffix}"

    # ------------------------------------------------------------------------------ drawing
    def _on_change(self, change: dict[str, Any]) -> None:
        if change["owner"] is self.view:
            self.pair = None
        self.refresh()

    def _on_shuffle(self, _button: widgets.Button) -> None:
        self.seed += 1
        self.refresh()

    def refresh(self) -> None:
        """Redraw from the interpretation and the controls' values."""
        self.cls.disabled = not VIEWS[self.view.value]
        self.shuffle.disabled = "random" not in self.view.value
        self.matrix.children = self._matrix_cells() if self.view.value == "confusion matrix" else ()
        self._show_selection()

    def _show_selection(self) -> None:
        idxs = self.selection()
        self.title.value = f"<b>{self.describe()}</b> ({len(idxs)} shown)"
        self.grid.children = [self._tile(i) for i in idxs]

    def _tile(self, i: int) -> widgets.VBox:
        interp = self.interp
        name, p = interp.shown_probability(i)
        caption = (
            f"<small>pred <b>{html.escape(interp.label(i))}</b><br>actual {html.escape(interp.label(i, 'actual'))}"
            f"<br>{html.escape(name)} {p:.2f} · loss {interp.loss_value(i):.2f}</small>"
        )
        image = widgets.Image(value=self.thumbnails(interp.paths[i]), format="png")
        return widgets.VBox([image, widgets.HTML(caption)])

    def matrix_classes(self) -> list[int]:
        """The classes the clickable matrix shows: all, or the busiest ``MAX_MATRIX_CLASSES``."""
        cm = self.interp.confusion_matrix()
        if len(cm) <= MAX_MATRIX_CLASSES:
            return list(range(len(cm)))
        off = cm.clone()
        off.fill_diagonal_(0)
        busy = (off.sum(0) + off.sum(1)).argsort(descending=True)[:MAX_MATRIX_CLASSES]
        return sorted(busy.tolist())

    def _matrix_cells(self) -> tuple[widgets.Widget, ...]:
        if self.interp.is_multilabel:
            rows = [
                [html.escape(t), *(f"{v:.2f}" for v in m.values())]
                for t, m in self.interp.per_tag_metrics().items()
            ]
            self.matrix.layout.grid_template_columns = "1fr"
            return (widgets.HTML(html_table(rows, header=["tag", "precision", "recall", "F2"])),)
        shown = self.matrix_classes()
        cm = self.interp.confusion_matrix()
        names = self.interp.classes
        cells = [widgets.HTML("<small>actual \\ predicted</small>")]
        cells += [widgets.HTML(f"<small>{html.escape(names[p])}</small>") for p in shown]
        for a in shown:
            cells.append(widgets.HTML(f"<small>{html.escape(names[a])}</small>"))
            for p in shown:
                button = widgets.Button(
                    description=str(int(cm[a, p])),
                    tooltip=f"{names[a]} -> {names[p]}",
                    button_style="success" if a == p else ("danger" if cm[a, p] else ""),
                    layout=widgets.Layout(width="auto"),
                )
                button.on_click(
                    self.handler(lambda _b, a=a, p=p: self.show_pair(names[a], names[p]))
                )
                cells.append(button)
        self.matrix.layout.grid_template_columns = f"repeat({len(shown) + 1}, auto)"
        return tuple(cells)

    def show_pair(self, actual: str, predicted: str) -> None:
        """Show the images of one confusion-matrix cell (what a click on it does)."""
        self.pair = (actual, predicted)
        self._show_selection()

    @presentable
    def figure(self) -> Figure:
        """The current view as a static matplotlib figure."""
        if (
            self.view.value == "confusion matrix"
            and not self.pair
            and not self.interp.is_multilabel
        ):
            return self.interp.plot_confusion_matrix()
        return self.interp.plot_selection(
            self.selection(),
            self.describe().replace("<b>", "").replace("</b>", ""),
            ncols=self.columns,
        )
