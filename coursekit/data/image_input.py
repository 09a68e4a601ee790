"""One picture from whatever a student has at hand: a path, a PIL image, a file's bytes, an array.

    img = as_image('my_cat.jpg')                 # a path (or URL download's bytes, or a PIL image)
    img = as_image(np.asarray(pil))              # uint8 H x W x 3: taken as it is
    img = as_image(photo_as_floats)              # floats in [0, 1] (or in [0, 255], see below)

Arrays follow ``coursekit.data.pixel_ranges.to_uint8``'s rules (uint8 as it is, uint16 as 16-bit,
other integers as 0-255, floats as [0, 1] or [0, 255]; anything else refused with the fix). A PIL
image in a 16-bit mode (a 16-bit PNG) is scaled by its bit depth, not clipped to white.
"""

from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image

from coursekit.data.heic import heic_help
from coursekit.data.images import (
    DECODE_ERRORS,
    ImageInput,
    UnreadableImageError,
    decode_image,
    open_image,
    reduced_rgb,
    to_rgb,
)
from coursekit.data.pixel_ranges import to_uint8

__all__ = ["ImageInput", "array_to_image", "as_image"]


def array_to_image(arr: np.ndarray) -> Image.Image:
    """An H x W or H x W x 1/3/4 array as an RGB picture; ``to_uint8`` says how each dtype is read.

    >>> array_to_image(np.full((2, 2, 3), 0.5)).getpixel((0, 0))
    (128, 128, 128)
    """
    if arr.ndim == 3 and arr.shape[0] in (1, 3, 4) and arr.shape[2] not in (1, 3, 4):
        raise ValueError(
            f"this array is channels first (shape {arr.shape}); a picture is H x W x channels: "
            "pass arr.transpose(1, 2, 0)."
        )
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)) or not arr.size:
        raise ValueError(
            f"an image array must be H x W or H x W x 1/3/4 (channels last); got shape {arr.shape}."
        )
    pixels = to_uint8(arr)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    return to_rgb(Image.fromarray(np.ascontiguousarray(pixels)))


def as_image(image: ImageInput, min_size: int | None = None) -> Image.Image:
    """One picture as upright RGB, from a path, a PIL image, the bytes of an image file (an
    upload) or a numpy array (``pixel_ranges.to_uint8`` says how each dtype is read).

    ``min_size``: the smallest side the caller needs; a path, an upload's bytes or a PIL image
    that is very large is then decoded or reduced to a smaller size, as ``open_image`` does."""
    if isinstance(image, (str, os.PathLike)):
        return open_image(image, min_size=min_size)
    if isinstance(image, Image.Image):
        return reduced_rgb(image, min_size)
    if isinstance(image, (bytes, bytearray, memoryview)):
        try:
            return decode_image(io.BytesIO(image), min_size)
        except DECODE_ERRORS as e:
            heic = heic_help(bytes(image[:12]))
            why = (
                f"an iPhone photo this Python cannot read. {heic}"
                if heic
                else f"not an image file PIL can read ({e}); upload a JPEG or PNG."
            )
            raise UnreadableImageError(f"these {len(image)} bytes are {why}") from None
    if isinstance(image, np.ndarray):
        return array_to_image(image)
    hint = " (a tensor: pass tensor.permute(1, 2, 0).numpy())" if hasattr(image, "numpy") else ""
    raise TypeError(
        f"cannot read an image from a {type(image).__name__}{hint}; give a path, a PIL image, "
        f"the bytes of an image file or a numpy array."
    )
