"""Small mask helpers built on scikit-image / SciPy / OpenCV morphology."""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage import morphology


def disk(radius: int) -> np.ndarray:
    return morphology.disk(max(0, int(radius))).astype(np.uint8)


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation by a disk of ``radius`` px (OpenCV: fast on large masks)."""
    if radius <= 0:
        return mask.copy()
    return cv2.dilate(mask.astype(np.uint8), disk(radius)) > 0


def erode(mask: np.ndarray, radius: int) -> np.ndarray:
    if radius <= 0:
        return mask.copy()
    return cv2.erode(mask.astype(np.uint8), disk(radius), borderType=cv2.BORDER_REPLICATE) > 0


def clean(mask: np.ndarray, radius: int = 1, *, min_fraction: float = 0.05, fill_holes: bool = True) -> np.ndarray:
    """Open, close, fill holes and drop components smaller than ``min_fraction`` of the largest."""
    m = mask.astype(bool)
    if radius > 0:
        k = disk(radius)
        m = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN, k) > 0
        m = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_CLOSE, k) > 0
    if fill_holes:
        m = ndi.binary_fill_holes(m)
    return keep_large_components(m, min_fraction)


def shrink(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize ``mask`` to ``size`` ``(w, h)`` by area averaging: inside where more than half of a pixel was."""
    if mask.shape == (size[1], size[0]):
        return mask.astype(bool)
    return cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.5


def keep_large_components(mask: np.ndarray, min_fraction: float) -> np.ndarray:
    """Keep connected components whose area is at least ``min_fraction`` of the largest one."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 2:
        return mask.astype(bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= min_fraction * areas.max()) + 1
    return np.isin(labels, keep)


def bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` of the True pixels (exclusive ends), or None when empty."""
    ys = np.flatnonzero(mask.any(axis=1))
    if ys.size == 0:
        return None
    xs = np.flatnonzero(mask.any(axis=0))
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1
