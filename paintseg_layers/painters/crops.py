"""Where a painter paints: the crop around a hole and the size it is painted at."""

from __future__ import annotations

import math

import cv2
import numpy as np

from paintseg_layers.image import resize_image, upsample_soft
from paintseg_layers.masks import bbox
from paintseg_layers.painters.base import paste


def round_up(value: float, multiple: int) -> int:
    """Smallest multiple of ``multiple`` that is >= ``value`` (and >= ``multiple``)."""
    return max(multiple, int(math.ceil(value / multiple - 1e-9)) * multiple)


def crop_box(mask: np.ndarray, margin: float, min_margin: int) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: the mask's box grown by ``margin`` times its long side (at least ``min_margin`` px)."""
    h, w = mask.shape
    x0, y0, x1, y1 = bbox(mask)
    pad = max(int(min_margin), int(round(margin * max(x1 - x0, y1 - y0))))
    return max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)


def paint_at_most(paint, image: np.ndarray, hole: np.ndarray, size: int | None, *, n: int, seed: int) -> np.ndarray:
    """``paint(image, hole, n=n, seed=seed)`` on a copy at most ``size`` px on its long side.

    The hole is shrunk to every pixel holding some of it, and each fill is enlarged bilinearly into the
    hole (pixels outside it are ``image``'s). With ``size`` 0 / None, or an image no larger, ``paint``'s
    own output is returned.
    """
    h, w = hole.shape
    if not size or max(h, w) <= size:
        return paint(image, hole, n=n, seed=seed)
    s = size / max(h, w)
    shape = (max(2, round(h * s)), max(2, round(w * s)))
    painted = paint(resize_image(image, shape), upsample_soft(hole.astype(np.float32), shape) > 0.01, n=n, seed=seed)
    out = np.repeat(image[None], n, axis=0)
    for i in range(n):  # a masked copy, not a gather and scatter of the hole's pixels (the same values, faster)
        up = cv2.resize(painted[i], (w, h), interpolation=cv2.INTER_LINEAR)
        paste(out[i], up.astype(out.dtype, copy=False), hole)
    return out


def paint_size(shape: tuple[int, int], resolution: int, multiple: int) -> tuple[int, int]:
    """``(height, width)`` to paint a crop of ``shape`` at.

    The long side is about ``resolution``; both sides are multiples of ``multiple``.
    """
    h, w = shape
    s = resolution / max(h, w)
    return round_up(h * s, multiple), round_up(w * s, multiple)


def grow_to_cells(masks: np.ndarray, cell: int) -> np.ndarray:
    """``masks`` ``(n, H, W)`` bool grown to whole ``cell`` x ``cell`` cells (H and W multiples of ``cell``).

    A cell with any masked pixel becomes fully masked, so nearest sampling to the cell grid (what an
    inpainting pipeline does to reach its latent resolution) keeps every masked pixel.
    """
    n, h, w = masks.shape
    if cell <= 1:
        return masks.copy()
    if h % cell or w % cell:
        raise ValueError(f"mask size {w} x {h} is not a multiple of the cell size {cell}")
    cells = masks.reshape(n, h // cell, cell, w // cell, cell).any(axis=(2, 4))
    return np.repeat(np.repeat(cells, cell, axis=1), cell, axis=2)
