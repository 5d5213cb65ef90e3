"""The result of discovery: :class:`Proposal`, one discovered object."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from paintseg_layers.prompts import MaskPrompt


@dataclass(frozen=True, eq=False)
class Proposal:
    """One discovered object.

    Attributes
    ----------
    mask : (H, W) bool
        The object at the input's full size (AMCP-refined when refinement ran).
    score : float
        Objectness in [0, 1] (:func:`~paintseg_layers.discovery.objectness` of ``mask``).
    box : (int, int, int, int)
        ``(x0, y0, x1, y1)`` of ``mask`` (x1, y1 exclusive).
    coarse_mask : (H, W) bool or None
        The normalised-cut proposal before refinement.
    coarse_score : float
        Objectness of ``coarse_mask``.
    terms : dict
        The score's terms (``contrast``, ``separation``, ``border_share``, ``solidity``, ``sides``,
        ``area``).
    """

    mask: np.ndarray
    score: float
    box: tuple[int, int, int, int]
    coarse_mask: np.ndarray | None = None
    coarse_score: float = 0.0
    terms: dict = field(default_factory=dict)

    def prompt(self) -> MaskPrompt:
        """The proposal as a coarse-mask prompt."""
        return MaskPrompt(self.mask)

    def to_dict(self) -> dict:
        """JSON-ready summary (no arrays)."""
        return {"score": round(float(self.score), 6), "coarse_score": round(float(self.coarse_score), 6),
                "box": [int(v) for v in self.box], "area": int(self.mask.sum()),
                "terms": {k: (round(float(v), 6) if isinstance(v, float) else v) for k, v in self.terms.items()}}
