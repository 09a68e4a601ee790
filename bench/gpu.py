"""The trainer on a CUDA GPU, each figure measured side by side in this one run.

    python bench/gpu.py [--json gpu_bench.json] [--steps 40] [--photos 2000] [--allow-cpu]

1. ``learn.fit`` vs a bare PyTorch loop with the same autocast and channels_last: resnet34 at
   224 px, bs 64, every layer training (AdamW), on tensors already on the GPU (so neither side
   loads data), a validation pass per epoch on both sides. Goal <= 1.03x.
2. The synthetic rate: images/s the training step consumes from GPU tensors, in the precision the
   GPU chooses and in fp16 (a T4's), for item 3's T4 estimate.
3. The whole pipeline from JPEG files: pets drawn at 440-520 px on the longer side (the real
   photos are about 500x375), the lessons' augmentation (``side_on``, ``max_zoom=1.1``) with the
   batch-side augmentation on the GPU, the automatic resize cache of full mode; with 16 loader
   workers and with 2 (Colab's cores). Images/s after the first batches, and the GPU's busy
   fraction (CUDA events around each step). Goal with 16 workers: >= 90% of the synthetic rate.
   With 2 workers: the ratio to what a T4 consumes, estimated as this GPU's fp16 synthetic rate
   scaled by the published fp16 tensor throughput of a T4 over this GPU's (``--t4-tflops`` /
   ``--gpu-tflops``: 65 and 989 dense TFLOP/s, NVIDIA's T4 and H100/H200 SXM data sheets).
4. An epoch of the head on precomputed activations vs an epoch through the frozen body, 224 px.
5. The "one epoch will take about N s" estimate of the notice (``CpuNotice``, which times the first
   batches) vs the epoch it estimated, measured. Goal: within 2x.

Photos are drawn once (a few hundred) and copied under other names up to ``--photos``, so the
loader decodes that many files. Without CUDA it stops with an error, unless ``--allow-cpu`` (to try
the script: use ``--size 64 --steps 4 --photos 300`` then).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

import coursekit as ck
from coursekit.train import notices
from coursekit.train.models import create_convnet, normalised_for
from coursekit.train.precompute import FeatureBatches


class TensorLearner(ck.Learner):
    """A learner whose batches are tensors already on its device: fit's own cost, no loading."""

    tensors: dict[str, tuple[torch.Tensor, torch.Tensor]]

    def loader(self, split, shuffle=False):
        x, y = self.tensors[split]
        bs = self.data.bs if shuffle else self.data.bs * 2
        return FeatureBatches(x, y, bs, shuffle, drop_last=shuffle)


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def bare_loop(model, tensors, bs: int, n_epochs: int, dtype, channels_last: bool) -> None:
    """What a student would write: AdamW as cnn_learner's, autocast, channels_last, a grad scaler
    for fp16, the loss read each step, a validation pass per epoch."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=1e-2)
    scaler = torch.amp.GradScaler("cuda", enabled=dtype == torch.float16)
    device_type = "cuda" if torch.cuda.is_available() else "cpu"
    layout = torch.channels_last if channels_last else torch.contiguous_format
    (x, y), (vx, _) = tensors["train"], tensors["valid"]
    for _ in range(n_epochs):
        model.train()
        order = torch.randperm(len(x))
        for b in range(len(x) // bs):
            rows = order[b * bs : (b + 1) * bs].to(x.device)
            xb = x[rows].contiguous(memory_format=layout)
            with torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
                loss = F.cross_entropy(model(xb), y[rows])
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            loss.item()
        model.eval()
        with torch.no_grad(), torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
            for b in range(0, len(vx), 2 * bs):
                model(vx[b : b + 2 * bs].contiguous(memory_format=layout)).float().cpu()


class StepClock:
    """Wall time of each batch (``after_batch``) and the GPU's time inside each training step."""

    def __init__(self, learn: ck.Learner):
        self.stamps: list[float] = []
        self.events: list[tuple[torch.cuda.Event, torch.cuda.Event]] = []
        self.cuda = learn.device.type == "cuda"
        learn.events["after_batch"].append(self.after_batch)
        step = learn.train_step

        def timed_step(xb, yb):  # CUDA events on the stream before and after the step's kernels
            if not self.cuda:
                return step(xb, yb)
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            loss = step(xb, yb)
            end.record()
            self.events.append((start, end))
            return loss

        learn.train_step = timed_step  # type: ignore[method-assign]

    def after_batch(self, learn) -> None:
        self.stamps.append(time.perf_counter())

    def rate(self, bs: int, skip: int = 2) -> tuple[float, float | None]:
        """(images/s after the first ``skip`` batches, the GPU's busy fraction over them)."""
        sync()
        stamps = self.stamps[skip:]
        if len(stamps) < 2:
            raise ValueError(f"{len(self.stamps)} batches timed: too few (use more --photos)")
        wall = stamps[-1] - stamps[0]
        busy = None
        if self.cuda:
            gpu_ms = sum(s.elapsed_time(e) for s, e in self.events[skip + 1 : len(self.stamps)])
            busy = gpu_ms / 1000 / wall
        return (len(stamps) - 1) * bs / wall, busy


