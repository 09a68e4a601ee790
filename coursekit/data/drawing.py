"""Procedural drawing for the offline sample data sets.

Every picture is drawn from a ``numpy.random.Generator``, so the same seed gives the same
pixels on every machine. The pieces are deliberately simple — a noisy background, a shape
filled with a colour and a texture, a few features — because what matters is that a small CNN
can *learn* the classes from shape, colour and texture, as it would from photos.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

__all__ = [
    "background",
    "draw_animal",
    "fill_mask",
    "photo_size",
    "rgb",
    "satellite_tile",
    "texture",
]

PATTERNS = ("solid", "stripes", "spots", "checks")


def rgb(colour: np.ndarray) -> tuple[int, int, int]:
    """A colour as three whole numbers from 0 to 255 (out-of-range values clipped)."""
    r, g, b = (int(c) for c in np.clip(colour, 0, 255))
    return r, g, b


def photo_size(rng: np.random.Generator, min_side: int, max_side: int) -> tuple[int, int]:
    """A (width, height) like a photo's: sides in [min_side, max_side], aspect 3:4 to 16:9."""
    long_side = int(rng.integers(min_side, max_side + 1))
    aspect = float(rng.uniform(0.6, 1.0))
    short_side = max(min_side // 2, int(long_side * aspect))
    return (long_side, short_side) if rng.random() < 0.7 else (short_side, long_side)


def background(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A muted, blurry colour gradient with low-frequency noise: an out-of-focus room."""
    w, h = size
    base = rng.uniform(60, 200, size=3)
    tilt = rng.uniform(-60, 60, size=3)
    ys = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    xs = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    direction = rng.uniform(0, 1)
    ramp = direction * xs + (1 - direction) * ys
    coarse = rng.normal(0, 18, size=(6, 8, 3)).astype(np.float32)
    blotches = (
        np.asarray(
            Image.fromarray(((coarse + 128).clip(0, 255)).astype(np.uint8)).resize(
                (w, h), Image.Resampling.BILINEAR
            ),
            dtype=np.float32,
        )
        - 128
    )
    img = base + tilt * ramp + blotches + rng.normal(0, 4, size=(h, w, 3))
    return img.clip(0, 255).astype(np.uint8)


def texture(
    rng: np.random.Generator,
    size: tuple[int, int],
    pattern: str,
    colour: tuple[int, int, int],
    second: tuple[int, int, int],
) -> np.ndarray:
    """A (h, w, 3) texture: ``solid``, ``stripes``, ``spots`` or ``checks`` in two colours."""
    w, h = size
    c1, c2 = np.array(colour, np.float32), np.array(second, np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = max(4.0, min(w, h) * float(rng.uniform(0.06, 0.1)))
    mix: np.ndarray
    if pattern == "solid":
        mix = np.zeros((h, w), np.float32)
    elif pattern == "stripes":
        angle = float(rng.uniform(0, math.pi))
        mix = ((xx * math.cos(angle) + yy * math.sin(angle)) / period % 2 < 1).astype(np.float32)
    elif pattern == "checks":
        mix = ((xx // period + yy // period) % 2).astype(np.float32)
    elif pattern == "spots":
        canvas = Image.new("L", (w, h), 0)
        draw = ImageDraw.Draw(canvas)
        for _ in range(int(w * h / period**2 / 3)):
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), period * rng.uniform(0.3, 0.6)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
        mix = np.asarray(canvas, np.float32) / 255
    else:
        raise ValueError(f"unknown pattern {pattern!r}; choose one of {PATTERNS}")
    shade = rng.normal(1.0, 0.04, size=(h, w, 1)).astype(np.float32)
    img = (c1 * (1 - mix[..., None]) + c2 * mix[..., None]) * shade
    return img.clip(0, 255).astype(np.uint8)


def fill_mask(canvas: np.ndarray, mask: Image.Image, fill: np.ndarray) -> np.ndarray:
    """Paint ``fill`` (h, w, 3) onto ``canvas`` where the 'L' ``mask`` is set, softly edged."""
    alpha = np.asarray(mask.filter(ImageFilter.GaussianBlur(1)), np.float32)[..., None] / 255
    return (canvas * (1 - alpha) + fill * alpha).astype(np.uint8)


def draw_animal(
    rng: np.random.Generator,
    size: tuple[int, int],
    *,
    ears: str,
    pattern: str,
    colour: tuple[int, int, int],
    second: tuple[int, int, int],
) -> Image.Image:
    """A cartoon pet's head on a background.

    ``ears='pointy'`` draws a cat (triangle ears, whiskers); ``ears='floppy'`` draws a dog (long
    muzzle, hanging ears, a big nose). The fur has the breed's colours and ``pattern``.
    """
    w, h = size
    side = min(w, h)
    r = side * float(rng.uniform(0.22, 0.32))
    cx = w / 2 + float(rng.uniform(-0.15, 0.15)) * w
    cy = h / 2 + float(rng.uniform(-0.1, 0.15)) * h
    jitter = rgb(np.array(colour) + rng.normal(0, 10, 3))
    fur = texture(rng, size, pattern, jitter, second)

    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    if ears == "pointy":
        draw.ellipse((cx - r, cy - r * 0.9, cx + r, cy + r * 0.9), fill=255)
        for s in (-1, 1):
            draw.polygon(
                [
                    (cx + s * r * 0.95, cy - r * 0.2),
                    (cx + s * r * 0.75, cy - r * 1.45),
                    (cx + s * r * 0.2, cy - r * 0.75),
                ],
                fill=255,
            )
    else:
        draw.ellipse((cx - r * 0.85, cy - r, cx + r * 0.85, cy + r * 1.25), fill=255)
        for s in (-1, 1):
            draw.ellipse(
                (
                    cx + s * r * 0.7 - r * 0.3,
                    cy - r * 0.7,
                    cx + s * r * 0.7 + r * 0.3,
                    cy + r * 0.6,
                ),
                fill=255,
            )
    img = fill_mask(background(rng, size), mask, fur)

    pic = Image.fromarray(img)
    draw = ImageDraw.Draw(pic)
    eye = r * 0.12
    for s in (-1, 1):
        ex, ey = cx + s * r * 0.38, cy - r * 0.15
        draw.ellipse(
            (ex - eye, ey - eye, ex + eye, ey + eye),
            fill=(250, 240, 120) if ears == "pointy" else (60, 40, 20),
        )
        draw.ellipse((ex - eye * 0.45, ey - eye, ex + eye * 0.45, ey + eye), fill=(10, 10, 10))
    if ears == "pointy":
        draw.polygon(
            [(cx - r * 0.1, cy + r * 0.2), (cx + r * 0.1, cy + r * 0.2), (cx, cy + r * 0.32)],
            fill=(230, 130, 150),
        )
        for s in (-1, 1):
            for dy in (0.3, 0.42):
                draw.line(
                    (cx + s * r * 0.15, cy + r * dy, cx + s * r * 1.1, cy + r * (dy - 0.12)),
                    fill=(240, 240, 240),
                    width=max(1, int(r / 40)),
                )
    else:
        draw.ellipse(
            (cx - r * 0.4, cy + r * 0.3, cx + r * 0.4, cy + r * 0.95),
            fill=tuple(int(c * 0.8 + 40) for c in jitter),
        )
        draw.ellipse((cx - r * 0.18, cy + r * 0.35, cx + r * 0.18, cy + r * 0.6), fill=(20, 15, 15))
    return pic


def satellite_tile(rng: np.random.Generator, side: int, tags: list[str]) -> Image.Image:
    """A square satellite-style tile showing each land tag, then its one weather tag on top."""
    canvas: np.ndarray = np.full((side, side, 3), (150, 125, 90), np.float32)  # bare soil
    canvas += rng.normal(0, 8, size=(side, side, 3))
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    if "primary" in tags:  # dense dark forest
        forest = texture(rng, (side, side), "spots", (30, 85, 35), (45, 110, 45)).astype(np.float32)
        canvas = forest + rng.normal(0, 6, size=forest.shape)
    if "agriculture" in tags:  # a patchwork of fields
        field = Image.new("L", (side, side), 0)
        draw = ImageDraw.Draw(field)
        for _ in range(int(rng.integers(2, 5))):
            x0, y0 = rng.uniform(0, side * 0.7, 2)
            draw.rectangle(
                (x0, y0, x0 + rng.uniform(30, side * 0.5), y0 + rng.uniform(30, side * 0.5)),
                fill=255,
            )
        stripes = texture(rng, (side, side), "stripes", (175, 190, 95), (140, 165, 70))
        canvas = fill_mask(canvas.clip(0, 255), field, stripes).astype(np.float32)
    if "water" in tags:  # a meandering river
        phase, amp, width = rng.uniform(0, 6.3), rng.uniform(10, side * 0.2), rng.uniform(8, 18)
        centre = side / 2 + amp * np.sin(yy / side * 2 * math.pi + phase)
        river = np.abs(xx - centre) < width
        canvas[river] = np.array((40, 70, 140)) + rng.normal(0, 5, size=(int(river.sum()), 3))
    if "road" in tags:  # thin straight roads
        road = Image.new("L", (side, side), 0)
        draw = ImageDraw.Draw(road)
        for _ in range(int(rng.integers(1, 3))):
            pts = rng.uniform(0, side, 4)
            draw.line(
                ((0, pts[0]), (side, pts[1]))
                if rng.random() < 0.5
                else ((pts[2], 0), (pts[3], side)),
                fill=255,
                width=4,
            )
        canvas = fill_mask(canvas.clip(0, 255), road, np.full((side, side, 3), 200, np.float32))
        canvas = canvas.astype(np.float32)
    if "habitation" in tags:  # clusters of bright roofs
        pic = Image.fromarray(canvas.clip(0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(pic)
        hx, hy = rng.uniform(side * 0.2, side * 0.8, 2)
        for _ in range(25):
            x, y = hx + rng.normal(0, side * 0.08), hy + rng.normal(0, side * 0.08)
            draw.rectangle((x, y, x + 5, y + 5), fill=(235, 225, 215))
        canvas = np.asarray(pic, np.float32)
    if "haze" in tags:
        canvas = canvas * 0.55 + 0.45 * np.array([215, 215, 225], np.float32)
    if "partly_cloudy" in tags or "cloudy" in tags:
        cover = 1.0 if "cloudy" in tags else 0.35
        clouds = texture(rng, (side, side), "spots", (0, 0, 0), (255, 255, 255))[..., 0]
        blur = (
            np.asarray(
                Image.fromarray(clouds).filter(ImageFilter.GaussianBlur(side / 25)), np.float32
            )
            / 255
        )
        alpha = np.clip(blur * (2.5 * cover) + (0.75 if cover == 1.0 else 0.0), 0, 0.95)[..., None]
        canvas = canvas * (1 - alpha) + 245 * alpha
    return Image.fromarray(canvas.clip(0, 255).astype(np.uint8))
