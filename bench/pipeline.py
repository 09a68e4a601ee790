"""Images per second the *training* loader delivers at 224 px, before and after each improvement,
side by side in one run, against the rate a T4 consumes training resnet34 in fp16.

    .venv/bin/python bench/pipeline.py [--n-per-class 30] [--workers 2] [--repeats 3] [--t4-rate 600]

Photos: sample pets drawn at 440-520 px on the longer side (about 480x380, like the real
Oxford-IIIT Pets' ~500x375), saved as JPEG. Every variant uses the lessons' augmentation
(``side_on``, ``max_zoom=1.1``), batches of 64 and ``--workers`` loader processes:

1. full decode        - every pixel of each JPEG decoded, then the per-image CPU transforms
2. draft decode       - JPEG draft mode at the needed scale (coursekit's default)
3. + resize cache     - reading the copies full mode makes by itself (``auto_resize``)
4. + uint8 batches    - workers only decode, resize and crop; they hand over uint8 tensors and
                        the rotation/zoom/flip/lighting/normalisation run on whole batches on
                        the GPU (``gpu_augment``). The loader's rate is measured without that
                        GPU work; its cost on *this CPU* is printed separately for reference.

Each pass times one epoch after its first batch (workers already started); passes of the
variants are interleaved, ``--repeats`` times, and the median is reported. Besides images per
second, the CPU time of the main process and its workers gives images per CPU-second: on a
shared, busy machine that is the steadier figure, and twice it is what two idle cores could
deliver at most (Colab's two cores).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import tempfile
import time

import torch
from torch.utils.data import DataLoader

import coursekit as ck
from coursekit.data import images
from coursekit.data.dataset import ImageDataset
from coursekit.data.gpu_augment import BatchAugment, uint8_train_transform


class FullDecodeDataset(ImageDataset):
    """Decodes every pixel of each file, as a loader without draft mode would."""

    def __getitem__(self, i):
        return self.transform(images.open_image(self.paths[i])), self.targets[i]


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the loader's workers, once joined)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rate(loader: DataLoader) -> tuple[float, float]:
    """(images per second of wall-clock time, not counting the first batch (worker start-up);
    images per CPU-second over the whole epoch, workers included)."""
    cpu_start = cpu_seconds()
    it = iter(loader)
    first = len(next(it)[0])
    n, start = 0, time.perf_counter()
    for xb, _ in it:
        n += len(xb)
    wall = time.perf_counter() - start
    del it  # joins the workers, so their CPU time is counted
    return n / wall, (n + first) / (cpu_seconds() - cpu_start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-per-class", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bs", type=int, default=64)
    parser.add_argument(
        "--t4-rate",
        type=float,
        default=600.0,
        help="images/s a T4 consumes training resnet34 at 224 px in fp16 (docs/BENCHMARKS.md)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)  # the workers do the work; the main process only collects batches
    with tempfile.TemporaryDirectory() as home:
        os.environ["COURSEKIT_HOME"] = home
        os.environ["COURSEKIT_SAMPLE"] = "0"  # full mode: the resize cache is automatic
        path = ck.samples.pets(n_per_class=args.n_per_class, min_side=440, max_side=520)
        data = ck.ImageData.from_name_re(
            path / "images",
            pat=ck.PETS_PATTERN,
            size=224,
            bs=args.bs,
            aug=ck.side_on,
            max_zoom=1.1,
            num_workers=args.workers,
            batch_augment=False,
        )
        sizes = data.image_sizes()
        print(
            f"{len(data.train_paths)} training JPEGs, median {statistics.median(w for w, h in sizes):.0f}x"
            f"{statistics.median(h for w, h in sizes):.0f} px; bs {args.bs}, {args.workers} workers, "
            f"torch {torch.__version__}, CUDA {torch.cuda.is_available()}"
        )
        originals = dataclasses.replace(data, auto_resize=False)  # the same split, full-size files
        plain_ds = originals.train_ds
        start = time.perf_counter()
        cached_ds = data.train_ds  # makes the copies (once)
        build = time.perf_counter() - start

        def loader(ds):
            return DataLoader(
                ds,
                batch_size=args.bs,
                shuffle=True,
                num_workers=args.workers,
                persistent_workers=False,
                drop_last=True,
                pin_memory=torch.cuda.is_available(),
            )

        variants = {
            "full decode": loader(
                FullDecodeDataset(plain_ds.paths, plain_ds.targets, plain_ds.transform, 224)
            ),
            "draft decode": loader(plain_ds),
            "+ resize cache": loader(cached_ds),
            "+ uint8 batches": loader(cached_ds.with_transform(uint8_train_transform(224))),
        }
        rates: dict[str, list[float]] = {name: [] for name in variants}
        per_cpu: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, dl in variants.items():
                wall, cpu = rate(dl)
                rates[name].append(wall)
                per_cpu[name].append(cpu)

        augment = BatchAugment(224, ck.side_on, 1.1)
        xb = next(iter(variants["+ uint8 batches"]))[0]
        augment(xb)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            augment(xb)
            times.append(time.perf_counter() - start)
        cpu_batch_rate = len(xb) / statistics.median(times)

        base = statistics.median(rates["full decode"])
        print(f"(resize cache built once in {build:.1f}s)")
        print(
            f"{'variant':>16} {'images/s':>9} {'vs full':>8} {'vs T4':>6} {'img/CPU-s':>10} {'x2 cores vs T4':>15}"
        )
        for name, r in rates.items():
            median, cpu = statistics.median(r), statistics.median(per_cpu[name])
            print(
                f"{name:>16} {median:>9.0f} {median / base:>7.2f}x {median / args.t4_rate:>5.2f}x {cpu:>10.0f} "
                f"{2 * cpu / args.t4_rate:>14.2f}x"
            )
        print(
            f"(T4: {args.t4_rate:.0f} images/s; 'x2 cores': images per CPU-second on two idle cores, "
            "an upper bound that a busy, shared machine cannot show in wall-clock time)"
        )
        print(
            f"batch-side augmentation on this CPU (1 thread): {cpu_batch_rate:.0f} images/s "
            "(on a GPU it runs beside the training step)"
        )


if __name__ == "__main__":
    main()