def photos(n: int, root_home: str, size: int) -> ck.ImageData:
    """Pets photos at about the real size; a few hundred drawn, copied up to ``n`` files."""
    path = ck.samples.pets(n_per_class=25, min_side=440, max_side=520)
    drawn = sorted((path / "images").glob("*.jpg"))
    folder = os.path.join(root_home, "photos")
    os.makedirs(folder, exist_ok=True)
    for i in range(n):
        src = drawn[i % len(drawn)]
        breed, number = src.stem.rsplit("_", 1)
        shutil.copy(src, os.path.join(folder, f"{breed}_{i // len(drawn)}{number}.jpg"))
    return ck.ImageData.from_name_re(
        folder, pat=ck.PETS_PATTERN, size=size, bs=64, aug=ck.side_on, max_zoom=1.1
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", default="gpu_bench.json")
    parser.add_argument("--arch", default="resnet34")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--steps", type=int, default=40, help="training batches per epoch in 1-2")
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--t4-tflops", type=float, default=65.0)
    parser.add_argument("--gpu-tflops", type=float, default=989.0)
    parser.add_argument("--allow-cpu", action="store_true")
    args = parser.parse_args(argv)
    cuda = torch.cuda.is_available()
    if not cuda and not args.allow_cpu:
        print("no CUDA GPU: this benchmark measures the trainer on a GPU (--allow-cpu to try it)")
        return 2
    device = torch.device("cuda" if cuda else "cpu")
    figures: dict[str, object] = {
        "device": torch.cuda.get_device_name() if cuda else "cpu",
        "torch": torch.__version__,
        "cpu_cores": os.cpu_count(),
        "arch": args.arch,
        "size": args.size,
    }
    bs = 64

    def report(key: str, value: object, line: str) -> None:
        figures[key] = value
        print(line, flush=True)
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)

    with tempfile.TemporaryDirectory() as home:
        os.environ["COURSEKIT_HOME"] = home
        os.environ["COURSEKIT_SAMPLE"] = "0"  # full mode: the resize cache is automatic
        data = photos(args.photos, home, args.size)
        gen = torch.Generator().manual_seed(0)
        n_train, n_valid = bs * args.steps, bs * 4
        tensors = {
            split: (
                torch.randn(n, 3, args.size, args.size, generator=gen).to(device),
                torch.randint(data.c, (n,), generator=gen).to(device),
            )
            for split, n in [("train", n_train), ("valid", n_valid)]
        }

        def tensor_learner(precision=None):
            torch.manual_seed(0)
            model, groups = create_convnet(args.arch, data.c, pretrained=False)
            learn = TensorLearner(
                model, normalised_for(args.arch, data), groups, precision=precision
            )
            learn.tensors = tensors
            learn.unfreeze()
            return learn

        # 1. fit vs bare loop
        fit_t, bare_t = [], []
        for rep in range(args.repeats + 1):  # the first round warms up cuDNN's choices
            for side in ("fit", "bare") if rep % 2 else ("bare", "fit"):
                learn = tensor_learner()
                sync()
                start = time.perf_counter()
                if side == "fit":
                    learn.fit(1e-3, 1, quiet=True)
                else:
                    bare_loop(learn.model, tensors, bs, 1, learn.amp_dtype, cuda)
                sync()
                if rep:
                    (fit_t if side == "fit" else bare_t).append(time.perf_counter() - start)
        ratio = statistics.median(fit_t) / statistics.median(bare_t)
        report(
            "fit_vs_bare",
            {
                "fit_s": statistics.median(fit_t),
                "bare_s": statistics.median(bare_t),
                "ratio": ratio,
            },
            f"1. fit {statistics.median(fit_t):.2f}s vs bare loop {statistics.median(bare_t):.2f}s "
            f"({args.steps} steps + validation, {learn.precision}): {ratio:.3f}x (goal <= 1.03x)",
        )

        # 2. synthetic rates
        synthetic = {}
        for name in [None, "fp16"] if cuda else [None]:
            learn = tensor_learner(name)
            clock = StepClock(learn)
            learn.fit(1e-3, 1, quiet=True)
            synthetic[learn.precision.name] = clock.rate(bs)[0]
        chosen = tensor_learner().precision.name
        report(
            "synthetic_images_per_s",
            synthetic,
            f"2. synthetic rate (GPU tensors): {', '.join(f'{k} {v:.0f} img/s' for k, v in synthetic.items())}",
        )

        # 3. the pipeline from JPEG files
        pipeline = {}
        for workers in (16, 2):
            data.num_workers = workers
            torch.manual_seed(0)
            learn = ck.cnn_learner(data, args.arch, pretrained=False)
            learn.unfreeze()
            clock = StepClock(learn)
            learn.fit(1e-3, 1, quiet=True)
            rate, busy = clock.rate(bs)
            pipeline[workers] = {"images_per_s": rate, "gpu_busy": busy}
        t4_rate = synthetic.get("fp16", synthetic[chosen]) * args.t4_tflops / args.gpu_tflops
        pipeline_report = {
            "workers_16": pipeline[16],
            "workers_2": pipeline[2],
            "vs_synthetic_16": pipeline[16]["images_per_s"] / synthetic[chosen],
            "t4_estimate_images_per_s": t4_rate,
            "workers_2_vs_t4": pipeline[2]["images_per_s"] / t4_rate,
        }
        report(
            "pipeline",
            pipeline_report,
            f"3. from JPEGs ({len(data.train_paths)} training files): 16 workers "
            f"{pipeline[16]['images_per_s']:.0f} img/s = {pipeline_report['vs_synthetic_16']:.0%} of "
            f"the synthetic rate (goal >= 90%), GPU busy {pipeline[16]['gpu_busy'] or 0:.0%}; 2 workers "
            f"{pipeline[2]['images_per_s']:.0f} img/s = {pipeline_report['workers_2_vs_t4']:.2f}x a T4's "
            f"estimated {t4_rate:.0f} img/s (fp16 rate x {args.t4_tflops:g}/{args.gpu_tflops:g})",
        )

        # 4. precompute vs frozen body; 5. the notice's estimate
        data.num_workers = 16
        torch.manual_seed(0)
        frozen = ck.cnn_learner(data, args.arch, pretrained=False)
        # the notice a learner gets on a CPU; on a GPU it gets none, so one is attached here
        attached = [f for f in frozen.events["after_batch"] if isinstance(f, notices.CpuNotice)]
        notice = attached[0] if attached else notices.CpuNotice(args.arch)
        if not attached:
            frozen.events["before_epoch"].append(notice.start)
            frozen.events["after_batch"].append(notice)
        pre = ck.cnn_learner(data, args.arch, pretrained=False)
        pre.precompute = True
        pre.fit(1e-3, 1, quiet=True)  # computes the activations once
        notices._already_said.clear()  # it speaks once per process: the frozen fit's notice next
        pre_t, frozen_t, epochs = [], [], []
        for _ in range(args.repeats):
            sync()
            start = time.perf_counter()
            pre.fit(1e-3, 1, quiet=True)
            sync()
            pre_t.append(time.perf_counter() - start)
            start = time.perf_counter()
            frozen.fit(1e-3, 1, quiet=True)
            sync()
            frozen_t.append(time.perf_counter() - start)
            epochs.append(float(frozen.recorder.rows[-1]["time"].rstrip("s")))
        report(
            "precompute",
            {
                "precomputed_epoch_s": statistics.median(pre_t),
                "frozen_epoch_s": statistics.median(frozen_t),
            },
            f"4. precomputed epoch {statistics.median(pre_t):.3f}s vs frozen-body epoch "
            f"{statistics.median(frozen_t):.2f}s: {statistics.median(frozen_t) / statistics.median(pre_t):.0f}x",
        )
        estimate = notice.estimate_s
        report(
            "notice",
            {
                "estimate_s": estimate,
                "first_epoch_s": epochs[0],
                "median_epoch_s": statistics.median(epochs),
            },
            f"5. the notice's estimate {estimate:.1f}s vs the epoch it timed {epochs[0]:.1f}s "
            f"({estimate / epochs[0]:.2f}x; later epochs {statistics.median(epochs):.1f}s; goal within 2x)",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
