"""Precision by device: bf16 only with native bf16 (compute capability >= 8.0), fp16 + a grad
scaler on T4/V100, fp32 on a CPU. The GPUs are faked: these tests run on a CPU."""

import pytest
import torch

from coursekit.train import precision
from coursekit.train.precision import Precision, choose_precision

GPUS = {
    "H100": ((9, 0), "bf16"),
    "A100": ((8, 0), "bf16"),
    "T4": ((7, 5), "fp16"),
    "V100": ((7, 0), "fp16"),
    "P100": ((6, 0), "fp16"),
}


@pytest.mark.parametrize("gpu", GPUS)
def test_choose_precision_by_compute_capability(gpu):
    capability, expected = GPUS[gpu]
    assert choose_precision("cuda", capability) == expected
    assert choose_precision(torch.device("cuda:1"), capability) == expected


def test_cpu_is_fp32_and_cuda_needs_a_capability():
    assert choose_precision("cpu") == choose_precision(torch.device("cpu"), (9, 0)) == "fp32"
    with pytest.raises(ValueError, match="compute capability"):
        choose_precision("cuda")


@pytest.fixture
def fake_gpu(monkeypatch):
    """Pretend torch sees a GPU of the given capability; record the grad scalers made."""
    scalers = []

    def install(capability, native_bf16=None):
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
        if native_bf16 is None:
            native_bf16 = capability >= (8, 0)
        # torch's is_bf16_supported says True on pre-Ampere GPUs through emulation
        monkeypatch.setattr(
            torch.cuda,
            "is_bf16_supported",
            lambda including_emulation=True: including_emulation or native_bf16,
        )
        monkeypatch.setattr(
            precision, "make_grad_scaler", lambda enabled: scalers.append(enabled) or enabled
        )
        return scalers

    return install


@pytest.mark.parametrize("gpu", GPUS)
def test_precision_for_a_faked_gpu(fake_gpu, gpu):
    capability, expected = GPUS[gpu]
    scalers = fake_gpu(capability)
    chosen = Precision.for_device(torch.device("cuda"))
    assert chosen.name == expected
    assert chosen.dtype == {"bf16": torch.bfloat16, "fp16": torch.float16}[expected]
    assert scalers == [expected == "fp16"]  # the grad scaler is on exactly for fp16
    assert (
        repr(chosen)
        == f"Precision({expected}{' + grad scaler' if expected == 'fp16' else ''} on cuda)"
    )


def test_emulated_bf16_is_not_chosen(fake_gpu):
    fake_gpu((8, 0), native_bf16=False)
    assert Precision.for_device(torch.device("cuda")).name == "fp16"


def test_cpu_precision_asks_nothing_of_cuda(monkeypatch):
    def no_cuda(*args, **kwargs):
        raise AssertionError("CUDA was queried")

    monkeypatch.setattr(torch.cuda, "get_device_capability", no_cuda)
    chosen = Precision.for_device(torch.device("cpu"))
    assert (chosen.name, chosen.dtype, chosen.scaler.is_enabled()) == ("fp32", None, False)


def test_grad_scaler_for_this_torch():
    scaler = precision.make_grad_scaler(enabled=False)
    loss = torch.tensor(2.0, requires_grad=True)
    assert scaler.scale(loss) is loss  # disabled: the loss goes through unscaled


@pytest.mark.slow
def test_learner_chooses_on_first_use_and_shows_it_once(learn, monkeypatch, capsys):
    calls = []
    real = Precision.for_device
    monkeypatch.setattr(
        Precision,
        "for_device",
        classmethod(lambda cls, device, name=None: calls.append(device) or real(device, name)),
    )
    fresh = type(learn)(learn.model, learn.data, learn.layer_groups, arch="tiny")
    assert calls == [] and "precision=fp32" in repr(fresh)  # building it asked nothing
    fresh.fit(1e-3, 1)
    fresh.fit(1e-3, 1)
    out = capsys.readouterr().out
    assert out.count("training with 32-bit floats (fp32) on cpu") == 1
    assert out.index("training with") < out.index("trn_loss")  # before the first epoch table
    assert calls == [torch.device("cpu")] and fresh.amp_dtype is None


def test_a_named_precision_overrides_the_gpus_choice(fake_gpu):
    scalers = fake_gpu((9, 0))  # an H100/H200 would choose bf16; a T4's choice is asked for
    chosen = Precision.for_device(torch.device("cuda"), "fp16")
    assert (chosen.name, chosen.dtype, scalers) == ("fp16", torch.float16, [True])
    assert Precision.for_device(torch.device("cuda"), "fp32").dtype is None


def test_a_precision_the_device_cannot_train_in_is_refused(tiny_pets):
    import coursekit as ck

    with pytest.raises(ValueError, match="needs a CUDA GPU"):
        ck.Learner.pretrained(
            "tinyresnet", tiny_pets, pretrained=False, device="cpu", precision="fp16"
        )
    with pytest.raises(ValueError, match="is not one of 'fp32', 'fp16', 'bf16'"):
        Precision.for_device(torch.device("cpu"), "float16")
    learn = ck.Learner.pretrained(
        "tinyresnet", tiny_pets, pretrained=False, device="cpu", precision="fp32"
    )
    assert learn.precision.name == "fp32"
