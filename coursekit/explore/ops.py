"""The arithmetic of a convolutional layer, in plain numpy (lesson 3's spreadsheet).

A 3x3 filter slides over the picture; each output cell is the sum of nine products of the
filter with the window under it (deep-learning "convolution" is, strictly, correlation: the
filter is not flipped). Then a ReLU sets negatives to zero, and 2x2 max pooling keeps the
largest value of each window, halving the resolution. Each function here is checked against
``torch.nn.functional.conv2d`` / ``max_pool2d``.

    out = correlate(image, KERNELS['top sobel'])           # (H-2, W-2)
    step = conv_step(image, KERNELS['top sobel'], 5, 7)      # the window, products and sum of out[5, 7]
    pooled, winners = max_pool(relu(out), size=2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "KERNELS",
    "ConvStep",
    "PoolStep",
    "conv_step",
    "correlate",
    "max_pool",
    "output_size",
    "pool_step",
    "relu",
]

KERNELS: dict[str, np.ndarray] = {
    name: np.array(k, dtype=np.float64)
    for name, k in {
        "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "box blur": [[1 / 9] * 3] * 3,
        "gaussian blur": [
            [1 / 16, 2 / 16, 1 / 16],
            [2 / 16, 4 / 16, 2 / 16],
            [1 / 16, 2 / 16, 1 / 16],
        ],
        "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
        "top sobel": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
        "bottom sobel": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
        "left sobel": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
        "right sobel": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    }.items()
}


def output_size(size: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Cells along one side of the output: ``(size + 2*padding - k) // stride + 1``.

    >>> output_size(28, 3), output_size(28, 3, padding=1), output_size(28, 2, stride=2)
    (26, 28, 14)
    """
    return (size + 2 * padding - k) // stride + 1


def _pad(x: np.ndarray, padding: int) -> np.ndarray:
    if not padding:
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [(padding, padding)] * 2
    return np.pad(x, widths)


def _windows(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """(..., H', W', k, k) views of every k x k window, ``stride`` apart."""
    return sliding_window_view(x, (k, k), axis=(-2, -1))[..., ::stride, ::stride, :, :]


def correlate(
    image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0
) -> np.ndarray:
    """Slide ``kernel`` (k x k) over ``image`` — grey (H, W), or each channel of (C, H, W) on its
    own — and sum the products in each window. Zero padding of ``padding`` cells on each side.

    >>> image = np.arange(16.0).reshape(4, 4)
    >>> correlate(image, np.ones((3, 3)))  # each cell: the sum of a 3x3 window
    array([[45., 54.],
           [81., 90.]])
    """
    x = _pad(np.asarray(image, dtype=np.float64), padding)
    kernel = np.asarray(kernel, dtype=np.float64)
    return np.einsum("...ijkl,kl->...ij", _windows(x, kernel.shape[-1], stride), kernel)


def relu(x: np.ndarray) -> np.ndarray:
    """Negatives become zero: ``max(x, 0)``.

    >>> relu(np.array([-1.5, 0.0, 2.0]))
    array([0., 0., 2.])
    """
    return np.maximum(x, 0)


def max_pool(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling of (H, W) or (C, H, W): the largest value of each ``size`` x ``size`` window,
    windows ``stride`` apart (default: ``size``, so they do not overlap). Returns the pooled array
    and, for each output cell, the (row, col) in ``x`` of its winning cell (first one on ties,
    as torch does): shape (..., H', W', 2).

    >>> pooled, winners = max_pool(np.arange(16.0).reshape(4, 4), size=2)
    >>> pooled
    array([[ 5.,  7.],
           [13., 15.]])
    >>> winners[1, 0].tolist()  # output[1, 0] = 13 comes from input[3, 1]
    [3, 1]
    """
    stride = stride or size
    x = np.asarray(x, dtype=np.float64)
    windows = _windows(x, size, stride)
    flat = windows.reshape(*windows.shape[:-2], size * size)
    best = flat.argmax(-1)
    pooled = np.take_along_axis(flat, best[..., None], -1)[..., 0]
    rows = np.arange(pooled.shape[-2])[:, None] * stride + best // size
    cols = np.arange(pooled.shape[-1])[None, :] * stride + best % size
    return pooled, np.stack([rows, cols], axis=-1)


@dataclass
class ConvStep:
    """The arithmetic of one output cell: its window, the products with the kernel, their sum."""

    row: int
    col: int
    top: int  # the window's top-left corner in the (padded) input
    left: int
    window: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    total: float


def conv_step(
    image: np.ndarray, kernel: np.ndarray, row: int, col: int, stride: int = 1, padding: int = 0
) -> ConvStep:
    """Explain ``correlate(image, kernel, stride, padding)[row, col]`` (grey image) cell by cell.

    >>> step = conv_step(np.arange(16.0).reshape(4, 4), np.ones((3, 3)), 1, 1)
    >>> step.window[0].tolist(), step.total  # the window starts at input[1, 1]
    ([5.0, 6.0, 7.0], 90.0)
    """
    x = _pad(np.asarray(image, dtype=np.float64), padding)
    kernel = np.asarray(kernel, dtype=np.float64)
    k = kernel.shape[-1]
    top, left = row * stride, col * stride
    if not (0 <= top <= x.shape[0] - k and 0 <= left <= x.shape[1] - k):
        raise IndexError(
            f"output cell ({row}, {col}) is outside the {output_size(image.shape[0], k, stride, padding)}"
            f" x {output_size(image.shape[1], k, stride, padding)} output."
        )
    window = x[top : top + k, left : left + k]
    products = window * kernel
    return ConvStep(row, col, top, left, window, kernel, products, float(products.sum()))


@dataclass
class PoolStep:
    """One pooling window and its winner."""

    row: int
    col: int
    window: np.ndarray
    winner: tuple[int, int]  # (row, col) in the input
    value: float


def pool_step(
    x: np.ndarray, row: int, col: int, size: int = 2, stride: int | None = None
) -> PoolStep:
    """Explain ``max_pool(x, size, stride)[0][row, col]`` for a 2-D ``x``.

    >>> step = pool_step(np.arange(16.0).reshape(4, 4), 1, 0)
    >>> step.window.tolist(), step.winner, step.value
    ([[8.0, 9.0], [12.0, 13.0]], (3, 1), 13.0)
    """
    stride = stride or size
    top, left = row * stride, col * stride
    window = np.asarray(x, dtype=np.float64)[top : top + size, left : left + size]
    r, c = np.unravel_index(int(window.argmax()), window.shape)
    return PoolStep(row, col, window, (top + int(r), left + int(c)), float(window.max()))
