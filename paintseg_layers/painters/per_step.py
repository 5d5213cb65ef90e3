"""One painter for AMCP's I-steps, another for its O-steps (the reference paints them with different models)."""

from __future__ import annotations

import numpy as np

from paintseg_layers.errors import InputError
from paintseg_layers.painters.base import BasePainter, Painter


class StepPainters(BasePainter):
    """A painter per AMCP step kind; everything else (object removal, plates) uses the I-step painter.

    The reference implementation inpaints I-steps with a latent-diffusion inpainter and O-steps with
    Stable Diffusion inpainting. :class:`~paintseg_layers.amcp.Segmenter` asks :meth:`for_step`.

    Parameters
    ----------
    inpaint : Painter
        Paints I-steps (the hole is the object's mask) and every other call.
    outpaint : Painter
        Paints O-steps (the hole is a band around the object).

    Raises
    ------
    InputError
        If either is not a painter object.
    """

    def __init__(self, inpaint: Painter, outpaint: Painter):
        for nm, p in (("inpaint", inpaint), ("outpaint", outpaint)):
            if not isinstance(p, Painter):
                raise InputError(f"`{nm}` must be a painter object (see get_painter), got {type(p).__name__}")
        self.inpaint = inpaint
        self.outpaint = outpaint
        self.name = inpaint.name if inpaint.name == outpaint.name else f"I:{inpaint.name},O:{outpaint.name}"
        self.chooses_resolution = inpaint.chooses_resolution
        self.batches_masks = inpaint.batches_masks
        self.wants_context = bool(getattr(inpaint, "wants_context", False))
        self.thread_safe = all(getattr(p, "thread_safe", False) for p in (inpaint, outpaint))

    def for_step(self, kind: str) -> Painter:
        """The painter of step ``kind`` (``"I"`` or ``"O"``)."""
        if kind not in ("I", "O"):
            raise InputError(f"`kind` must be 'I' or 'O', got {kind!r}")
        return self.inpaint if kind == "I" else self.outpaint

    def paint(self, image, mask, *, n: int = 1, seed: int = 0) -> np.ndarray:
        """Paint with the I-step painter (see :meth:`Painter.paint`)."""
        return self.inpaint.paint(image, mask, n=n, seed=seed)

    def paint_batch(self, image, masks, *, seed: int = 0) -> np.ndarray:
        """Paint a batch of masks with the I-step painter."""
        return self.inpaint.paint_batch(image, masks, seed=seed)

    def __repr__(self) -> str:
        return f"StepPainters(inpaint={self.inpaint!r}, outpaint={self.outpaint!r})"


__all__ = ["StepPainters"]
