"""ConvExplorer: a filter sliding over a picture, one output cell at a time (lesson 3).

    ckw.ConvExplorer()                       # the built-in handwritten 7
    ckw.ConvExplorer('my_cat.jpg')           # or a path, PIL image, array, (data, i), an upload
    ckw.ConvExplorer(learn=learn)            # ... and the filters and activations of a trained model

Edit the 3x3 kernel or pick a preset; input and output are side by side. Choose an output cell:
its window is boxed on the input and the nine products and their sum are written out, as in the
course's spreadsheet.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from coursekit.explore.images import load_image, to_grey, uploaded_bytes
from coursekit.explore.ops import KERNELS, conv_step, correlate, relu
from coursekit.explore.png import to_png
from coursekit.html_table import html_table
from coursekit.panel import LABEL_WIDTH, Panel, keep_width
from coursekit.plotting import presentable

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from coursekit.explore.filters_view import LearnedFilters
    from coursekit.train.learner import Learner

__all__ = ["ConvExplorer"]


class ConvExplorer(Panel):
    """Convolution of a picture with an editable kernel; see the module docstring."""

    def __init__(
        self,
        image: Any = None,
        kernel: Any = None,
        learn: Learner | None = None,
        preset: str = "top sobel",
    ):
        self.rgb = load_image(image)
        kernel = KERNELS[preset] if kernel is None else np.asarray(kernel, dtype=np.float64)
        self.k = kernel.shape[0]
        self.cells = [
            [
                widgets.FloatText(value=float(kernel[r, c]), layout=widgets.Layout(width="64px"))
                for c in range(self.k)
            ]
            for r in range(self.k)
        ]
        self.preset = widgets.Dropdown(
            options=["custom", *KERNELS],
            value=preset if kernel is KERNELS.get(preset) else "custom",
            description="kernel",
        )
        self.relu = widgets.Checkbox(value=False, description="ReLU", layout=keep_width())
        self.colour = widgets.ToggleButtons(
            options=["grey", "colour"], value="grey", style=LABEL_WIDTH, layout=keep_width()
        )
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="your image")
        self.row = widgets.IntSlider(value=0, min=0, max=0, description="out row")
        self.col = widgets.IntSlider(value=0, min=0, max=0, description="out col")
        self.input_view, self.output_view = widgets.Image(format="png"), widgets.Image(format="png")
        self.sizes, self.arithmetic, self.status = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.preset.observe(self.handler(self._on_preset), names="value")
        for cell in (c for row in self.cells for c in row):
            cell.observe(self.handler(self._on_cell), names="value")
        for control in (self.relu, self.colour, self.row, self.col):
            control.observe(self.handler(lambda _c: self.refresh()), names="value")
        self.upload.observe(self.handler(self._on_upload), names="value")
        grid = widgets.GridBox(
            [c for row in self.cells for c in row],
            layout=widgets.Layout(grid_template_columns=f"repeat({self.k}, 70px)"),
        )
        children = [
            widgets.HBox([self.preset, self.relu, self.colour, self.upload]),
            widgets.HBox([grid, widgets.VBox([self.row, self.col, self.sizes])]),
            widgets.HBox(
                [
                    widgets.VBox([widgets.HTML("<b>input</b>"), self.input_view]),
                    widgets.VBox([widgets.HTML("<b>output</b>"), self.output_view]),
                ]
            ),
            self.arithmetic,
            self.status,
        ]
        self.filters: LearnedFilters | None = None
        if learn is not None:
            from coursekit.explore.filters_view import LearnedFilters

            self.filters = LearnedFilters(learn, self)
            children.append(self.filters)
        super().__init__(children)
        self.refresh()

    # ------------------------------------------------------------------------------- state
    @property
    def kernel(self) -> np.ndarray:
        """The 3x3 (k x k) kernel as typed in its cells."""
        return np.array([[c.value for c in row] for row in self.cells], dtype=np.float64)

    @property
    def input(self) -> np.ndarray:
        """What the kernel slides over: (H, W) grey, or (3, H, W) colour."""
        return self.rgb if self.colour.value == "colour" else to_grey(self.rgb)

    def compute(self) -> np.ndarray:
        """The output: correlation of the input with the kernel, then ReLU if ticked."""
        out = correlate(self.input, self.kernel)
        return relu(out) if self.relu.value else out

    def set_image(self, image: Any) -> None:
        """Explore another picture (anything ``load_image`` takes)."""
        self.rgb = load_image(image)
        self.refresh()
        if self.filters is not None:
            self.filters.refresh()

    # ------------------------------------------------------------------------------ events
    def _on_preset(self, change: dict[str, Any]) -> None:
        if change["new"] == "custom":
            return
        values = KERNELS[change["new"]]
        with self.quietly():  # nine cells change: one redraw below, and the preset stays
            for r in range(self.k):
                for c in range(self.k):
                    self.cells[r][c].value = (
                        float(values[r, c]) if values.shape[0] == self.k else 0.0
                    )
        self.refresh()

    def _on_cell(self, _change: dict[str, Any]) -> None:
        with self.quietly():
            self.preset.value = "custom"
        self.refresh()

    def _on_upload(self, change: dict[str, Any]) -> None:
        content = uploaded_bytes(change["new"])
        if content:
            self.set_image(content)

    # ----------------------------------------------------------------------------- drawing
    def refresh(self) -> None:
        """Recompute the output and redraw both pictures and the arithmetic."""
        self.output = self.compute()
        h, w = self.output.shape[-2:]
        with self.quietly():  # a smaller output clamps the chosen cell: no second redraw
            self.row.max, self.col.max = h - 1, w - 1
        r, c = self.row.value, self.col.value
        self.input_view.value = to_png(self.input, boxes=[(r, c, self.k, self.k, "red")])
        self.output_view.value = to_png(self.output, boxes=[(r, c, 1, 1, "red")])
        size = self.input.shape[-2:]
        self.sizes.value = f"{size[0]} x {size[1]} -> {h} x {w} (a {self.k}x{self.k} kernel loses {self.k - 1} cells)"
        self.arithmetic.value = self._arithmetic_html(r, c)

    def _arithmetic_html(self, r: int, c: int) -> str:
        channel = self.input if self.input.ndim == 2 else self.input[0]
        step = conv_step(channel, self.kernel, r, c)
        # "+ 0.0" below turns IEEE -0.0 (a zero pixel times a negative weight) into 0.0
        cells = [
            [
                f"{w:.0f} &times; {k:g} = <b>{p + 0.0:.1f}</b>"
                for w, k, p in zip(step.window[i], step.kernel[i], step.products[i])
            ]
            for i in range(self.k)
        ]
        where = " (red channel)" if self.input.ndim == 3 else ""
        after = f"; after ReLU: {max(step.total, 0):.1f}" if self.relu.value else ""
        return (
            html_table(cells, style="font-family:monospace")
            + f"output[{r}, {c}]{html.escape(where)} = sum of the "
            f"nine products = <b>{step.total + 0.0:.1f}</b>{after}"
        )

    @presentable
    def figure(self) -> Figure:
        """Input (window boxed), kernel and output as a static matplotlib figure."""
        from matplotlib.figure import Figure
        from matplotlib.patches import Rectangle

        fig = Figure(figsize=(11, 3.8))
        ax_in, ax_k, ax_out = fig.subplots(1, 3, gridspec_kw={"width_ratios": [3, 1.2, 3]})

        def show(ax: Axes, a: np.ndarray) -> None:
            picture = np.clip(a, 0, 255).transpose(1, 2, 0).astype(np.uint8) if a.ndim == 3 else a
            ax.imshow(picture, cmap="gray", vmin=0, vmax=255)

        show(ax_in, self.input)
        ax_in.add_patch(
            Rectangle(
                (self.col.value - 0.5, self.row.value - 0.5),
                self.k,
                self.k,
                fill=False,
                color="red",
            )
        )
        ax_k.imshow(self.kernel, cmap="RdBu")
        for (i, j), v in np.ndenumerate(self.kernel):
            ax_k.text(j, i, f"{v:g}", ha="center", va="center")
        show(ax_out, self.output)
        for ax, title in (
            (ax_in, "input"),
            (ax_k, self.preset.value),
            (ax_out, "output" + (" (ReLU)" if self.relu.value else "")),
        ):
            ax.set_title(title)
            ax.axis("off")
        return fig
