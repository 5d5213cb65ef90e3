"""Mask helpers: morphology, boxes, overlap and resizing of ``(H, W)`` bool masks (OpenCV / SciPy / scikit-image)."""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage import morphology

from paintseg_layers.image import upsample_soft


def disk(radius: int) -> np.ndarray:
    return morphology.disk(max(0, int(radius))).astype(np.uint8)


#: From this radius on, :func:`dilate` thresholds a distance transform instead of sliding the disk.
_EDT_RADIUS = 8


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation by a disk of ``radius`` px.

    Small disks slide over the mask (OpenCV). A disk's cost grows with its area (a 0.15-image contact radius
    on a 6000 x 4000 photo is a 1800 px disk: hours), so from ``_EDT_RADIUS`` on the dilation is read off the
    exact Euclidean distance transform instead: a pixel is inside iff some mask pixel lies within
    ``radius`` -- the same pixels as the disk ``x^2 + y^2 <= radius^2``.
    """
    if radius <= 0:
        return mask.copy()
    if radius < _EDT_RADIUS:
        return cv2.dilate(mask.astype(np.uint8), disk(radius)) > 0
    m = np.asarray(mask, bool)
    box = bbox(m)
    if box is None:
        return np.zeros(m.shape, bool)
    # only the mask's box grown by the radius can change: transform that window, not the whole image
    x0, y0, x1, y1 = box
    r = int(radius)
    wy0, wx0 = max(0, y0 - r), max(0, x0 - r)
    wy1, wx1 = min(m.shape[0], y1 + r), min(m.shape[1], x1 + r)
    out = np.zeros(m.shape, bool)
    out[wy0:wy1, wx0:wx1] = ndi.distance_transform_edt(~m[wy0:wy1, wx0:wx1]) <= r
    return out


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
        m = fill_holes_2d(m)
    return keep_large_components(m, min_fraction)


def fill_holes_2d(mask: np.ndarray) -> np.ndarray:
    """``scipy.ndimage.binary_fill_holes`` of a 2-D mask (4-connected background), through OpenCV's labelling.

    The background components that touch the image's edge stay background, every other one is filled: the same
    pixels as SciPy's (which grows the background from the edge one dilation at a time), ~10x faster.
    """
    m = np.asarray(mask, bool)
    if m.ndim != 2 or m.size == 0:
        return ndi.binary_fill_holes(m)
    n, labels = cv2.connectedComponents((~m).view(np.uint8), connectivity=4)
    edge = np.zeros(n, bool)
    edge[labels[0]] = edge[labels[-1]] = edge[labels[:, 0]] = edge[labels[:, -1]] = True
    edge[0] = False  # label 0: the mask itself
    return ~edge[labels]


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


def owner_labels(masks: list[np.ndarray]) -> np.ndarray:
    """``(H, W)`` int32 label map of disjoint ``masks``: 0 where none holds a pixel, ``k + 1`` where mask ``k`` does
    (a later mask wins where they overlap)."""
    owner = np.zeros(masks[0].shape, np.int32)
    for k, m in enumerate(masks):
        owner[m] = k + 1
    return owner


def connected_to(mask: np.ndarray, seed: np.ndarray, *, connectivity: int = 8) -> np.ndarray:
    """The connected components of ``mask`` that hold a pixel of ``seed`` (``connectivity`` 4 or 8)."""
    if not mask.any() or not seed.any():
        return mask & seed
    _, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=connectivity)
    keep = np.unique(labels[seed & mask])
    return np.isin(labels, keep[keep > 0])


def bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` of the True pixels (exclusive ends), or None when empty."""
    ys = np.flatnonzero(mask.any(axis=1))
    if ys.size == 0:
        return None
    xs = np.flatnonzero(mask.any(axis=0))
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


def grown_box(mask: np.ndarray, pad: int) -> tuple[slice, slice]:
    """The (row, column) slices of ``mask``'s box grown by ``pad`` px on each side, clipped to the image."""
    x0, y0, x1, y1 = bbox(mask)
    h, w = mask.shape
    return slice(max(0, y0 - pad), min(h, y1 + pad)), slice(max(0, x0 - pad), min(w, x1 + pad))


def iou(a: np.ndarray, b: np.ndarray, ignore: np.ndarray | None = None, *, empty: float = 1.0) -> float:
    """Intersection over union of two masks, leaving out ``ignore`` pixels; ``empty`` when both are empty."""
    a = np.asarray(a, bool)
    b = np.asarray(b, bool)
    if a.shape != b.shape:
        raise ValueError(f"`a` and `b` must have the same shape, got {a.shape} and {b.shape}")
    if ignore is not None:
        keep = ~np.asarray(ignore, bool)
        a, b = a & keep, b & keep
    union = np.count_nonzero(a | b)
    return empty if union == 0 else float(np.count_nonzero(a & b) / union)


def resize_nearest(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize ``mask`` to ``shape`` ``(h, w)`` by nearest sampling (labels and hard masks)."""
    if mask.shape == tuple(shape):
        return mask
    return cv2.resize(mask.astype(np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST) > 0


def upsample(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Enlarge a working-resolution mask to ``shape`` ``(h, w)`` with smooth edges (blur, bilinear, threshold)."""
    if mask.shape == tuple(shape):
        return mask.copy()
    return upsample_soft(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.7), shape) >= 0.5
