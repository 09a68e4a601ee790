"""The trainer on a CUDA GPU: mixed precision, channels_last, pinned memory, batch-side
augmentation, precompute, the LR finder's restore, divergence, export, torch.compile, two processes.

Skipped without a GPU (CI has none); ``tools/gpu_check.sh`` runs them on one with
``COURSEKIT_GPU_CHECK=1``, which turns a missing GPU into a failure. Every other test that builds a
learner also runs on the GPU there (``tests/conftest.py`` checks that none fell back to the CPU).
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import coursekit as ck
from coursekit.data.gpu_augment import BatchAugment, DeviceLoader
from tests.environment import needs_cuda
from tests.test_gpu_augment import assert_same_distribution

needs_cuda()
pytestmark = pytest.mark.cuda
REPO = Path(__file__).resolve().parents[1]


def coloured_squares(root: Path, n: int = 24, size: int = 48) -> ck.ImageData:
    """Two classes a network learns in a few epochs: reddish and bluish noisy squares."""
    rng = np.random.default_rng(0)
    for split, count in [("train", n), ("valid", n // 2)]:
        for c, colour in enumerate([(200, 60, 40), (40, 90, 210)]):
            folder = root / split / f"class{c}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                pixels = rng.integers(0, 90, (size, size, 3)) + np.array(colour) * rng.uniform(
                    0.5, 1.0
                )
                Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(folder / f"{i}.png")
    return ck.ImageData.from_folder(root, size=size, bs=8, num_workers=0)


@pytest.fixture
def squares(tmp_path) -> ck.ImageData:
    return coloured_squares(tmp_path / "squares")


def tiny_learner(data: ck.ImageData, **kwargs) -> ck.Learner:
    torch.manual_seed(0)
    return ck.Learner.pretrained(
        "tinyresnet", data, pretrained=False, metrics=[ck.accuracy], **kwargs
    )


def first_conv(learn: ck.Learner) -> torch.nn.Conv2d:
    return next(m for m in learn.model.modules() if isinstance(m, torch.nn.Conv2d))


def test_a_learner_chooses_the_gpu_and_its_precision(squares):
    learn = tiny_learner(squares)
    assert learn.device.type == "cuda" and next(learn.model.parameters()).is_cuda
    capability = torch.cuda.get_device_capability()
    expected = "bf16" if capability >= (8, 0) else "fp16"
    assert learn.precision.name == expected
    seen = []
    first_conv(learn).register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    learn.fit(1e-3, 1, quiet=True)
    assert seen and seen[0] == {"bf16": torch.bfloat16, "fp16": torch.float16}[expected]


def test_fp16_with_a_grad_scaler_trains_as_well_as_fp32(squares):
    """The T4's choice (fp16 + grad scaler), forced on a newer GPU by the learner's own switch."""
    results = {}
    for name in ("fp32", "fp16"):
        learn = tiny_learner(squares, precision=name)
        assert learn.scaler.is_enabled() == (name == "fp16")
        torch.manual_seed(1)
        learn.fit(3e-3, 4, quiet=True)
        results[name] = learn.recorder.rows[-1]["accuracy"]
        if name == "fp16":
            assert learn.scaler.get_scale() > 1  # the loss really was scaled
    assert results["fp32"] >= 0.9, results  # the task is easy: both must learn it
    assert results["fp16"] >= results["fp32"] - 0.05, results


def test_images_reach_the_body_in_channels_last(squares):
    learn = tiny_learner(squares)
    conv = first_conv(learn)
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    layouts = []
    conv.register_forward_pre_hook(
        lambda m, inputs: layouts.append(inputs[0].is_contiguous(memory_format=torch.channels_last))
    )
    learn.fit(1e-3, 1, quiet=True)
    assert layouts and all(layouts), layouts


def test_batches_come_in_pinned_memory_and_are_copied_without_blocking(squares, monkeypatch):
    learn = tiny_learner(squares)
    train_dl = learn.loader("train", shuffle=True)
    assert isinstance(train_dl, DeviceLoader) and train_dl.loader.pin_memory
    valid_dl = learn.loader("valid")
    xb, _ = next(iter(valid_dl))
    assert xb.is_pinned()
    copies = []
    real_to = torch.Tensor.to

    def recording_to(self, *args, **kwargs):
        if self.device.type == "cpu":
            copies.append((self.is_pinned(), kwargs.get("non_blocking", False)))
        return real_to(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "to", recording_to)
    learn.validate()
    assert copies and all(pinned and non_blocking for pinned, non_blocking in copies), copies


def test_batch_augmentation_on_the_gpu_matches_the_cpu(squares):
    """The same uint8 batch augmented on the GPU and on the CPU: the same distribution of results."""
    base = torch.linspace(0, 1, 48)
    image = (torch.outer(base, base.flip(0)) * 255).round().to(torch.uint8)
    xb = image.expand(1500, 3, 48, 48).contiguous()
    augment = BatchAugment(48, ck.side_on, max_zoom=1.1)
    on_gpu = augment(xb.cuda(), torch.Generator("cuda").manual_seed(0)).cpu()
    on_cpu = augment(xb, torch.Generator().manual_seed(1))
    assert on_gpu.dtype == on_cpu.dtype == torch.float32
    for what, stat in [
        ("mean", lambda t: t.mean(dim=(1, 2, 3))),
        ("std", lambda t: t.std(dim=(1, 2, 3))),
        ("top-left pixel", lambda t: t[:, 0, 4, 4]),
        ("centre pixel", lambda t: t[:, 1, 24, 24]),
    ]:
        assert_same_distribution(stat(on_gpu), stat(on_cpu), what)


def test_precomputed_activations_stay_on_the_gpu(squares):
    learn = tiny_learner(squares)
    plain_loss, _ = learn.validate()
    learn.precompute = True
    features, targets = learn.feature_cache.get("train", learn.data, learn.model, learn.precision)
    assert features.is_cuda and targets.is_cuda
    xb, yb = next(iter(learn.loader("train", shuffle=True)))
    assert xb.is_cuda and yb.is_cuda
    loss, metrics = learn.validate()
    assert loss == pytest.approx(plain_loss, rel=1e-2)  # the same model through the cache
    learn.fit(1e-2, 2, quiet=True)
    assert np.isfinite(learn.recorder.rows[-1]["val_loss"]) and 0 <= metrics["accuracy"] <= 1


def test_lr_find_puts_back_weights_and_optimizer_state_bit_for_bit(squares):
    learn = tiny_learner(squares)
    learn.fit(1e-3, 1, quiet=True)  # the optimizer now has state (momentum buffers)
    weights = {k: v.clone() for k, v in learn.model.state_dict().items()}
    opt_state = copy.deepcopy(learn.opt.state_dict())
    learn.lr_find(num_it=10, quiet=True)
    for name, value in learn.model.state_dict().items():
        assert torch.equal(value, weights[name]), name
    after = learn.opt.state_dict()
    assert after["param_groups"] == opt_state["param_groups"]
    for key, state in opt_state["state"].items():
        for name, value in state.items():
            other = after["state"][key][name]
            assert torch.equal(other, value) if torch.is_tensor(value) else other == value


def test_a_diverged_fp16_fit_is_put_back(squares):
    learn = tiny_learner(squares, precision="fp16")
    learn.fit(1e-3, 1, quiet=True)
    weights = {k: v.clone() for k, v in learn.model.state_dict().items()}
    learn.fit(1e8, 3, quiet=True)
    assert learn.recorder.stopped and "the loss became" in learn.recorder.stopped
    for name, value in learn.model.state_dict().items():
        assert torch.equal(value, weights[name]), name
    learn.fit(1e-3, 1, quiet=True)  # and it trains on afterwards
    assert np.isfinite(learn.recorder.rows[-1]["val_loss"])


def test_a_learner_exported_on_the_gpu_predicts_the_same_on_a_cpu(squares, tmp_path):
    learn = tiny_learner(squares)
    learn.fit(1e-3, 1, quiet=True)
    loaded = ck.load_learner(learn.export(tmp_path / "squares.pth"), device="cpu")
    assert loaded.device.type == "cpu"
    for path in squares.valid_paths[:4]:
        label, index, probs = loaded.predict(path)
        ref_label, ref_index, ref_probs = learn.predict(path)
        assert label == ref_label and int(index) == int(ref_index)
        # the GPU ran in mixed precision, the CPU in fp32
        torch.testing.assert_close(probs, ref_probs.cpu(), atol=2e-2, rtol=0)


def test_a_rehearsal_on_the_gpu_replays_on_a_cpu_with_the_gpus_outputs(squares, monkeypatch):
    """ck.demo: recorded on the GPU (mixed precision), replayed on the CPU without training."""
    from coursekit.train.demo_mode import DemoMode

    monkeypatch.setenv("COURSEKIT_HOME", str(squares.path.parent / "home"))
    gpu = tiny_learner(squares)
    gpu.demo_mode = DemoMode("record", "gpu")
    gpu.fit(1e-3, 2, quiet=True)
    gpu_probs, _ = gpu.get_preds()
    cpu = tiny_learner(squares, device="cpu")
    cpu.demo_mode = DemoMode("replay", "gpu", speed=math.inf)
    cpu.fit(1e-3, 2, quiet=True)
    assert "rehearsed on cuda" in cpu.recorder.demo
    assert cpu.recorder.losses == gpu.recorder.losses and cpu.recorder.rows == gpu.recorder.rows
    gpu_weights = gpu.model.state_dict()
    for name, weight in cpu.model.state_dict().items():
        assert torch.equal(weight, gpu_weights[name].cpu()), name
    assert torch.equal(cpu.get_preds()[0], gpu_probs)  # the GPU's, not the CPU's fp32 ones


def test_torch_compile_gives_the_eager_losses(squares):
    xb, yb = next(iter(squares.loader(squares.train_ds, shuffle=True)))
    losses = {}
    for compiled in (False, True):
        learn = tiny_learner(squares, compile=compiled)
        learn.train_mode()
        losses[compiled] = [learn.train_step(xb, yb) for _ in range(5)]
    torch.testing.assert_close(
        torch.tensor(losses[True]), torch.tensor(losses[False]), rtol=2e-2, atol=2e-2
    )


LAUNCH = """
import json, sys
from pathlib import Path
import torch
import coursekit as ck
from accelerate.utils import InitProcessGroupKwargs
from tests.test_distributed import _square_pictures, free_port

