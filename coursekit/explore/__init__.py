"""Convolution and max-pool explorers: the arithmetic (``ops``) and the panels that show it."""

from coursekit.explore.conv_explorer import ConvExplorer
from coursekit.explore.images import digit_seven, load_image
from coursekit.explore.maxpool_explorer import MaxPoolExplorer
from coursekit.explore.ops import KERNELS, conv_step, correlate, max_pool, pool_step, relu

__all__ = [
    "KERNELS",
    "ConvExplorer",
    "MaxPoolExplorer",
    "conv_step",
    "correlate",
    "digit_seven",
    "load_image",
    "max_pool",
    "pool_step",
    "relu",
]
