"""Architectures, the course's head, layer groups, and the offline error for pretrained weights."""

import socket

import pytest
import torch
from torch import nn

import coursekit as ck
from coursekit.train.models import AdaptiveConcatPool2d, create_convnet


@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])
def test_three_layer_groups_cover_every_parameter(arch):
    net, groups = create_convnet(arch, 7, pretrained=False)
    assert [g.name for g in groups] == ["stem+layer1+layer2", "layer3+layer4", "head"]
    assert sum(g.n_params for g in groups) == sum(p.numel() for p in net.parameters())
    ids = [id(p) for g in groups for p in g.parameters()]
    assert len(ids) == len(set(ids))
    assert net(torch.randn(2, 3, 64, 64)).shape == (2, 7)


def test_head_is_the_courses():
    net, _ = create_convnet("resnet18", 5, pretrained=False, ps=0.4)
    kinds = [type(m) for m in net.head]
    assert kinds == [
        AdaptiveConcatPool2d,
        nn.BatchNorm1d,
        nn.Dropout,
        nn.Linear,
        nn.ReLU,
        nn.BatchNorm1d,
        nn.Dropout,
        nn.Linear,
    ]
    assert net.head[1].num_features == 1024 and net.head[-1].out_features == 5
    assert net.head[2].p == pytest.approx(0.2) and net.head[6].p == pytest.approx(0.4)
    x = torch.randn(2, 512, 3, 3)
    assert torch.equal(net.head[0](x), torch.cat([x.mean((2, 3)), x.amax((2, 3))], 1))


def test_pretrained_learner_starts_with_body_frozen(tiny_pets):
    learn = ck.Learner.pretrained("resnet18", tiny_pets, pretrained=False)
    assert [g.trainable for g in learn.layer_groups] == [False, False, True]
    assert learn.loss_func is torch.nn.functional.cross_entropy


def test_unknown_arch(tiny_pets):
    with pytest.raises(ValueError, match=r"unknown architecture 'resnet9000'.*resnet34"):
        ck.Learner.pretrained("resnet9000", tiny_pets)


def test_offline_pretrained_weights_error_names_file_cache_and_fix(
    tiny_pets, tmp_path, monkeypatch
):
    with socket.socket() as s:  # a proxy that nobody listens on: as offline as it gets
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    with pytest.raises(ck.PretrainedWeightsError) as err:
        ck.Learner.pretrained("resnet34", tiny_pets)
    message = str(err.value)
    assert "resnet34-" in message and ".pth" in message  # the file
    assert str(tmp_path / "torch" / "hub" / "checkpoints") in message  # where it is expected
    assert "pretrained=False" in message  # what to do
    assert not list((tmp_path / "torch").rglob("*.pth"))  # nothing half-written
