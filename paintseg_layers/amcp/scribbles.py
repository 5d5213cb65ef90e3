"""Scribble prompts: the strokes seed the colour models, the AMCP start grows from them, and they are kept.

A scribble says little about the object's extent (a few thin strokes), so the box around the strokes
(grown 1.8x) is a poor start for AMCP: a weight-free painter fills it from whatever surrounds it, and
the first steps lose the object. Instead:

1. :func:`grow_from_strokes` -- the start region is grown from the object strokes by a colour-only
   graph cut (OpenCV GrabCut in mask mode): the object strokes and background strokes are hard
   labels and the colour models' seeds; the strokes' box grown 1.8x is probably object, the rest
   probably background (a short stroke can still grow past its box). The connected parts touching
   an object stroke are kept.
2. AMCP runs from that region, as from a coarse mask (:func:`scribble_start`).
3. :func:`keep_strokes` -- the final mask honours the strokes exactly at full resolution: every
   object-stroke pixel is in it, no background-stroke pixel is.
"""

from __future__ import annotations

import cv2
import numpy as np
from threadpoolctl import threadpool_limits

from paintseg_layers.image import resize_image, upsample_soft, working_scale
from paintseg_layers.masks import bbox, connected_to
from paintseg_layers.prompts import VALID_MARGIN, ScribblePrompt, box_mask, grow_box

#: GrabCut iterations of the colour-only growth.
GROW_ITERATIONS = 5
#: Long side, in px, at which the start region is grown (images larger than this are downscaled).
GROW_SIZE = 640


def grow_from_strokes(image: np.ndarray, start: np.ndarray, fg: np.ndarray, bg: np.ndarray, *,
                      seed: int = 0) -> np.ndarray:
    """The AMCP start region of a scribble: a colour graph cut seeded by the strokes, inside ``start``.

    Parameters
    ----------
    image : (H, W, 3) float32
        RGB in [0, 1] (the working resolution).
    start : (H, W) bool
        Probably object at first (the prompt's initial mask: the strokes' box grown 1.8x); the rest
        is probably background.
    fg, bg : (H, W) bool
        Object and background strokes (hard labels).
    seed : int
        Seeds OpenCV's RNG (GrabCut's k-means).

    Returns
    -------
    (H, W) bool
        The connected parts of the cut that touch an object stroke, plus the object strokes; ``start``
        when the cut cannot run (e.g. a flat image).
    """
    labels = np.where(start, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    labels[bg] = cv2.GC_BGD
    labels[fg] = cv2.GC_FGD
    if start.all() or not fg.any():
        return start | fg
    img8 = np.ascontiguousarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(int(seed))
    with threadpool_limits(1):
        try:
            cv2.grabCut(cv2.cvtColor(img8, cv2.COLOR_RGB2BGR), labels, None, bgd, fgd, GROW_ITERATIONS,
                        cv2.GC_INIT_WITH_MASK)
        except cv2.error:  # degenerate colour statistics
            return start | fg
    grown = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    return connected_to(grown, fg, connectivity=4) | fg


def scribble_start(image: np.ndarray, prompt: ScribblePrompt, shape: tuple[int, int], *,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """AMCP's start mask and valid region for a scribble, at the working ``shape``.

    The region is grown from the strokes (:func:`grow_from_strokes`) at the image's own resolution
    (at most :data:`GROW_SIZE` px on the long side): thin strokes and fine colour boundaries do not
    survive the working resolution (GrabCut set, ``scribbles_set1``: the region grown at 320 px
    matches the truth at 0.810 mean IoU, at full size 0.816). It is then treated like a coarse-mask
    prompt: the result stays inside its box grown :data:`~paintseg_layers.prompts.VALID_MARGIN` times.

    Parameters
    ----------
    image : (H, W, 3) float32
        The full image, RGB in [0, 1].
    prompt : ScribblePrompt
        In ``image``'s pixel coordinates.
    shape : (int, int)
        The working resolution ``(h, w)``.
    seed : int

    Returns
    -------
    mask, valid : (h, w) bool
    """
    h, w = image.shape[:2]
    s = working_scale((h, w), GROW_SIZE)
    gshape = (max(2, round(h * s)), max(2, round(w * s)))
    p = prompt if gshape == (h, w) else prompt.scaled(gshape[1] / w, gshape[0] / h)
    img = image if gshape == (h, w) else resize_image(image, gshape)
    fg, bg = p.seeds(gshape)
    grown = grow_from_strokes(img, p.initial_mask(gshape), fg, bg, seed=seed)
    small = upsample_soft(grown.astype(np.float32), shape) >= 0.5
    if not small.any():  # strokes lost at the working resolution
        return prompt.scaled(shape[1] / w, shape[0] / h).initial_mask(shape), np.ones(shape, bool)
    valid = box_mask(grow_box(bbox(small), VALID_MARGIN, shape, min_pad=2), shape)
    return small, valid


def keep_strokes(mask: np.ndarray, fg: np.ndarray, bg: np.ndarray | None) -> np.ndarray:
    """``mask`` with every object-stroke pixel set and every background-stroke pixel cleared."""
    out = mask | fg
    if bg is not None:
        out &= ~bg
    return out
