"""Every test runs offline against a throw-away COURSEKIT_HOME; sample sets are drawn once."""

import inspect
import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def coursekit_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("coursekit_home")
    old = os.environ.get("COURSEKIT_HOME")
    old_sample = os.environ.get("COURSEKIT_SAMPLE")
    os.environ["COURSEKIT_HOME"] = str(home)
    # the tests use the sample sets: sample mode (full mode would resize them automatically;
    # tests of full mode set COURSEKIT_SAMPLE=0 themselves)
    os.environ["COURSEKIT_SAMPLE"] = "1"
    yield home
    if old_sample is None:
        os.environ.pop("COURSEKIT_SAMPLE", None)
    else:
        os.environ["COURSEKIT_SAMPLE"] = old_sample
    if old is None:
        os.environ.pop("COURSEKIT_HOME", None)
    else:
        os.environ["COURSEKIT_HOME"] = old


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    """A COURSEKIT_HOME of this test's own."""
    monkeypatch.setenv("COURSEKIT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="session")
def pets_data():
    import coursekit as ck

    return ck.ImageData.from_name_re(
        ck.samples.pets() / "images",
        pat=r"([^/]+)_\d+\.jpg$",
        size=32,
        bs=16,
        aug=ck.side_on,
        max_zoom=1.1,
        num_workers=0,
    )


@pytest.fixture(scope="session")
def planet_data():
    import coursekit as ck

    return ck.ImageData.from_csv(
        ck.samples.planet(),
        folder="train-jpg",
        csv="train_v2.csv",
        suffix=".jpg",
        label_delim=" ",
        test="test-jpg",
        size=32,
        bs=16,
        aug=ck.top_down,
        num_workers=0,
    )


@pytest.fixture(scope="session")
def tiny_pets():
    """72 small pets images at 32 px: 4 training batches of 16."""
    import coursekit as ck

    path = ck.samples.pets(n_per_class=6, max_side=200)
    return ck.ImageData.from_name_re(
        path / "images", pat=r"([^/]+)_\d+\.jpg$", size=32, bs=16, aug=ck.side_on, num_workers=0
    )


@pytest.fixture
def learn(tiny_pets):
    import torch

    import coursekit as ck

    torch.manual_seed(0)
    return ck.Learner.pretrained("resnet18", tiny_pets, pretrained=False, metrics=[ck.accuracy])


@pytest.fixture(autouse=True)
def learners_use_the_gpu(monkeypatch):
    """With ``COURSEKIT_GPU_CHECK`` set (tools/gpu_check.sh, on a GPU machine), every learner a
    test builds without naming a device must be on the GPU: no silent fallback to the CPU."""
    if not os.environ.get("COURSEKIT_GPU_CHECK"):
        yield
        return
    import torch

    import coursekit as ck

    assert torch.cuda.is_available(), "COURSEKIT_GPU_CHECK is set, but torch sees no CUDA GPU"
    built = []
    init = ck.Learner.__init__
    signature = inspect.signature(init)

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if signature.bind(self, *args, **kwargs).arguments.get("device") is None:
            built.append(self)

    monkeypatch.setattr(ck.Learner, "__init__", recording_init)
    yield
    on_cpu = [learn for learn in built if learn.device.type != "cuda"]
    assert not on_cpu, f"{len(on_cpu)} learner(s) trained on {on_cpu[0].device}, not the GPU"
