"""How much evidence an AMCP run found: contrast, agreement of the samples, stability across steps.

Each step reports three numbers in [0, 1]:

* **contrast**: how much more the painting changed the pixels the step calls object than those it
  calls background: the gap ``g`` between the two groups' mean log contrastive potentials (a log
  ratio of feature distances), mapped linearly from ``GAP_NONE`` (0) to ``GAP_FULL`` (1) nats. A
  painter that reproduces object and surroundings alike leaves only k-means' split of noise
  (``g`` about 1.5); a distinct object is changed 50-100x more than its surroundings (``g`` 4-4.5);
* **agreement**: mean ``|2 f - 1|`` of the vote fraction ``f`` over the painted pixels: 1 when the
  ``N`` samples vote alike everywhere, 0 when they split evenly;
* **stability**: IoU of the mask before and after the step (1 for the first step, which leaves the
  prompt by design).

The confidence is the geometric mean of the three step means: weak in any one of them is weak.
"""

from __future__ import annotations

import numpy as np

#: Gap (nats) between the groups' mean log potentials that counts as no evidence / as full evidence.
GAP_NONE, GAP_FULL = 1.5, 4.5


def step_evidence(values: np.ndarray, is_object: np.ndarray, frac: np.ndarray, painted: np.ndarray) -> dict:
    """Contrast and agreement of one step.

    Parameters
    ----------
    values : (M,) float
        Log potentials of the painted pixels of all samples.
    is_object : (M,) bool
        Their object vote.
    frac : (h, w) float
        Vote fraction over the samples.
    painted : (h, w) bool
        Pixels painted in at least one sample.
    """
    a, b = values[is_object], values[~is_object]
    if a.size < 2 or b.size < 2:
        contrast = 0.0
    else:
        gap = abs(float(a.mean() - b.mean()))
        contrast = float(np.clip((gap - GAP_NONE) / (GAP_FULL - GAP_NONE), 0, 1))
    agreement = float(np.abs(2 * frac[painted] - 1).mean()) if painted.any() else 0.0
    return {"contrast": contrast, "agreement": agreement}


def confidence_of(evidence: list[dict]) -> tuple[float, dict]:
    """``(confidence, {term: mean over steps})`` from the steps' evidence; no steps: ``(0, zeros)``."""
    names = ("contrast", "agreement", "stability")
    if not evidence:
        return 0.0, dict.fromkeys(names, 0.0)
    terms = {k: round(float(np.mean([e[k] for e in evidence])), 4) for k in names}
    conf = float(np.prod([max(v, 0.0) for v in terms.values()]) ** (1 / len(names)))
    return round(conf, 4), terms


__all__ = ["GAP_FULL", "GAP_NONE", "confidence_of", "step_evidence"]
