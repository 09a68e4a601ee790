"""The explorers' arithmetic against torch.nn.functional.conv2d and max_pool2d."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.explore.ops import (
    KERNELS,
    conv_step,
    correlate,
    max_pool,
    output_size,
    pool_step,
    relu,
)

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "k, stride, padding", [(3, 1, 0), (3, 2, 1), (5, 1, 2), (7, 2, 3), (1, 1, 0), (3, 3, 0)]
)
def test_correlate_grey_matches_conv2d(k, stride, padding):
    image, kernel = RNG.normal(size=(17, 23)), RNG.normal(size=(k, k))
    ref = F.conv2d(
        torch.tensor(image)[None, None],
        torch.tensor(kernel)[None, None],
        stride=stride,
        padding=padding,
    )
    out = correlate(image, kernel, stride, padding)
    assert out.shape == (output_size(17, k, stride, padding), output_size(23, k, stride, padding))
    assert np.allclose(out, ref[0, 0].numpy())


def test_correlate_per_channel_matches_grouped_conv2d():
    image, kernel = RNG.normal(size=(3, 12, 10)), RNG.normal(size=(3, 3))
    weight = torch.tensor(kernel)[None, None].repeat(3, 1, 1, 1)
    ref = F.conv2d(torch.tensor(image)[None], weight, padding=1, groups=3)[0]
    assert np.allclose(correlate(image, kernel, padding=1), ref.numpy())


@pytest.mark.parametrize("size, stride", [(2, None), (3, 1), (3, 2), (2, 1), (4, 4)])
def test_max_pool_and_its_winners_match_max_pool2d(size, stride):
    x = RNG.normal(size=(2, 11, 14))
    ref, idx = F.max_pool2d(torch.tensor(x)[None], size, stride=stride or size, return_indices=True)
    pooled, winners = max_pool(x, size, stride)
    assert np.allclose(pooled, ref[0].numpy())
    flat = winners[..., 0] * x.shape[-1] + winners[..., 1]
    assert np.array_equal(flat, idx[0].numpy())
    assert np.allclose(x[0][winners[0, ..., 0], winners[0, ..., 1]], pooled[0])


def test_relu():
    assert relu(np.array([-2.0, 0.0, 3.0])).tolist() == [0.0, 0.0, 3.0]


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_step_through_equals_the_output_pixel_it_explains(stride, padding):
    image = RNG.integers(0, 255, size=(9, 11)).astype(float)
    kernel = KERNELS["top sobel"]
    out = correlate(image, kernel, stride, padding)
    for row in range(out.shape[0]):
        for col in range(out.shape[1]):
            step = conv_step(image, kernel, row, col, stride, padding)
            assert step.total == pytest.approx(out[row, col])
            assert np.allclose(step.products, step.window * kernel) and step.window.shape == (3, 3)
    with pytest.raises(IndexError, match="outside"):
        conv_step(image, kernel, out.shape[0], 0, stride, padding)


def test_pool_step_names_the_winner():
    x = np.arange(16.0).reshape(4, 4)[:, ::-1]
    step = pool_step(x, 1, 0)
    assert step.value == x[2:4, 0:2].max() and step.winner == (3, 0)


def test_presets_are_the_classic_kernels():
    assert KERNELS["box blur"].sum() == pytest.approx(1) and KERNELS[
        "gaussian blur"
    ].sum() == pytest.approx(1)
    assert KERNELS["outline"].sum() == 0 and KERNELS["sharpen"].sum() == 1
    flat = np.ones((5, 5))
    for name in ("top sobel", "bottom sobel", "left sobel", "right sobel"):
        assert np.allclose(correlate(flat, KERNELS[name]), 0)  # an edge detector sees no edge
    step = np.zeros((6, 6))
    step[3:] = 1.0  # dark above, bright below
    assert (
        correlate(step, KERNELS["bottom sobel"]).max() > 0
        and correlate(step, KERNELS["top sobel"]).min() < 0
    )
