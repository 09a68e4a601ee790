"""Images per second for one pass over a sample set: plain decode vs draft decode vs resize cache.

    .venv/bin/python bench/loading.py [--n-per-class 30] [--repeats 3]

All three are measured in this one run, interleaved, on the same files (pets drawn at
400-600 px, like photos), through the same ImageDataset and transforms; only how the file
becomes a picture differs. Prints images/s and the ratio to plain decoding.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import coursekit as ck
from coursekit.data import images
from coursekit.data.dataset import ImageDataset


class PlainDataset(ImageDataset):
    """Decodes every pixel of the full-size file, as a naive loader would."""

    def __getitem__(self, i):
        return self.transform(images.open_image(self.paths[i])), self.targets[i]


def one_pass(ds) -> float:
    start = time.perf_counter()
    for i in range(len(ds)):
        ds[i]
    return len(ds) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-per-class", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        import os

        os.environ["COURSEKIT_HOME"] = home
        path = ck.samples.pets(n_per_class=args.n_per_class, min_side=400, max_side=600)
        data = ck.ImageData.from_name_re(path / "images", pat=ck.PETS_PATTERN, num_workers=0)
        everything = data.train_paths + data.valid_paths
        print(
            f"{len(everything)} images, {min(min(s) for s in data.image_sizes())}-"
            f"{max(max(s) for s in data.image_sizes())} px"
        )
        print(f"{'size':>5} {'variant':>14} {'images/s':>10} {'vs plain':>9}")
        for size in (64, 224):
            sized = data.with_size(size)
            cache_size = int(size * 1.5)
            start = time.perf_counter()
            cached = sized.resize(cache_size)
            build = time.perf_counter() - start
            ds = sized.valid_ds
            variants = {
                "plain decode": PlainDataset(
                    everything,
                    sized.encode(sized.train_labels + sized.valid_labels),
                    ds.transform,
                    size,
                ),
                "draft decode": ImageDataset(
                    everything,
                    sized.encode(sized.train_labels + sized.valid_labels),
                    ds.transform,
                    size,
                ),
                f"cache {cache_size}px": ImageDataset(
                    cached.train_paths + cached.valid_paths,
                    sized.encode(sized.train_labels + sized.valid_labels),
                    ds.transform,
                    size,
                ),
            }
            rates = {name: [] for name in variants}
            for _ in range(args.repeats):
                for name, variant in variants.items():
                    rates[name].append(one_pass(variant))
            plain = statistics.median(rates["plain decode"])
            for name, r in rates.items():
                rate = statistics.median(r)
                print(f"{size:>5} {name:>14} {rate:>10.0f} {rate / plain:>8.2f}x")
            print(f"{size:>5} {'(cache built once in ' + f'{build:.1f}s)':>36}")


if __name__ == "__main__":
    main()
