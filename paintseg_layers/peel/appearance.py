"""Appearance of what is hidden: a layer's hidden part from its own pixels (the plate: :mod:`.plate`)."""

from __future__ import annotations

import cv2
import numpy as np

from paintseg_layers import masks as morph
from paintseg_layers.image import to_uint8
from paintseg_layers.masks import bbox


def own_appearance(rgb: np.ndarray, visible: np.ndarray, amodal: np.ndarray, *, seed: int = 0, patch_size: int = 3,
                   pad: int = 4, scale: float = 1.0) -> np.ndarray:
    """``rgb`` with the hidden part (``amodal & ~visible``) synthesised from the object's visible pixels only.

    Exemplar synthesis (PatchMatch, ``pypatchmatch``, a core dependency) fills the hidden part on a crop
    around the object, with every pixel that is neither the object's visible part nor the hidden part
    excluded from the sources (``global_mask``): no colour of the occluder or the background can enter
    it, and stripes or checks continue instead of smearing. On the peel benchmark's scenes (seeds
    1000-1049, true hidden regions, the predicted visible masks) it scored 19.65 dB against the truth,
    against 19.42 dB for OpenCV's Telea fill restricted the same way (6x faster but a smear), 18.1 dB
    for copying the nearest visible pixel, and about 16.8 dB for the running painting used before.

    Parameters
    ----------
    rgb : (H, W, 3) float32
    visible, amodal : (H, W) bool
    seed : int
        Seeds PatchMatch's random search.
    patch_size : int
        Patch radius of PatchMatch in px.
    pad : int
        Margin of the crop around the amodal mask.
    scale : float
        Synthesise at this scale of the crop (<= 1; the fill is enlarged bilinearly): the engine passes
        the AMCP working scale, the resolution the masks were found at. PatchMatch's time grows with the
        crop's area: on a 640 x 480 photo with 4 boxes, 0.5 takes 0.27x the time of 1 for the two fills.

    Returns
    -------
    (H, W, 3) float32
        A copy of ``rgb``, changed only inside the hidden part.
    """
    out = rgb.copy()
    hidden = amodal & ~visible
    if not hidden.any() or not visible.any():
        return out
    x0, y0, x1, y1 = bbox(amodal)
    h, w = visible.shape
    sl = slice(max(0, y0 - pad), min(h, y1 + pad)), slice(max(0, x0 - pad), min(w, x1 + pad))
    crop, hole, source = rgb[sl], hidden[sl], visible[sl]
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    if scale < 1 and min(size) >= 2 * patch_size + 1:
        # at the working scale: a pixel is a source only where all of it was visible; the hole takes every pixel
        # with some of the hidden part, and their neighbours, so the bilinear enlargement reads only the fill
        small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        small_hole = morph.dilate(cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0, 1)
        small_source = cv2.resize(source.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.999
        if (small_source & ~small_hole).any():
            filled = _patch_match(small, small_hole, small_source, seed, patch_size)
            filled = cv2.resize(filled, crop.shape[1::-1], interpolation=cv2.INTER_LINEAR)
            out[sl][hole] = filled[hole]
            return out
    out[sl][hole] = _patch_match(crop, hole, source, seed, patch_size)[hole]
    return out


def _patch_match(crop: np.ndarray, hole: np.ndarray, source: np.ndarray, seed: int, patch_size: int) -> np.ndarray:
    """PatchMatch's fill of ``hole`` in ``crop`` (float RGB) from the ``source`` pixels only."""
    from patchmatch import patch_match  # noqa: PLC0415 - loads a compiled library; only needed when something is hidden

    patch_match.set_random_seed(int(seed))
    filled = patch_match.inpaint(np.ascontiguousarray(to_uint8(crop)), hole.astype(np.uint8) * 255,
                                 global_mask=(~source & ~hole).astype(np.uint8) * 255, patch_size=int(patch_size))
    return filled.astype(np.float32) / 255.0
