"""Pretrain coursekit's offline backbone ('tinyresnet') and write its weights into the package.

    .venv/bin/python -m tools.pretrain_backbone [--epochs 16] [--n-per-class 200]

On a 2-core CPU this takes about 8 minutes. Every epoch draws a *fresh* corpus of 48 classes of
geometric objects (``coursekit.data.corpus``, seeded by the epoch number), so the network never
sees the same picture twice and cannot memorise. Training: AdamW, one-cycle schedule
(``coursekit.train.schedules.one_cycle``), label smoothing 0.1, images normalised with the
ImageNet statistics the lessons use. The body's weights (everything but the final ``fc``) are
saved in half precision to ``coursekit/weights/tinyresnet.pth``, and the file's SHA-256 is
written into ``coursekit/train/tinyresnet.py``, where loading checks it.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from coursekit.data.corpus import corpus_classes, make_corpus
from coursekit.data.transforms import IMAGENET_STATS
from coursekit.fileio import atomic_write
from coursekit.train import tinyresnet
from coursekit.train.schedules import one_cycle
from coursekit.train.tinyresnet import WEIGHTS_FILE, TinyResNet

MEAN = torch.tensor(IMAGENET_STATS[0]).view(1, 3, 1, 1)
STD = torch.tensor(IMAGENET_STATS[1]).view(1, 3, 1, 1)


def normalise(images: torch.Tensor) -> torch.Tensor:
    return (images.float() / 255 - MEAN) / STD


def augment(x: torch.Tensor) -> torch.Tensor:
    """Random left-right flips, batch-wise: cheap, and the lessons flip too."""
    flip = torch.rand(len(x)) < 0.5
    x[flip] = x[flip].flip(-1)
    return x


@torch.no_grad()
def accuracy(model, images, labels, bs=256) -> float:
    model.eval()
    right = sum(
        (model(normalise(images[i : i + bs])).argmax(1) == labels[i : i + bs]).sum().item()
        for i in range(0, len(images), bs)
    )
    return right / len(images)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--n-per-class", type=int, default=200)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--bs", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = parser.parse_args()
    torch.manual_seed(0)
    n_classes = len(corpus_classes())
    model = TinyResNet(num_classes=n_classes)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    valid_x, valid_y = make_corpus(20, args.size, seed=10_000)  # a seed no epoch uses
    steps_per_epoch = n_classes * args.n_per_class // args.bs
    total, step, start = args.epochs * steps_per_epoch, 0, time.perf_counter()
    print(
        f"{n_classes} classes, {n_classes * args.n_per_class} fresh images per epoch, {args.epochs} epochs, "
        f"{sum(p.numel() for p in model.parameters()):,} parameters",
        flush=True,
    )
    for epoch in range(args.epochs):
        images, labels = make_corpus(args.n_per_class, args.size, seed=epoch)
        order = torch.randperm(len(images))
        model.train()
        losses = []
        for b in range(steps_per_epoch):
            idx = order[b * args.bs : (b + 1) * args.bs]
            for group in opt.param_groups:
                group["lr"] = one_cycle(step, total, args.lr)
            loss = F.cross_entropy(
                model(augment(normalise(images[idx]))), labels[idx], label_smoothing=0.1
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            step += 1
        print(
            f"epoch {epoch:2d}  train loss {sum(losses) / len(losses):.3f}  valid accuracy "
            f"{accuracy(model, valid_x, valid_y):.3f}  {time.perf_counter() - start:.0f}s",
            flush=True,
        )

    body = {
        k: v.half() if v.is_floating_point() else v
        for k, v in model.state_dict().items()
        if not k.startswith("fc.")
    }
    atomic_write(args.out, lambda tmp: torch.save(body, tmp))
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    registry = Path(tinyresnet.__file__)  # the package's source: a checkout installed editable
    text = registry.read_text()
    registry.write_text(
        re.sub(r'WEIGHTS_SHA256 = "[0-9a-f]{64}"', f'WEIGHTS_SHA256 = "{digest}"', text)
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), sha256 {digest}")


if __name__ == "__main__":
    main()
