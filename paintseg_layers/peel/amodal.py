"""Hidden parts: the no-painter control, and the rules that keep a hidden part attached and at the object's scale."""

from __future__ import annotations

import math

import cv2
import numpy as np
from scipy import ndimage as ndi

from paintseg_layers import masks as morph


def nearest_fill(visible: list[np.ndarray], removed: np.ndarray) -> list[np.ndarray]:
    """No-painter amodal control: each pixel of ``removed`` takes the owner of the nearest pixel outside it.

    Returns the extra (hidden) mask of every object; the background owns what no object gets.
    """
    if not removed.any():
        return [np.zeros_like(removed) for _ in visible]
    _, (iy, ix) = ndi.distance_transform_edt(removed, return_indices=True)
    out = []
    for v in visible:
        src = v & ~removed
        out.append(removed & src[iy, ix])
    return out


def connected_to(mask: np.ndarray, seed: np.ndarray) -> np.ndarray:
    if not mask.any() or not seed.any():
        return mask & seed
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    keep = np.unique(labels[seed & mask])
    keep = keep[keep > 0]
    return np.isin(labels, keep)


def within_reach(hidden: np.ndarray, visible: np.ndarray, *, reach: float) -> np.ndarray:
    """``hidden`` pixels no farther from ``visible`` than ``reach`` times its own scale.

    The scale is the radius of a disc with the visible area, so a small visible part (a cup that shows 81 px
    behind a dish) can only be completed to a shape of its own size, never to the occluder's whole region.
    ``reach`` 0 leaves ``hidden`` as it is.
    """
    if reach <= 0 or not hidden.any():
        return hidden
    radius = reach * math.sqrt(np.count_nonzero(visible) / math.pi)
    return hidden & morph.dilate(visible, max(1, int(math.ceil(radius))))
