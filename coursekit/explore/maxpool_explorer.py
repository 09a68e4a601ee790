"""MaxPoolExplorer: max pooling keeps the largest value of each window (lesson 3).

    ckw.MaxPoolExplorer()                     # conv -> ReLU -> max-pool on the handwritten 7
    ckw.MaxPoolExplorer(activation)           # pool any picture or 2-D activation

Choose the window size and stride; the winning cell of every window is tinted on the input, the
sizes before and after are written out, and one chosen window is explained.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from coursekit.explore.images import load_image, to_grey
from coursekit.explore.ops import KERNELS, correlate, max_pool, pool_step, relu
from coursekit.explore.png import to_png
from coursekit.panel import LABEL_WIDTH, Panel, keep_width
from coursekit.plotting import presentable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MaxPoolExplorer"]


class MaxPoolExplorer(Panel):
    """Max pooling of a picture or activation, alone or as the end of conv -> ReLU -> max-pool."""

    def __init__(
        self,
        image_or_activation: Any = None,
        size: int = 2,
        stride: int = 2,
        preset: str = "outline",
    ):
        given = image_or_activation
        self.source = (
            given
            if isinstance(given, np.ndarray) and given.ndim == 2
            else to_grey(load_image(given))
        )
        self.view = widgets.ToggleButtons(
            options=["max-pool", "conv -> ReLU -> max-pool"],
            value="conv -> ReLU -> max-pool" if given is None else "max-pool",
            style=LABEL_WIDTH,
            layout=keep_width(),
        )
        self.preset = widgets.Dropdown(options=list(KERNELS), value=preset, description="kernel")
        self.size = widgets.IntSlider(value=size, min=1, max=6, description="size")
        self.stride = widgets.IntSlider(value=stride, min=1, max=6, description="stride")
        self.row = widgets.IntSlider(value=0, min=0, max=0, description="out row")
        self.col = widgets.IntSlider(value=0, min=0, max=0, description="out col")
        self.sizes, self.explain, self.status = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.chain_views = [widgets.Image(format="png") for _ in range(2)]
        self.input_view, self.output_view = widgets.Image(format="png"), widgets.Image(format="png")
        for control in (self.view, self.preset, self.size, self.stride, self.row, self.col):
            control.observe(self.handler(lambda _c: self.refresh()), names="value")
        self.chain = widgets.HBox(
            [
                widgets.VBox([widgets.HTML("<b>picture</b>"), self.chain_views[0]]),
                widgets.VBox([widgets.HTML("<b>conv</b>"), self.chain_views[1]]),
            ]
        )
        super().__init__(
            [
                widgets.HBox([self.view, self.preset]),
                widgets.HBox([self.size, self.stride]),
                widgets.HBox([self.row, self.col, self.sizes]),
                self.chain,
                widgets.HBox(
                    [
                        widgets.VBox(
                            [widgets.HTML("<b>input to the pooling</b>"), self.input_view]
                        ),
                        widgets.VBox([widgets.HTML("<b>max-pooled</b>"), self.output_view]),
                    ]
                ),
                self.explain,
                self.status,
            ]
        )
        self.refresh()

    def pooling_input(self) -> np.ndarray:
        """What is pooled: the source itself, or ReLU(conv(source)) in the chain view."""
        if self.view.value == "max-pool":
            return self.source
        return relu(correlate(self.source, KERNELS[self.preset.value]))

    def refresh(self) -> None:
        """Pool again with the chosen window and stride; redraw the pictures and the explanation."""
        chain = self.view.value != "max-pool"
        self.preset.disabled = not chain
        self.chain.layout.display = None if chain else "none"
        x = self.pooling_input()
        size, stride = self.size.value, self.stride.value
        if size > min(x.shape):
            self.sizes.value = f"<b>the window ({size}) is larger than the input {x.shape}</b>"
            return
        self.output, self.winners = max_pool(x, size, stride)
        h, w = self.output.shape
        with self.quietly():  # a smaller output clamps the chosen cell: no second redraw
            self.row.max, self.col.max = h - 1, w - 1
        r, c = self.row.value, self.col.value
        winning = np.zeros(x.shape, bool)
        shown = self.output > x.min()  # an empty window's "winner" is just a tie: not tinted
        winning[self.winners[..., 0][shown], self.winners[..., 1][shown]] = True
        self.input_view.value = to_png(
            x,
            min_width=280,
            rescale=chain,
            highlight=winning,
            boxes=[(r * stride, c * stride, size, size, "red")],
        )
        self.output_view.value = to_png(
            self.output, min_width=280, rescale=chain, boxes=[(r, c, 1, 1, "red")]
        )
        if chain:
            self.chain_views[0].value = to_png(self.source, min_width=160)
            self.chain_views[1].value = to_png(
                correlate(self.source, KERNELS[self.preset.value]), min_width=160, rescale=True
            )
        self.sizes.value = f"{x.shape[0]} x {x.shape[1]} -> <b>{h} x {w}</b> ({size}x{size} windows, stride {stride})"
        step = pool_step(x, r, c, size, stride)
        self.explain.value = (
            f"window at output[{r}, {c}]: max of {np.array2string(step.window, precision=1)} = "
            f"<b>{step.value:.1f}</b>, from input cell {step.winner} (the winners of windows that are not empty are tinted green)"
        )

    @presentable
    def figure(self) -> Figure:
        """Input with the winning cells, and the pooled output, as a static matplotlib figure."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8, 4))
        ax_in, ax_out = fig.subplots(1, 2)
        x = self.pooling_input()
        ax_in.imshow(x, cmap="gray")
        ax_in.scatter(self.winners[..., 1].ravel(), self.winners[..., 0].ravel(), s=6, c="lime")
        ax_out.imshow(self.output, cmap="gray")
        ax_in.set_title(f"input {x.shape[0]}x{x.shape[1]} (winners in green)")
        ax_out.set_title(f"max-pooled {self.output.shape[0]}x{self.output.shape[1]}")
        for ax in (ax_in, ax_out):
            ax.axis("off")
        return fig
