"""The options of ``coursekit train`` (``coursekit.train.script`` runs it), apart from the training
code so that ``coursekit --help`` lists them without importing torch."""

from __future__ import annotations

import argparse
from pathlib import Path

from coursekit.config import SAMPLE_SETS
from coursekit.data.labels import PETS_PATTERN

__all__ = ["add_arguments"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``train`` sub-command's options."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--sample",
        choices=SAMPLE_SETS,
        help="a sample set, made offline (as the lessons' sample mode)",
    )
    source.add_argument(
        "--folder", type=Path, help="a folder with train/<class>/ and valid/<class>/ images"
    )
    source.add_argument(
        "--images", type=Path, help="a folder of images labelled by --pat on their names"
    )
    parser.add_argument(
        "--pat", default=PETS_PATTERN, help="with --images: the label is its first group"
    )
    parser.add_argument("--arch", default="resnet34")
    parser.add_argument(
        "--no-pretrained", action="store_true", help="random weights: download nothing"
    )
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument(
        "--bs", type=int, default=64, help="the global batch, split over the processes"
    )
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument(
        "--lr", type=float, default=1e-3, help="the one-cycle policy's highest learning rate"
    )
    parser.add_argument(
        "--unfreeze", action="store_true", help="train every layer group, not only the head"
    )
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument(
        "--cpu", action="store_true", help="train on the CPU even when there is a GPU"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="loader worker processes per process"
    )
    parser.add_argument(
        "--save", default=None, help="save the weights as models/<name>.pth (main process)"
    )
