"""A box prompt's refined mask that spans only a fragment of its box, and the refinement that replaces it.

A box is drawn round the object, so the object spans it: a mask whose own box spans a small share of the prompt
box (:func:`box_span`, the product of the width and height shares; ``AMCPConfig.fragment_span``, 0.25) kept a
piece of the object. On the peel benchmark's cut-outs this happens where the refinement's GrabCut iterations
learn colour models from the AMCP mask and the cut then shrinks onto the part whose colours stand out from the
surroundings: a camouflaged leopard's dark tail (36 px of an object of about 600, span 0.07), a dark person on
dark grass (15 px, span 0.01). The painting's votes still cover the object there. :func:`unfragment` cuts again
with the colour models learnt once from the AMCP mask (no GrabCut iterations to collapse them) and the votes
weighted ``FRAGMENT_WEIGHT`` times, and keeps that cut where it spans more of the box. Second peel set (seeds
2000-2059): visible IoU 0.911 -> 0.920, amodal IoU 0.832 -> 0.838 (the leopard 0.05 -> 0.63); first set
unchanged; touching / nested crowds 0.891 -> 0.895 / 0.908 -> 0.915; never fires on the GrabCut set's boxes;
the small-object benchmark scores as before.
"""

from __future__ import annotations

import numpy as np

from paintseg_layers.amcp.refine import AMCP_GAMMA, refine_mask
from paintseg_layers.masks import bbox

#: weight of the AMCP votes in the fragment's second cut (the first cut's ``AMCPConfig.refine_weight`` is 0.4):
#: on the nine masks of the two peel-benchmark sets' box prompts spanning under half their box (visible-mask IoU
#: of the raw segment), 1.0 rescued the leopard but not the dark person (0.018 -> 0.668, span 0.44), 4.0 followed
#: the painting's blobs into the background (a person 0.638 -> 0.466); 0.4 (the first cut's) left the leopard a tail
FRAGMENT_WEIGHT = 2.0


def box_span(mask: np.ndarray, box) -> float:
    """Share of ``box`` (x0, y0, x1, y1) that ``mask``'s bounding box spans: the product of the shares of its
    width and of its height (1.0 without a box, 0.0 for an empty mask)."""
    if box is None:
        return 1.0
    b = bbox(mask)
    if b is None:
        return 0.0
    x0, y0, x1, y1 = box
    return min(1.0, (b[2] - b[0]) / max(1.0, x1 - x0)) * min(1.0, (b[3] - b[1]) / max(1.0, y1 - y0))


def unfragment(image: np.ndarray, soft: np.ndarray, amcp_mask: np.ndarray, mask: np.ndarray, box, *,
               min_span: float, valid=None, fg_seeds=None, bg_seeds=None, seed: int = 0,
               cut_again=None, gamma: float = AMCP_GAMMA) -> np.ndarray:
    """``mask``, or where it spans under ``min_span`` of the prompt ``box`` (:func:`box_span`), the cut with the
    colour models learnt once from ``amcp_mask`` and the votes ``soft`` weighted :data:`FRAGMENT_WEIGHT`, when that
    spans more of the box (all arrays at the working view's size, ``box`` in its px).

    ``cut_again``: the ``cut_again`` of the refinement that gave ``mask`` (``refine_mask(..., again=True)`` from
    ``amcp_mask`` with the same arguments): the same cut on that refinement's graph and first colour models
    (the 4-box speed photo's two fragments: 0.07 -> 0.03 s CPU each); None cuts from scratch. ``gamma``: that
    refinement's smoothness weight, for the cut from scratch."""
    span = box_span(mask, box)
    if min_span <= 0 or span >= min_span or not amcp_mask.any():
        return mask
    if cut_again is not None:
        alt = cut_again(FRAGMENT_WEIGHT)
    else:
        alt = refine_mask(image, soft, amcp_mask, valid=valid, fg_seeds=fg_seeds, bg_seeds=bg_seeds,
                          weight=FRAGMENT_WEIGHT, iterations=1, seed=seed, gamma=gamma)
    return alt if box_span(alt, box) > span else mask


__all__ = ["FRAGMENT_WEIGHT", "box_span", "unfragment"]
