"""The learned-filters part of the ConvExplorer: a trained model's filters and activations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as widgets
import numpy as np
import torch
from PIL import Image

from coursekit.explore.learned import activations, conv_layers, filter_images, grid
from coursekit.explore.png import to_png
from coursekit.panel import Panel
from coursekit.plotting import presentable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from coursekit.explore.conv_explorer import ConvExplorer
    from coursekit.train.learner import Learner

__all__ = ["LearnedFilters"]


class LearnedFilters(Panel):
    """Pick a convolution layer of ``learn.model``; see its first 16 filters and their activations
    on the explorer's picture. Any k x k (a resnet's first layer is 7x7)."""

    def __init__(self, learn: Learner, explorer: ConvExplorer, n: int = 16):
        self.learn, self.explorer, self.n = learn, explorer, n
        self.layers = conv_layers(learn.model)
        self.layer = widgets.Dropdown(
            options=[
                (f"{name} ({m.kernel_size[0]}x{m.kernel_size[1]}, {m.out_channels} filters)", i)
                for i, (name, m) in enumerate(self.layers)
            ],
            description="layer",
        )
        self.filters_view, self.activations_view = (
            widgets.Image(format="png"),
            widgets.Image(format="png"),
        )
        self.status = widgets.HTML()
        self.layer.observe(self.handler(lambda _c: self.refresh()), names="value")
        super().__init__(
            [
                widgets.HTML("<b>learned filters</b> of the trained model"),
                self.layer,
                widgets.HBox(
                    [
                        widgets.VBox([widgets.HTML("filters"), self.filters_view]),
                        widgets.VBox(
                            [
                                widgets.HTML("their activations on the picture"),
                                self.activations_view,
                            ]
                        ),
                    ]
                ),
                self.status,
            ]
        )
        self.refresh()

    def model_input(self) -> torch.Tensor:
        """The explorer's picture as the model sees it: resized and normalised like the data."""
        size = self.learn.data.size
        img = Image.fromarray(
            self.explorer.rgb.clip(0, 255).astype(np.uint8).transpose(1, 2, 0)
        ).resize((size, size))
        mean, std = (torch.tensor(s).view(3, 1, 1) for s in self.learn.data.stats)
        return (
            torch.from_numpy(np.asarray(img, dtype=np.float32) / 255).permute(2, 0, 1) - mean
        ) / std

    def refresh(self) -> None:
        """Draw the chosen layer's filters and their activations on the explorer's picture."""
        _, layer = self.layers[self.layer.value]
        self.filter_maps = filter_images(layer, self.n)
        self.activation_maps = activations(self.learn.model, layer, self.model_input())[: self.n]
        self.filters_view.value = to_png(grid(self.filter_maps, columns=8), min_width=320)
        self.activations_view.value = to_png(
            grid(list(self.activation_maps), columns=8), min_width=480
        )

    @presentable
    def figure(self) -> Figure:
        """The chosen layer's filters and their activations as a static matplotlib figure."""
        from matplotlib.figure import Figure

        name, _ = self.layers[self.layer.value]
        fig = Figure(figsize=(11, 3))
        ax_f, ax_a = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.5]})
        for ax, maps, title in (
            (ax_f, self.filter_maps, f"{name}: first {len(self.filter_maps)} filters"),
            (ax_a, list(self.activation_maps), "their activations on the picture"),
        ):
            mosaic = grid(maps, columns=8)
            ax.imshow(
                mosaic.transpose(1, 2, 0).astype(np.uint8) if mosaic.ndim == 3 else mosaic,
                cmap="gray",
                vmin=0,
                vmax=255,
                interpolation="nearest",
            )
            ax.set_title(title)
            ax.axis("off")
        fig.tight_layout()
        return fig