root, backend = Path(sys.argv[1]), sys.argv[2]

def train():
    import torch.distributed as dist
    data = ck.ImageData.from_folder(root, size=32, bs=8, num_workers=0)
    learn = ck.Learner.pretrained("tinyresnet", data, pretrained=False, metrics=[ck.accuracy])
    learn = ck.distribute(learn, kwargs_handlers=[InitProcessGroupKwargs(backend=backend)])
    learn.fit(1e-3, 1)
    if learn.is_main:
        (root / "launched.json").write_text(json.dumps({
            "backend": dist.get_backend(), "world": dist.get_world_size(),
            "device": str(learn.device), "val_loss": learn.recorder.rows[-1]["val_loss"]}))

_square_pictures(root)  # and no CUDA call before launching: the launcher forks
ck.launch(train, num_processes=2, use_port=free_port())
"""


def test_two_processes_share_one_gpu(tmp_path):
    """``ck.launch`` with 2 processes on this one GPU: NCCL when it allows two ranks on one
    device, else gloo; the report says which."""
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    tried = {}
    for backend in ("nccl", "gloo"):
        root = tmp_path / backend
        done = subprocess.run(
            [sys.executable, "-c", LAUNCH, str(root), backend],
            cwd=REPO,
            env={**env, "TMPDIR": str(tmp_path), "PYTORCH_NVML_BASED_CUDA_CHECK": "1"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        tried[backend] = done.returncode
        if done.returncode == 0:
            report = json.loads((root / "launched.json").read_text())
            print(f"two processes on one GPU: {report}; return codes {tried}")
            assert report["backend"] == backend and report["world"] == 2
            assert report["device"].startswith("cuda") and np.isfinite(report["val_loss"])
            return
        print(f"{backend} failed:\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}")
    pytest.fail(f"neither NCCL nor gloo ran two processes on one GPU: {tried}")
