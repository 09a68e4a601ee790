"""``coursekit demo``, the tour: the lesson-1 recipe on the sample pets, offline, on a CPU, in under a minute.

0. what a network trained on ImageNet already knows (``imagenet_top_k`` on a real photo);
1. look at the data; 2. find a learning rate; 3. train the head on precomputed activations;
4. train with augmentation and SGDR; 5. unfreeze with differential learning rates and
``cycle_mult=2``; 6. test-time augmentation; 7. the confusion matrix and the results gallery.
Tables are printed; plots go to ``demo_output/``. The sample sets are ``coursekit.data.sample_sets``.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

import coursekit as ck
from coursekit.data.sample_sets import SAMPLE_SETS, sample_data

__all__ = ["data_demo", "run_demo"]


def data_demo(out: Path) -> None:
    """Build the four sample sets; print each one's layout and statistics; save a batch picture."""
    out.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_SETS:
        data = sample_data(name)
        print(f"== {name}: {data!r}")
        print(data.summary())
        root = getattr(ck.samples, name)()
        entries = [
            f"{p.name}/ ({sum(1 for _ in p.iterdir())} files)" if p.is_dir() else p.name
            for p in sorted(root.iterdir())
            if not p.name.startswith(".")
        ]
        print(f"  layout of {root}: " + ", ".join(entries))
        picture = out / f"{name}_batch.png"
        data.show_batch(n=9).savefig(picture, dpi=80)
        print(f"  saved {picture}\n")


def _step(title: str) -> None:
    print(f"\n## {title}", flush=True)


def run_demo(
    out: Path = Path("demo_output"), arch: str = "tinyresnet", size: int = 64, bs: int = 16
) -> None:
    """The whole demo: what ImageNet taught a network, the data sets, then the lesson-1 recipe on
    the sample pets. The recipe trains ``tinyresnet`` at 64 px: on the sample pets it is both
    faster and, fine-tuned, as accurate as ``efficientnet_lite0`` (docs/BENCHMARKS.md)."""
    start = time.perf_counter()
    print("# what a network trained on ImageNet already knows: efficientnet_lite0 on a photo")
    top = ck.imagenet_top_k(ck.photo("chelsea"), k=3)
    print("  " + ", ".join(f"{name} {p:.2f}" for name, p in top) + "\n")
    data_demo(out)
    torch.manual_seed(0)
    data = sample_data("pets", size=size, bs=bs).resize(int(size * 1.5))
    learn = ck.Learner.pretrained(arch, data, metrics=[ck.accuracy])
    print(f"# lesson 1 on the sample pets: {learn.arch}, pretrained, body frozen")
    for group in learn.layer_groups:
        print(f"  {group}")

    _step("1. learning-rate finder")
    result = learn.lr_find()
    lr = result.suggestion or 1e-2
    print(
        f"  tried {len(result.lrs)} rates; suggestion {lr:.1e} (lowest loss at {result.min_loss_lr:.1e})"
    )
    ck.plot_lr_find(result).savefig(out / "lr_find.png", dpi=80)

    _step("2. precompute=True: train the head on cached activations, fit(lr, 3)")
    learn.precompute = True
    learn.fit(lr, 3)

    _step("3. precompute=False: augmentation on, SGDR fit(lr, 3, cycle_len=1)")
    learn.precompute = False
    learn.fit(lr, 3, cycle_len=1)
    learn.recorder.plot_lr().savefig(out / "schedule_sgdr.png", dpi=80)
    learn.save("demo_head")

    _step("4. unfreeze: differential learning rates [lr/100, lr/10, lr], cycle_mult=2")
    learn.unfreeze()
    learn.fit([lr / 100, lr / 10, lr], 2, cycle_len=1, cycle_mult=2)
    learn.recorder.plot_lr().savefig(out / "schedule_unfrozen.png", dpi=80)
    learn.recorder.plot_losses().savefig(out / "losses.png", dpi=80)

    _step("5. test-time augmentation")
    probs, y = learn.get_preds()
    tta_probs, _ = learn.tta()
    plain, tta = ck.accuracy(probs, y), ck.accuracy(tta_probs, y)
    print(f"  accuracy {plain:.3f} plain, {tta:.3f} with TTA (chance: {1 / data.c:.3f})")

    _step("6. what the model gets right and wrong")
    from coursekit.widgets import ResultsGallery  # here: ipywidgets loads only for this step

    interp = learn.interpret()
    print(f"  most confused (actual, predicted, count): {interp.most_confused()[:5]}")
    interp.plot_confusion_matrix().savefig(out / "confusion_matrix.png", dpi=80)
    ResultsGallery(interp, view="top losses", n=8).figure().savefig(
        out / "gallery_top_losses.png", dpi=80
    )
    print(f"\nplots saved in {out}/ ; {time.perf_counter() - start:.0f}s in all")
