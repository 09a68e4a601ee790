"""How the numbers in an array become 8-bit pixels: the range each dtype is read in.

A picture is 8-bit in the end, so every other form has to say what its numbers mean. These are the
rules (each refusal names the dtype, the range found and the fix):

=================  =======================================================================
``uint8``          0-255, as PIL and ``np.asarray(img)`` give it.
``bool``           False black, True white (a mask).
``uint16``         0-65535, a 16-bit picture (PNG, TIFF, X-ray): divided by 257. An array
                   whose values are all <= 255 is refused as ambiguous (8-bit values in a
                   wide type, or a nearly black 16-bit picture?).
other integers     0-255 (``np.array(img, dtype=int)``); negative or larger values refused.
                   An array of only 0s and 1s is refused as ambiguous (a mask?).
floats             [0, 1] when every value is in [0, 1] (skimage, ``ToTensor``); else [0, 255]
                   when every value is in [0, 255]; negative values (a normalised tensor),
                   larger ones, NaN and infinity are refused.
=================  =======================================================================

A float picture meant as [0, 255] whose values all happen to be <= 1 (nearly black) is read as
[0, 1]: nothing in the numbers can tell the two apart, so that is the documented choice.
"""

from __future__ import annotations

import numpy as np

__all__ = ["from_16_bit", "to_uint8"]


def from_16_bit(arr: np.ndarray) -> np.ndarray:
    """16-bit values (0-65535) as 8-bit ones (0-255): divided by 257, so 257 * v gives back v.

    >>> from_16_bit(np.array([0, 257, 65535], np.uint16)).tolist()
    [0, 1, 255]
    """
    return np.round(arr.astype(np.float32) / 257.0).astype(np.uint8)


def _refuse(arr: np.ndarray, why: str, fix: str) -> ValueError:
    found = f"values from {arr.min()} to {arr.max()}" if arr.size else "no values"
    return ValueError(f"cannot read this {arr.dtype} array as a picture: {why} ({found}). {fix}")


def to_uint8(arr: np.ndarray) -> np.ndarray:
    """The array's values as 0-255 uint8, by the rules in the module docstring; a ``ValueError``
    naming the dtype, the range found and the fix for anything else.

    >>> to_uint8(np.array([0.0, 0.5, 1.0])).tolist(), to_uint8(np.array([0, 65535], np.uint16)).tolist()
    ([0, 128, 255], [0, 255])
    """
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if arr.dtype == np.uint16:
        if arr.max() <= 255:
            raise _refuse(
                arr,
                "a uint16 array is read as 16-bit (0-65535), but every value is at most 255",
                "For 8-bit values use arr.astype(np.uint8); for a dark 16-bit picture pass "
                "Image.fromarray(arr) (mode I;16).",
            )
        return from_16_bit(arr)
    if np.issubdtype(arr.dtype, np.integer):
        if arr.min() < 0 or arr.max() > 255:
            raise _refuse(
                arr,
                "integer arrays other than uint16 are read as 0-255",
                "Scale it to 0-255 and use arr.astype(np.uint8), or pass 16-bit data as uint16.",
            )
        if arr.max() == 1:
            raise _refuse(
                arr,
                "only 0s and 1s: a mask, or a nearly black 0-255 picture?",
                "For a mask pass arr.astype(bool); for 0-255 values arr.astype(np.uint8).",
            )
        return arr.astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise ValueError(
                f"cannot read this {arr.dtype} array as a picture: it holds NaN or inf."
            )
        if arr.min() < 0:
            raise _refuse(
                arr,
                "floats are read as [0, 1] or [0, 255]; negative values look like a normalised "
                "tensor",
                "Undo the normalisation (x * std + mean) first.",
            )
        if arr.max() > 255:
            raise _refuse(arr, "floats are read as [0, 1] or [0, 255]", "Scale it to [0, 1] first.")
        scale = 255.0 if arr.max() <= 1 else 1.0
        return np.round(arr.astype(np.float64) * scale).astype(np.uint8)
    raise _refuse(arr, "only integer, boolean and float arrays are pictures", "Convert it first.")
