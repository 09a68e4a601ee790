"""torch.compile as a learner option: the same training, and the weights keep their names."""

import copy

import pytest
import torch
from torch import nn

import coursekit as ck
from coursekit.train.compiled import is_compiled


def _model():
    torch.manual_seed(0)
    # no bias before BatchNorm (as in a ResNet): its gradient is zero but for rounding, which
    # Adam would blow up into steps of size lr, differently in each run
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 12),
    )


def _fit(learn):
    torch.manual_seed(1)
    learn.fit(1e-2, 1, quiet=True)
    return learn.recorder.losses


@pytest.mark.slow
def test_compiled_learner_trains_like_the_eager_one(tiny_pets, tmp_path):
    data = copy.copy(tiny_pets)
    data.path = tmp_path
    eager = ck.Learner(_model(), data, metrics=[ck.accuracy])
    compiled = ck.Learner(_model(), data, metrics=[ck.accuracy], compile=True)
    assert is_compiled(compiled.model) and not is_compiled(eager.model)
    torch.testing.assert_close(_fit(compiled), _fit(eager), rtol=1e-4, atol=1e-4)
    for (name, a), (other, b) in zip(
        compiled.model.state_dict().items(), eager.model.state_dict().items()
    ):
        assert name == other  # no "_orig_mod." prefix: save/load unchanged
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4)
    compiled.save("compiled")
    eager.load("compiled")


def test_compile_method_returns_the_learner(tiny_pets):
    learn = ck.Learner(_model(), tiny_pets)
    assert learn.compile() is learn and is_compiled(learn.model)
