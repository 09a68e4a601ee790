"""The offline backbone: its weights ship, are verified, load offline, and transfer."""

import hashlib
import shutil
import warnings

import pytest
import torch

import coursekit as ck
from coursekit.train.tinyresnet import (
    WEIGHTS_FILE,
    WEIGHTS_SHA256,
    TinyResNet,
    load_tinyresnet_weights,
)


def test_weights_ship_small_and_match_their_recorded_hash():
    assert WEIGHTS_FILE.exists()
    assert WEIGHTS_FILE.stat().st_size < 4_000_000
    assert hashlib.sha256(WEIGHTS_FILE.read_bytes()).hexdigest() == WEIGHTS_SHA256


def test_pretrained_learner_offline_with_three_groups(tiny_pets):
    learn = ck.Learner.pretrained("tinyresnet", tiny_pets)
    assert [g.name for g in learn.layer_groups] == ["stem+layer1+layer2", "layer3+layer4", "head"]
    assert [g.trainable for g in learn.layer_groups] == [False, False, True]
    assert learn.model.head[1].num_features == 512  # 256 features, avg + max pooled
    shipped = torch.load(WEIGHTS_FILE, weights_only=True)
    assert torch.equal(learn.model.body[0].weight.cpu(), shipped["conv1.weight"].float())


def test_missing_or_altered_weights_are_refused(tmp_path):
    with pytest.raises(ck.PretrainedWeightsError, match=r"missing.*pretrain_backbone\.py"):
        load_tinyresnet_weights(TinyResNet(), tmp_path / "nope.pth")
    altered = tmp_path / "tinyresnet.pth"
    shutil.copy(WEIGHTS_FILE, altered)
    with open(altered, "r+b") as f:
        f.seek(2000)
        byte = f.read(1)
        f.seek(2000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ck.PretrainedWeightsError, match="altered: its SHA-256 is"):
        load_tinyresnet_weights(TinyResNet(), altered)


def _head_only_accuracy(data, pretrained: bool) -> float:
    torch.manual_seed(0)
    learn = ck.Learner.pretrained("tinyresnet", data, pretrained=pretrained)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        learn.precompute = True
    learn.fit_one_cycle(5, 1e-2, quiet=True)
    probs, y = learn.get_preds()
    return ck.accuracy(probs, y)


@pytest.mark.slow
def test_pretrained_body_transfers_clearly_better_than_random():
    data = ck.ImageData.from_name_re(
        ck.samples.pets() / "images",
        pat=r"([^/]+)_\d+\.jpg$",
        size=64,
        bs=16,
        seed=42,
        num_workers=0,
    )
    pretrained, random_body = _head_only_accuracy(data, True), _head_only_accuracy(data, False)
    assert pretrained > random_body + 0.15, (pretrained, random_body)
    assert pretrained > 0.5  # chance is 1/12
