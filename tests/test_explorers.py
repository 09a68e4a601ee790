"""ConvExplorer and MaxPoolExplorer, driven headless: change values, assert on the output arrays."""

import datetime
import io

import ipywidgets
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from PIL import Image

import coursekit as ck
from coursekit import widgets as ckw
from coursekit.explore import KERNELS, digit_seven, load_image
from coursekit.explore.images import to_grey, uploaded_bytes
from coursekit.explore.learned import grid


def _ref_conv(x, kernel):
    return F.conv2d(torch.tensor(x)[None, None], torch.tensor(kernel)[None, None])[0, 0].numpy()


def test_default_is_the_digit_and_presets_change_the_output():
    e = ckw.ConvExplorer()
    assert np.allclose(e.input, digit_seven(), atol=1e-6)
    assert np.allclose(e.output, _ref_conv(digit_seven(), KERNELS["top sobel"]))
    e.preset.value = "outline"
    assert np.allclose(e.kernel, KERNELS["outline"]) and np.allclose(
        e.output, _ref_conv(e.input, KERNELS["outline"])
    )
    e.relu.value = True
    assert e.output.min() >= 0 and np.allclose(
        e.output, np.maximum(_ref_conv(e.input, KERNELS["outline"]), 0)
    )


def test_editing_a_cell_makes_a_custom_kernel():
    e = ckw.ConvExplorer(preset="identity")
    assert np.allclose(e.output, e.input[1:-1, 1:-1])
    e.cells[1][1].value = 2.0
    assert e.preset.value == "custom" and np.allclose(e.output, 2 * e.input[1:-1, 1:-1])


def test_step_through_shows_the_window_products_and_sum():
    e = ckw.ConvExplorer(preset="sharpen")
    e.row.value, e.col.value = 7, 9
    window = e.input[7:10, 9:12]
    total = float((window * KERNELS["sharpen"]).sum())
    assert (
        "output[7, 9]" in e.arithmetic.value and f"<b>{total + 0.0:.1f}</b>" in e.arithmetic.value
    )
    assert total == pytest.approx(e.output[7, 9])
    assert e.arithmetic.value.count("&times;") == 9


def test_colour_mode_convolves_each_channel():
    rgb = np.random.default_rng(0).uniform(0, 255, (20, 24, 3))
    e = ckw.ConvExplorer(rgb, preset="box blur")
    assert e.output.shape == (18, 22)
    e.colour.value = "colour"
    assert e.output.shape == (3, 18, 22)
    for c in range(3):
        assert np.allclose(e.output[c], _ref_conv(rgb[..., c], KERNELS["box blur"]))


def test_images_from_every_kind_of_source(pets_data, tmp_path):
    path = pets_data.train_paths[0]
    from_path, from_item = load_image(path), load_image((pets_data, 0))
    assert from_path.shape[0] == 3 and np.array_equal(from_path, from_item)
    assert np.array_equal(load_image(Image.open(path)), from_path)
    assert load_image(np.zeros((5, 6))).shape == (3, 5, 6) and load_image(
        np.zeros((5, 6, 3))
    ).shape == (3, 5, 6)
    big = Image.new("RGB", (800, 400), "red")
    assert load_image(big).shape == (3, 128, 256)


def test_upload_on_ipywidgets_7_and_8():
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(buf, "PNG")
    data = buf.getvalue()
    v7 = {"x.png": {"metadata": {"name": "x.png"}, "content": data}}
    v8 = (
        {
            "name": "x.png",
            "type": "image/png",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.datetime(2024, 1, 1),
        },
    )
    assert uploaded_bytes(v7) == data == uploaded_bytes(v8) and uploaded_bytes(()) is None
    e = ckw.ConvExplorer()
    # as an upload in the browser sets it (read-only on ipywidgets 7.7: set_trait, as the widget does)
    e.upload.set_trait("value", v7 if ipywidgets.__version__.startswith("7.") else v8)
    assert e.input.shape == (30, 40) and e.output.shape == (28, 38)
    assert e.input.mean() == pytest.approx(
        to_grey(np.array([10.0, 200.0, 30.0])[:, None, None])[0, 0]
    )


def test_learned_filters_and_activations(tiny_pets):
    learn = ck.Learner.pretrained("tinyresnet", tiny_pets)
    e = ckw.ConvExplorer((tiny_pets, 0), learn=learn)
    view = e.filters
    assert view.layer.options[0][0].startswith("body.0 (3x3, 32 filters)")
    assert len(view.filter_maps) == 16 and view.filter_maps[0].shape == (3, 3, 3)
    first = learn.model.body[0]
    expected = F.conv2d(
        view.model_input()[None], first.weight, stride=first.stride, padding=first.padding
    )[0, :16].numpy()
    assert np.allclose(view.activation_maps, expected, atol=1e-4)
    last_3x3 = max(i for i, (_, m) in enumerate(view.layers) if m.kernel_size == (3, 3))
    view.layer.value = last_3x3  # layer4's 256 -> 256 channels
    assert view.filter_maps[0].shape == (3, 3) and view.activation_maps.shape[0] == 16
    fig = view.figure()  # the static twin of the view: the same two mosaics
    ax_f, ax_a = fig.axes
    assert ax_f.get_title().startswith(view.layers[last_3x3][0])
    assert np.array_equal(ax_f.images[0].get_array(), grid(view.filter_maps, columns=8))
    assert np.array_equal(ax_a.images[0].get_array(), grid(list(view.activation_maps), columns=8))


def test_seven_by_seven_filters_of_a_resnet(tiny_pets):
    learn = ck.Learner.pretrained("resnet18", tiny_pets, pretrained=False)
    e = ckw.ConvExplorer(learn=learn)
    assert e.filters.filter_maps[0].shape == (3, 7, 7) and e.filters.layer.options[0][0].startswith(
        "body.0 (7x7"
    )


def test_max_pool_explorer_on_an_activation():
    x = np.random.default_rng(1).normal(size=(12, 10))
    m = ckw.MaxPoolExplorer(x)
    ref = F.max_pool2d(torch.tensor(x)[None], 2)[0].numpy()
    assert m.view.value == "max-pool" and np.allclose(m.output, ref)
    m.size.value, m.stride.value = 3, 1
    assert np.allclose(m.output, F.max_pool2d(torch.tensor(x)[None], 3, stride=1)[0].numpy())
    assert "12 x 10 -> <b>10 x 8</b>" in m.sizes.value
    r, c = m.winners[4, 5]
    assert x[r, c] == m.output[4, 5] and 4 <= r < 7 and 5 <= c < 8


def test_max_pool_explorer_chain_view():
    m = ckw.MaxPoolExplorer()
    assert m.view.value == "conv -> ReLU -> max-pool"
    chain = np.maximum(_ref_conv(digit_seven(), KERNELS["outline"]), 0)
    assert np.allclose(m.pooling_input(), chain)
    assert np.allclose(m.output, F.max_pool2d(torch.tensor(chain)[None], 2)[0].numpy())
    assert "26 x 26 -> <b>13 x 13</b>" in m.sizes.value
    m.row.value, m.col.value = 6, 6
    assert "output[6, 6]" in m.explain.value
    m.size.value = 6
    m.stride.value = 6
    assert m.output.shape == (4, 4) and m.row.value <= 3


def test_figures():
    assert isinstance(ckw.ConvExplorer().figure(), Figure) and isinstance(
        ckw.MaxPoolExplorer().figure(), Figure
    )
