"""From the analysis resolution back to the photo's: layers and plate at full size, on the 8-bit grid.

Peeling runs on a copy of the photo no larger than ``PeelConfig.analysis_size`` (AMCP itself works at a few
hundred pixels, so nothing is lost); only the outputs are full size. They are built here without full-size
float temporaries beyond a strip: visible pixels come from the photo, hidden pixels and the plate's
removed regions from the working-resolution painting, resized only inside the window that needs them
(:func:`paintseg_layers.image.resize_window`). Outputs are uint8 (what
:class:`~paintseg_layers.layers.Layer` stores), so a 6000 x 4500 decomposition with five objects holds
about 1 GB instead of several.
"""

from __future__ import annotations

import numpy as np

from paintseg_layers import masks as morph
from paintseg_layers.image import resize_window, to_uint8

ROWS = 256  # strip height of the full-size passes


def uint8_strips(rgb: np.ndarray, *, rows: int = ROWS) -> np.ndarray:
    """``to_uint8(rgb)`` a strip of rows at a time (no full-size float temporary)."""
    out = np.empty(rgb.shape, np.uint8)
    for y in range(0, rgb.shape[0], rows):
        out[y:y + rows] = to_uint8(rgb[y:y + rows])
    return out


def _paste(out: np.ndarray, where: np.ndarray, source: np.ndarray) -> None:
    """``out[where, :3] = source[where]`` (uint8), with ``source`` at ``where``'s size or smaller (resized)."""
    box = morph.bbox(where)
    if box is None:
        return
    x0, y0, x1, y1 = box
    if source.shape[:2] == where.shape:
        patch = source[y0:y1, x0:x1]
    else:
        patch = resize_window(source, where.shape, box)
    for y in range(0, y1 - y0, ROWS):  # dense copies under a mask beat boolean indexing by ~10x
        sl = slice(y, y + ROWS)
        np.copyto(out[y0:y1, x0:x1][sl, :, :3], to_uint8(patch[sl]), where=where[y0:y1, x0:x1][sl, :, None])


def layer_rgba(rgb: np.ndarray, fill: np.ndarray, visible: np.ndarray, amodal: np.ndarray, *,
               rows: int = ROWS) -> np.ndarray:
    """A layer's RGBA (uint8): the photo where visible, ``fill`` where hidden, alpha = ``amodal``.

    Equal to ``to_uint8(concat(where(visible, rgb, fill) * amodal, amodal))``. ``fill`` may be at a lower
    resolution than ``rgb`` (it is resized bilinearly, only around the hidden pixels).
    """
    h, w = visible.shape
    out = np.zeros((h, w, 4), np.uint8)
    box = morph.bbox(amodal)
    if box is None:
        return out
    x0, y0, x1, y1 = box  # all is zero outside the amodal box
    for y in range(y0, y1, rows):
        sl = np.s_[y:min(y1, y + rows), x0:x1]
        a = amodal[sl]
        np.copyto(out[sl][..., :3], to_uint8(rgb[sl]), where=(visible[sl] & a)[..., None])
        out[sl][..., 3] = a.view(np.uint8) * np.uint8(255)
    _paste(out, amodal & ~visible, fill)
    return out


def lift_masks(visible: list[np.ndarray], amodal: list[np.ndarray], shape) -> tuple[list, list]:
    """Masks of layers (front to back) at ``shape``: visible masks disjoint, each inside its amodal mask."""
    if visible and visible[0].shape == tuple(shape):
        return visible, amodal
    covered = np.zeros(shape, bool)
    vis_out, amo_out = [], []
    for v, a in zip(visible, amodal):
        v_full = morph.upsample(v, shape) & ~covered
        covered |= v_full
        vis_out.append(v_full)
        amo_out.append(morph.upsample(a, shape) | v_full)
    return vis_out, amo_out


def lift_plate(rgb: np.ndarray, plate: np.ndarray, work: np.ndarray) -> np.ndarray:
    """The plate at ``rgb``'s size (uint8): the photo, with the pixels the painter changed in ``work`` replaced."""
    if plate.shape == rgb.shape:
        return uint8_strips(plate)
    out = uint8_strips(rgb)
    changed = np.any(plate != work, axis=2)
    if changed.any():
        _paste(out, morph.upsample(morph.dilate(changed, 1), rgb.shape[:2]), plate)
    return out
