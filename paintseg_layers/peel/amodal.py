"""Hidden parts: the no-painter control and the connectivity rule that keeps a hidden part attached."""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi


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
