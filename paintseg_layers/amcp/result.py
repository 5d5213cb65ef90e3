"""What one AMCP segmentation returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from paintseg_layers.amcp.config import AMCPConfig


@dataclass(frozen=True)
class StepRecord:
    """What one AMCP step did (areas in working-resolution px)."""

    kind: str
    area_before: int
    area_after: int
    seconds: float

    def to_dict(self):
        return asdict(self)


@dataclass(frozen=True, eq=False)
class SegmentationResult:
    """The outcome of :func:`segment`.

    Attributes
    ----------
    mask : (H, W) bool
        The object, at the input's full size.
    soft : (H, W) float32
        Vote fraction in [0, 1] (share of painted samples that called the pixel object),
        from the last AMCP step; refinement does not change it.
    amcp_mask : (H, W) bool
        The AMCP mask before refinement.
    painting : (H, W, 3) float32 or None
        The image with the object painted out (None when ``paint_result`` is off).
    history : tuple of StepRecord
    seed : int
    config : AMCPConfig
    prompt : dict
    working_shape : (int, int)
        ``(H, W)`` of the working image (the object's view, see ``working_box``).
    seconds : float
        Wall time of the whole segmentation.
    backends : dict
        ``{"painter": name, "projector": name}``.
    confidence : float
        How much evidence the painting gave, in [0, 1] (see :mod:`paintseg_layers.amcp.confidence`):
        the geometric mean of the contrast between object and surroundings in the painting, the
        agreement of the ``N`` samples and the stability of the mask across steps. Below the
        config's ``trust`` the mask stays close to the prompt.
    evidence : dict
        The three terms, ``{"contrast", "agreement", "stability"}``.
    working_box : (int, int, int, int) or None
        ``(x0, y0, x1, y1)`` of the crop the working image shows, in full-image px.
    """

    mask: np.ndarray
    soft: np.ndarray
    amcp_mask: np.ndarray
    painting: np.ndarray | None
    history: tuple[StepRecord, ...]
    seed: int
    config: AMCPConfig
    prompt: dict
    working_shape: tuple[int, int]
    seconds: float
    backends: dict = field(default_factory=dict)
    confidence: float = 1.0
    evidence: dict = field(default_factory=dict)
    working_box: tuple[int, int, int, int] | None = None

    def to_dict(self) -> dict:
        """JSON-ready summary (no arrays)."""
        return {
            "area": int(self.mask.sum()),
            "image_size": [int(self.mask.shape[1]), int(self.mask.shape[0])],
            "working_size": [int(self.working_shape[1]), int(self.working_shape[0])],
            "working_box": None if self.working_box is None else [int(v) for v in self.working_box],
            "confidence": round(float(self.confidence), 4),
            "evidence": {k: round(float(v), 4) for k, v in self.evidence.items()},
            "seed": int(self.seed),
            "seconds": round(float(self.seconds), 4),
            "prompt": self.prompt,
            "config": self.config.to_dict(),
            "backends": dict(self.backends),
            "history": [h.to_dict() for h in self.history],
        }


@dataclass(frozen=True, eq=False)
class ViewCut:
    """A segmentation up to the end of its working view (:meth:`~paintseg_layers.amcp.Segmenter.segment_view`);
    :meth:`~paintseg_layers.amcp.Segmenter.finish` turns it into the :class:`SegmentationResult`.

    Small (working-size arrays only), so a process pool can finish it in another worker than the one that
    started it: the full-size boundary re-cut of a large object is a task of its own.

    Attributes
    ----------
    prompt : Prompt
        The prompt, in full-image coordinates.
    seed : int
    working_box : (int, int, int, int)
        ``(x0, y0, x1, y1)`` of the crop the working view shows, in full-image px.
    working_shape : (int, int)
        ``(h, w)`` of the working view.
    mask, soft, amcp_mask : (h, w) arrays
        The refined mask (bool), the vote fraction (float32) and the AMCP mask before refinement (bool), at the
        working view's size.
    history : tuple of StepRecord
    confidence : float
    evidence : dict
    recut : bool
        Whether :meth:`~paintseg_layers.amcp.Segmenter.finish` re-cuts the boundary at full size (the view is
        coarser than the photo): the part of finishing that costs.
    seconds : float
        Wall time so far.
    """

    prompt: object
    seed: int
    working_box: tuple[int, int, int, int]
    working_shape: tuple[int, int]
    mask: np.ndarray
    soft: np.ndarray
    amcp_mask: np.ndarray
    history: tuple[StepRecord, ...]
    confidence: float
    evidence: dict
    recut: bool
    seconds: float
