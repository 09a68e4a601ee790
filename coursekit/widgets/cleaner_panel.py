"""CleanerPanel: look through a data set's worst images and delete or relabel them (lesson 2, 2019).

    ckw.CleanerPanel(learn.interpret('valid'))                       # folder layout: path/<split>/<class>/
    ckw.CleanerPanel({'train': learn.interpret('train'), 'valid': learn.interpret('valid')},
                     csv=path/'labels.csv', suffix='.jpg')           # CSV layout

Our take on fastai v2's ``ImageClassifierCleaner``: pick a split and a class, and the images of
that class appear sorted by loss, highest first (the likeliest mistakes). Each has a menu: keep,
delete, or another class. 'apply' hands the choices to ``coursekit.data.cleaning.DataCleaner``,
which applies them as one transaction: deleted files move to ``.trash/`` (never unlinked), the rest
move or are relabelled, and if anything fails nothing changes and the status line says what failed.
'undo' puts the last apply back (and refuses when a file or the CSV changed since). The panel only
collects choices and shows what happened.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as widgets

from coursekit.data.cleaning import DELETE, Apply, CleanerError, DataCleaner
from coursekit.panel import Panel
from coursekit.plotting import presentable
from coursekit.train.interpret import Interpretation
from coursekit.widgets.thumbnails import Thumbnails

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["DELETE_CHOICE", "KEEP", "CleanerPanel"]

KEEP, DELETE_CHOICE = "keep", "delete"


def _default_root(interps: dict[str, Interpretation], csv: Path | None) -> Path:
    """The data set's folder: the CSV's folder, else the folder holding the split folders
    (``<root>/<split>/<class>/image``); pass ``root=`` for any other layout."""
    if csv is not None:
        return csv.parent
    paths = [Path(p) for interp in interps.values() for p in interp.paths]
    return Path(os.path.commonpath([str(p.parents[2]) for p in paths]))


class CleanerPanel(Panel):
    """Keep / delete / relabel the images of one class and split, worst first; see the module docstring.

    ``choices`` maps image path -> 'delete' or a class name for every image not kept.
    """

    def __init__(
        self,
        interp: Interpretation | dict[str, Interpretation],
        root: str | os.PathLike[str] | None = None,
        csv: str | os.PathLike[str] | None = None,
        suffix: str = "",
        n: int = 12,
        columns: int = 4,
        thumb_size: int = 112,
    ):
        self.interps = interp if isinstance(interp, dict) else {"valid": interp}
        csv_path = Path(csv) if csv is not None else None
        self.cleaner = DataCleaner(
            root or _default_root(self.interps, csv_path), csv=csv_path, suffix=suffix
        )
        self.classes = list(next(iter(self.interps.values())).classes)
        self.choices: dict[Path, str] = {}
        self.gone: set[Path] = set()  # images applied (moved or relabelled), until undone
        self.applied: dict[str, set[Path]] = {}
        self.last: Apply | None = None  # the last apply, for its id
        self.thumbnails, self.columns = Thumbnails(thumb_size), columns
        self.split = widgets.Dropdown(options=list(self.interps), description="split")
        self.cls = widgets.Dropdown(options=self.classes, description="class")
        self.count = widgets.IntSlider(value=n, min=1, max=64, description="images")
        self.apply_button = widgets.Button(
            description="apply",
            button_style="warning",
            tooltip="delete (to .trash/) and relabel the chosen images",
        )
        self.undo_button = widgets.Button(description="undo", tooltip="put the last apply back")
        self.status = widgets.HTML()
        self.grid = widgets.GridBox(
            layout=widgets.Layout(grid_template_columns=f"repeat({columns}, 1fr)", grid_gap="6px")
        )
        self.menus: dict[Path, widgets.Dropdown] = {}
        for control in (self.split, self.cls, self.count):
            control.observe(self.handler(lambda _: self.refresh()), names="value")
        self.apply_button.on_click(self.handler(lambda _: self.apply()))
        self.undo_button.on_click(self.handler(lambda _: self.undo()))
        super().__init__(
            [
                widgets.HBox([self.split, self.cls, self.count]),
                widgets.HBox([self.apply_button, self.undo_button]),
                self.status,
                self.grid,
            ]
        )
        self.refresh()

    # ------------------------------------------------------------------------- what to show
    def selection(self) -> list[int]:
        """Indices (into the split's Interpretation) of the shown images: the class's, by loss."""
        interp = self.interps[self.split.value]
        mask = interp.has_class(interp.class_index(self.cls.value))
        idxs = [
            int(i) for i in mask.nonzero().flatten() if Path(interp.paths[int(i)]) not in self.gone
        ]
        return sorted(idxs, key=lambda i: -float(interp.losses[i]))[: self.count.value]

    def refresh(self) -> None:
        """Show the chosen split and class's images, worst first, each with its menu."""
        interp = self.interps[self.split.value]
        options = [KEEP, DELETE_CHOICE] + [c for c in self.classes if c != self.cls.value]
        cells, self.menus = [], {}
        for i in self.selection():
            path = Path(interp.paths[i])
            menu = widgets.Dropdown(
                options=options,
                value=self.choices.get(path, KEEP),
                layout=widgets.Layout(width="150px"),
            )
            menu.observe(
                self.handler(lambda change, p=path: self._choose(p, change["new"])), names="value"
            )
            self.menus[path] = menu
            caption = html.escape(
                f"{path.name} · loss {float(interp.losses[i]):.2f} · pred {interp.label(i)}"
            )
            cells.append(
                widgets.VBox(
                    [
                        widgets.Image(value=self.thumbnails(path), format="png"),
                        widgets.HTML(f"<small>{caption}</small>"),
                        menu,
                    ]
                )
            )
        self.grid.children = cells
        self.undo_button.disabled = self.cleaner.last_apply() is None
        self._say()

    def _choose(self, path: Path, choice: str) -> None:
        if choice == KEEP:
            self.choices.pop(path, None)
        else:
            self.choices[path] = choice
        self._say()

    def _say(self, extra: str = "") -> None:
        n_del = sum(v == DELETE_CHOICE for v in self.choices.values())
        self.status.value = (
            f"{n_del} to delete, {len(self.choices) - n_del} to relabel "
            f"(data in {html.escape(str(self.cleaner.root))}). {extra}"
        )

    # ------------------------------------------------------------------------------ actions
    def apply(self) -> None:
        """Apply every choice (all classes and splits) through the DataCleaner."""
        if not self.choices:
            self._say("Nothing chosen yet.")
            return
        changes = {p: DELETE if v == DELETE_CHOICE else v for p, v in self.choices.items()}
        try:
            last = self.last = self.cleaner.apply(changes)
        except CleanerError as e:  # says itself what failed and whether anything changed
            self._say(html.escape(str(e)))
            return
        except (OSError, ValueError) as e:
            self._say(html.escape(f"nothing changed: {e}"))
            return
        self.gone |= set(self.choices)
        self.applied[last.id] = set(self.choices)
        self.choices.clear()
        self.refresh()
        self._say(
            f"applied {len(changes)} change(s): {last.summary()}, logged as {last.id}. "
            "Rebuild the ImageData to train on the cleaned set."
        )

    def undo(self) -> None:
        """Undo the last apply (files back, CSV restored)."""
        try:
            record = self.cleaner.undo()
        except CleanerError as e:
            self._say(html.escape(str(e)))
            return
        except (OSError, ValueError) as e:
            self._say(html.escape(f"cannot undo: {e}"))
            return
        self.gone -= self.applied.pop(record.id, {Path(src) for src, _ in record.moves})
        self.refresh()
        self._say(f"undid {record.id}.")

    @presentable
    def figure(self) -> Figure:
        """The shown images with their loss and current choice, as a static matplotlib figure."""
        interp = self.interps[self.split.value]
        idxs = self.selection()
        fig = interp.plot_selection(
            idxs, f"{self.split.value} / {self.cls.value}: by loss", ncols=self.columns
        )
        for ax, i in zip(fig.axes, idxs):
            ax.set_title(
                f"{ax.get_title()}\n{self.choices.get(Path(interp.paths[i]), KEEP)}",
                fontsize="small",
            )
        return fig
