"""Distributed training (coursekit/train/distributed.py) with 2 CPU processes (gloo) against one process.

With no BatchNorm, no dropout, and no random augmentation (square pictures at the training size,
decoded in a worker process so the main random generator is used only for shuffling), two
processes with half of each global batch must end with the weights of one process with all of it.
"""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.utils.data import BatchSampler, SequentialSampler

import coursekit as ck
from coursekit.train.distributed import ShardedBatches
from tests.environment import importorskip

importorskip("accelerate")


def free_port() -> str:
    """A TCP port nobody listens on now: tests on a shared machine must not collide on 29500."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def test_sharded_batches_cut_the_single_process_batches_into_equal_slices():
    for n, bs, world, drop_last in [(50, 16, 2, True), (64, 8, 4, True), (48, 16, 2, False)]:
        single = list(BatchSampler(SequentialSampler(range(n)), bs, drop_last))
        shards = [
            list(ShardedBatches(n, bs, False, drop_last, rank, world)) for rank in range(world)
        ]
        assert all(len(shard) == len(single) for shard in shards)
        for b, batch in enumerate(single):
            assert [i for shard in shards for i in shard[b]] == batch
            assert len({len(shard[b]) for shard in shards}) == 1


def test_a_short_last_batch_is_shared_out_without_loss_or_repeats():
    n, bs, world = 7, 4, 3  # batches [0..3] and [4, 5, 6]; nobody gets an empty slice
    shards = [list(ShardedBatches(n, bs, False, False, rank, world)) for rank in range(world)]
    assert shards == [[[0, 1], [4]], [[2, 3], [5]], [[6]]]


def test_shuffled_order_is_the_one_a_shuffling_loader_draws():
    torch.manual_seed(5)
    reference = list(iter(torch.utils.data.RandomSampler(range(20))))
    torch.manual_seed(5)
    batches = list(ShardedBatches(20, 5, True, True, 0, 1))
    assert [i for b in batches for i in b] == reference


def _square_pictures(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for split, n in [("train", 24), ("valid", 10)]:
        for c, colour in enumerate([(200, 60, 40), (40, 90, 210)]):
            folder = root / split / f"class{c}"
            folder.mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 90, (32, 32, 3)) + np.array(colour) * rng.uniform(0.5, 1.0)
                Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(folder / f"{i}.png")
    return root


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 2),
    )


def _learner(root: Path) -> ck.Learner:
    data = ck.ImageData.from_folder(root, size=32, bs=16, num_workers=1)
    return ck.Learner(_model(), data, metrics=[ck.accuracy], opt_name="sgd", wd=0.0)


def _train(root: Path, distributed: bool) -> None:
    learn = _learner(root)
    if distributed:
        learn = ck.distribute(learn, cpu=True)
    torch.manual_seed(1)
    learn.fit(0.2, 2, cycle_len=1)  # SGDR: the learning rate moves every step
    learn.save("distributed" if distributed else "single")
    if not distributed or learn.is_main:
        torch.save(
            {"rows": learn.recorder.rows, "losses": learn.recorder.losses},
            root / f"record-{'distributed' if distributed else 'single'}.pt",
        )


def test_run_then_close_closes_the_process_group_after_success_and_failure(tmp_path):
    import torch.distributed as dist

    from coursekit.train.distributed import run_then_close

    def join(n: int) -> None:
        store = f"file://{tmp_path / f'store-{n}'}"
        dist.init_process_group("gloo", init_method=store, rank=0, world_size=1)

    def fit(n: int) -> int:
        join(n)
        return 7

    def crash(n: int) -> None:
        join(n)
        raise RuntimeError("out of memory")

    assert run_then_close(fit, 1) == 7
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="out of memory"):
        run_then_close(crash, 2)
    assert not dist.is_initialized()


def _in_a_fresh_interpreter(code: str, tmp: Path) -> str:
    """Run ``code`` in a new Python: launch() forks, and a process that has already run autograd
    (any earlier test in this session) cannot fork safely (pytorch's Autograd-and-Fork rule).
    Its temporary files (torch's launcher logs) go under ``tmp``."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]),
        "TMPDIR": str(tmp),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_two_processes_end_with_the_weights_of_one(tmp_path):
    root = _square_pictures(tmp_path / "squares")
    start = f"from pathlib import Path; from tests.test_distributed import _train, free_port; root = Path({str(root)!r})"
    _in_a_fresh_interpreter(f"{start}; _train(root, False)", tmp_path)
    out = _in_a_fresh_interpreter(
        f"{start}; import coursekit as ck; "
        "ck.launch(_train, root, True, num_processes=2, use_port=free_port())",
        tmp_path,
    )
    assert out.count("trn_loss") == 1, out  # one epoch table, from the main process
    single = torch.load(root / "models" / "single.pth", weights_only=True)["model"]
    both = torch.load(root / "models" / "distributed.pth", weights_only=True)["model"]
    assert single.keys() == both.keys()
    moved = 0.0
    for name in single:
        torch.testing.assert_close(both[name], single[name], rtol=1e-4, atol=1e-5)
        moved = max(moved, float((single[name] - _model().state_dict()[name]).abs().max()))
    assert moved > 1e-2  # the weights did change
    one = torch.load(root / "record-single.pt", weights_only=False)
    two = torch.load(root / "record-distributed.pt", weights_only=False)
    torch.testing.assert_close(
        two["losses"], one["losses"], rtol=1e-4, atol=1e-5
    )  # mean over processes
    for a, b in zip(one["rows"], two["rows"]):  # validation gathered from both processes
        assert (
            abs(a["val_loss"] - b["val_loss"]) < 1e-4 and abs(a["accuracy"] - b["accuracy"]) < 1e-6
        )


@pytest.mark.slow
def test_the_script_entry_point_runs_under_torchrun(tmp_path):
    import os
    import subprocess
    import sys

    # coursekit.cli's main, followed by a report of whether it left its process group open: one
    # left to the interpreter's exit can abort a process after the work is done.
    entry = tmp_path / "entry.py"
    entry.write_text(
        "import sys\n"
        "import torch.distributed as dist\n"
        "from coursekit.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(f'process group left open: {dist.is_initialized()}', flush=True)\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TMPDIR": str(tmp_path)}  # torchrun's logs
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        free_port(),
        str(entry),
        "train",
        "--sample",
        "pets",
        "--arch",
        "tinyresnet",
        "--size",
        "32",
        "--bs",
        "16",
        "--epochs",
        "1",
        "--lr",
        "3e-3",
        "--cpu",
        "--workers",
        "0",
        "--save",
        "from-script",
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count("process group left open: False") == 2, done.stdout[-3000:]
    assert (
        done.stdout.count("trn_loss") == 1 and "2 process(es) on cpu, 8 images each" in done.stdout
    )
    saved = ck.samples.pets() / "models" / "from-script.pth"
    assert done.stdout.count(f"saved {saved}") == 1
    assert torch.load(saved, weights_only=True)["arch"] == "tinyresnet"
