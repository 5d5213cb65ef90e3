"""Where a painter paints: the crop around a hole and the size it is painted at."""

from __future__ import annotations

import math

import numpy as np

from paintseg_layers.masks import bbox


def round_up(value: float, multiple: int) -> int:
    """Smallest multiple of ``multiple`` that is >= ``value`` (and >= ``multiple``)."""
    return max(multiple, int(math.ceil(value / multiple - 1e-9)) * multiple)


def crop_box(mask: np.ndarray, margin: float, min_margin: int) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: the mask's box grown by ``margin`` times its long side (at least ``min_margin`` px)."""
    h, w = mask.shape
    x0, y0, x1, y1 = bbox(mask)
    pad = max(int(min_margin), int(round(margin * max(x1 - x0, y1 - y0))))
    return max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)


def paint_size(shape: tuple[int, int], resolution: int, multiple: int) -> tuple[int, int]:
    """``(height, width)`` to paint a crop of ``shape`` at: long side about ``resolution``, both multiples of ``multiple``."""
    h, w = shape
    s = resolution / max(h, w)
    return round_up(h * s, multiple), round_up(w * s, multiple)
