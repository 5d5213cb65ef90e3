"""Classical baselines scored beside AMCP: OpenCV GrabCut from a box, a mask or clicks.

GrabCut's k-means draws from OpenCV's global RNG, so every call seeds it first: results do not
depend on call order.
"""

from __future__ import annotations

import cv2
import numpy as np

from paintseg_layers.image import resize_image, working_scale
from paintseg_layers.prompts import PointPrompt, box_mask


def grabcut_box(image: np.ndarray, box, *, working_size: int | None = None, iterations: int = 5) -> np.ndarray:
    """OpenCV GrabCut initialised with ``box`` (at full size unless ``working_size`` is given)."""
    h, w = image.shape[:2]
    s = working_scale((h, w), working_size) if working_size else 1.0
    wshape = (max(2, round(h * s)), max(2, round(w * s)))
    small = (resize_image(image, wshape) * 255).astype(np.uint8)
    x0, y0, x1, y1 = box
    rect = (int(x0 * s), int(y0 * s), max(1, int((x1 - x0) * s)), max(1, int((y1 - y0) * s)))
    gc = np.zeros(wshape, np.uint8)
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)  # GrabCut's k-means draws from OpenCV's global RNG: results must not depend on call order
    try:
        cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), gc, rect, bgd, fgd, iterations, cv2.GC_INIT_WITH_RECT)
    except cv2.error:
        return box_mask(box, (h, w))
    m = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    return cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR) > 0


def grabcut_mask(image: np.ndarray, init, *, fg=None, bg=None, iterations: int = 5) -> np.ndarray:
    """OpenCV GrabCut in mask mode at full size: ``init`` probable object, ``fg``/``bg`` hard seeds.

    Returns ``init`` (with the seeds applied) when GrabCut cannot run (e.g. one class is empty).
    """
    init = np.asarray(init, bool)
    gc = np.where(init, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    if fg is not None:
        gc[np.asarray(fg, bool)] = cv2.GC_FGD
    if bg is not None:
        gc[np.asarray(bg, bool)] = cv2.GC_BGD
    fallback = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    is_fg = np.isin(gc, (cv2.GC_FGD, cv2.GC_PR_FGD))
    if is_fg.all() or not is_fg.any():
        return fallback
    bgr = cv2.cvtColor((np.clip(image, 0, 1) * 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)  # see grabcut_box
    try:
        cv2.grabCut(bgr, gc, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return fallback
    return (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)


def _discs(shape, points, radius: int) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    for x, y in points:
        cv2.circle(out, (int(round(x)), int(round(y))), int(radius), 1, -1)
    return out > 0


def grabcut_clicks(image: np.ndarray, clicks, previous=None, *, radius: int = 5, iterations: int = 5) -> np.ndarray:
    """Click baseline: GrabCut (mask mode) from the previous result, clicks as ``radius`` px hard seeds.

    Without a previous result the start is the click prompt's own start mask.
    """
    pos = [(c.x, c.y) for c in clicks if c.positive]
    neg = [(c.x, c.y) for c in clicks if not c.positive]
    shape = image.shape[:2]
    init = previous if previous is not None else PointPrompt(tuple(pos), tuple(neg)).initial_mask(shape)
    fg, bg = _discs(shape, pos, radius), _discs(shape, neg, radius)
    return grabcut_mask(image, init, fg=fg & ~bg, bg=bg, iterations=iterations)


def click_prompt(clicks) -> PointPrompt:
    """The point prompt of a click sequence (positive clicks on the object, negative ones off it)."""
    return PointPrompt(tuple((float(c.x), float(c.y)) for c in clicks if c.positive),
                       tuple((float(c.x), float(c.y)) for c in clicks if not c.positive))
