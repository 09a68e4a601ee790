"""Where a learner computes and in which number format: the device, and bf16, fp16 with a grad
scaler, or plain fp32.

>>> choose_precision('cuda', (8, 0))     # A100: bfloat16 tensor cores
'bf16'
>>> choose_precision('cuda', (7, 5))     # Colab's free T4: fp16, with a grad scaler
'fp16'

Mixed precision runs the big matrix products in 16 bits, which is twice as fast on a GPU that has
16-bit tensor cores. bfloat16 keeps fp32's range, so it needs no loss scaling, but only GPUs of
compute capability 8.0 or newer (Ampere: A100, RTX 30xx; Hopper: H100) have it in hardware.
Older GPUs (T4 is 7.5, V100 7.0, P100 6.0) do have fast fp16; fp16's small range makes tiny
gradients round to zero, so the loss is multiplied by a large factor before ``backward()`` and the
gradients divided by it again before the step: that is the grad scaler's job. On a CPU: fp32.

torch reports bf16 as "supported" on older GPUs too, through slow emulation; that is why the choice
looks at the compute capability. ``Learner(..., precision='fp16')`` overrides the choice: on an
A100 or H100 it trains exactly as a T4 would (fp16 and a grad scaler). Nothing here touches CUDA until ``Precision.for_device`` is
called, so a learner built before a multi-process launcher starts leaves CUDA uninitialised.
Used by ``Learner`` (lesson 1 onwards): ``learn.device``, ``learn.precision``, ``learn.autocast()``.

On CUDA, images travel as ``channels_last`` tensors (the layout tensor cores read fastest) and are
copied without blocking the CPU; on a CPU nothing changes.
"""

from __future__ import annotations

import contextlib
import inspect
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "PRECISIONS",
    "Precision",
    "check_precision_name",
    "choose_device",
    "choose_precision",
    "make_grad_scaler",
    "place_model",
    "to_device",
]

BF16_CAPABILITY = (8, 0)  # Ampere and newer: bfloat16 tensor cores
PRECISIONS = ("fp32", "fp16", "bf16")


def choose_precision(device: torch.device | str, capability: tuple[int, int] | None = None) -> str:
    """``'bf16'``, ``'fp16'`` or ``'fp32'`` for a device of this CUDA compute ``capability``.

    device: where the model trains (``'cuda'``, ``'cuda:1'``, ``'cpu'``, ...).
    capability: ``torch.cuda.get_device_capability(device)``, e.g. ``(9, 0)`` for an H100;
        ignored off CUDA.

    >>> choose_precision('cpu')
    'fp32'
    >>> choose_precision('cuda', (9, 0)), choose_precision('cuda', (7, 0))   # H100, V100
    ('bf16', 'fp16')
    """
    if torch.device(device).type != "cuda":
        return "fp32"
    if capability is None:
        raise ValueError(
            f"choose_precision({str(device)!r}) needs the GPU's compute capability, "
            "e.g. torch.cuda.get_device_capability()."
        )
    return "bf16" if tuple(capability) >= BF16_CAPABILITY else "fp16"


def _native_bf16(device: torch.device) -> bool:
    """torch's own answer, without emulation where this torch can say so (torch >= 2.4)."""
    if "including_emulation" in inspect.signature(torch.cuda.is_bf16_supported).parameters:
        return torch.cuda.is_bf16_supported(including_emulation=False)
    return True  # older torch: the compute capability has already decided


def check_precision_name(name: str | None, device: torch.device | str | None = None) -> None:
    """Raise a clear ValueError unless ``name`` is a precision this ``device`` can train in.

    >>> check_precision_name('fp16', 'cpu')
    Traceback (most recent call last):
    ...
    ValueError: precision='fp16' needs a CUDA GPU; this learner is on cpu: use precision='fp32' (or None).
    """
    if name is None:
        return
    if name not in PRECISIONS:
        raise ValueError(
            f"precision={name!r} is not one of {', '.join(map(repr, PRECISIONS))} "
            "(or None, to choose by the GPU)."
        )
    if name != "fp32" and device is not None and torch.device(device).type != "cuda":
        raise ValueError(
            f"precision={name!r} needs a CUDA GPU; this learner is on {torch.device(device)}: "
            "use precision='fp32' (or None)."
        )


def make_grad_scaler(enabled: bool) -> torch.amp.GradScaler:
    """A CUDA grad scaler. A disabled one passes the loss and the step straight through."""
    return torch.amp.GradScaler("cuda", enabled=enabled)


def choose_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given, else CUDA when there is a GPU, else the CPU."""
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


def place_model(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` on ``device`` (in the channels_last layout on CUDA)."""
    model = model.to(device)
    return model.to(memory_format=torch.channels_last) if device.type == "cuda" else model


def to_device(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A batch on ``device``, copied without blocking; images in channels_last on CUDA."""
    x = x.to(device, non_blocking=True)
    if device.type == "cuda" and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


@dataclass(frozen=True)
class Precision:
    """A choice of precision: its name, the autocast dtype (None: no autocast) and the grad scaler.

    >>> Precision.for_device(torch.device('cpu'))
    Precision(fp32 on cpu)
    """

    name: str
    device: torch.device
    scaler: torch.amp.GradScaler

    @classmethod
    def for_device(cls, device: torch.device, name: str | None = None) -> Precision:
        """Asks the GPU (the first CUDA call a learner makes) and decides; ``name`` (``'fp32'``,
        ``'fp16'``, ``'bf16'``) overrides the choice, e.g. ``'fp16'`` to train as on a T4."""
        if name is None:
            capability = torch.cuda.get_device_capability(device) if device.type == "cuda" else None
            name = choose_precision(device, capability)
            if name == "bf16" and not _native_bf16(device):
                name = "fp16"
        check_precision_name(name, device)
        return cls(name, device, make_grad_scaler(enabled=name == "fp16"))

    @property
    def dtype(self) -> torch.dtype | None:
        """The autocast dtype, or None for plain fp32."""
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.name)

    def autocast(self) -> AbstractContextManager[object]:
        """Mixed precision on CUDA; nothing for plain fp32."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda", dtype=self.dtype)

    def __repr__(self) -> str:
        scaling = " + grad scaler" if self.name == "fp16" else ""
        return f"Precision({self.name}{scaling} on {self.device})"

    def __str__(self) -> str:
        """In words, for the line printed before a learner's first epoch table.

        >>> str(Precision.for_device(torch.device('cpu')))
        '32-bit floats (fp32) on cpu'
        """
        kind = {
            "fp32": "32-bit floats (fp32)",
            "fp16": "mixed precision (fp16, with a gradient scaler)",
            "bf16": "mixed precision (bf16)",
        }[self.name]
        return f"{kind} on {self.device}"
