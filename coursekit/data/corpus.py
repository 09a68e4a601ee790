"""The synthetic pretraining corpus of the offline backbone ('tinyresnet').

Dozens of classes of procedurally drawn *geometric objects*: each class is a shape (circle,
square, triangle, star, ...), a surface texture and a colour family, drawn at a random size,
place and angle on a random background. None of them is a pet's head or a satellite tile, so
what a network learns here and carries over to the lessons is *features* — edges, corners,
textures, colours — not the lessons' answers.

Images are drawn in memory (nothing on disk) from a seed, so the corpus is the same everywhere.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image, ImageDraw

from coursekit.data.drawing import background, fill_mask, rgb, texture

__all__ = ["COLOURS", "SHAPES", "corpus_classes", "draw_object", "make_corpus"]

SHAPES = ("circle", "square", "triangle", "star", "cross", "ring", "hexagon", "crescent")
PATTERNS = ("solid", "stripes", "spots", "checks")
COLOURS = {"red": (200, 40, 40), "blue": (40, 70, 200), "yellow": (225, 200, 40)}


def corpus_classes() -> list[tuple[str, str, str]]:
    """48 classes (shape, pattern, colour family): all 32 shape x pattern pairs in one colour, and
    the solid and checked version of each shape in a second colour, so colour matters too."""
    names = list(COLOURS)
    first = [
        (shape, pattern, names[(i + j) % 3])
        for i, shape in enumerate(SHAPES)
        for j, pattern in enumerate(PATTERNS)
    ]
    second = [
        (shape, pattern, names[(i + j + 1) % 3])
        for i, shape in enumerate(SHAPES)
        for j, pattern in enumerate(PATTERNS)
        if pattern in ("solid", "checks")
    ]
    return first + second


def _polygon(shape: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    corners = {"square": 4, "triangle": 3, "hexagon": 6}.get(shape)
    if corners:
        return [
            (
                cx + r * math.cos(angle + 2 * math.pi * k / corners),
                cy + r * math.sin(angle + 2 * math.pi * k / corners),
            )
            for k in range(corners)
        ]
    if shape == "star":
        return [
            (
                cx + (r if k % 2 == 0 else r * 0.45) * math.cos(angle + math.pi * k / 5),
                cy + (r if k % 2 == 0 else r * 0.45) * math.sin(angle + math.pi * k / 5),
            )
            for k in range(10)
        ]
    if shape == "cross":
        w = r * 0.35
        pts = [
            (-w, -r),
            (w, -r),
            (w, -w),
            (r, -w),
            (r, w),
            (w, w),
            (w, r),
            (-w, r),
            (-w, w),
            (-r, w),
            (-r, -w),
            (-w, -w),
        ]
        c, s = math.cos(angle), math.sin(angle)
        return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in pts]
    raise ValueError(shape)


def draw_object(rng: np.random.Generator, cls: tuple[str, str, str], size: int) -> Image.Image:
    """One picture of class ``cls`` = (shape, pattern, colour family), ``size`` pixels square."""
    shape, pattern, colour = cls
    base = np.array(COLOURS[colour]) + rng.normal(0, 20, 3)
    second = base * rng.uniform(0.35, 0.6)
    r = size * float(rng.uniform(0.22, 0.4))
    cx, cy = (float(v) for v in rng.uniform(r * 0.8, size - r * 0.8, 2))
    angle = float(rng.uniform(0, 2 * math.pi))
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    if shape in ("circle", "ring", "crescent"):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
        if shape == "ring":
            draw.ellipse((cx - r * 0.55, cy - r * 0.55, cx + r * 0.55, cy + r * 0.55), fill=0)
        if shape == "crescent":
            dx, dy = r * 0.55 * math.cos(angle), r * 0.55 * math.sin(angle)
            draw.ellipse(
                (cx + dx - r * 0.9, cy + dy - r * 0.9, cx + dx + r * 0.9, cy + dy + r * 0.9), fill=0
            )
    else:
        draw.polygon(_polygon(shape, cx, cy, r, angle), fill=255)
    fill = texture(
        rng,
        (size, size),
        pattern,
        rgb(base),
        rgb(second),
    )
    return Image.fromarray(fill_mask(background(rng, (size, size)), mask, fill))


def make_corpus(
    n_per_class: int, size: int = 64, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 (N, 3, size, size), labels (N,)) drawn from ``seed``."""
    classes = corpus_classes()
    rng = np.random.default_rng(seed)
    images = np.empty((len(classes) * n_per_class, size, size, 3), np.uint8)
    labels = np.repeat(np.arange(len(classes)), n_per_class)
    for i, c in enumerate(labels):
        images[i] = np.asarray(draw_object(rng, classes[c], size))
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels)
