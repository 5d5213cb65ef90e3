"""Paint an object out of a photo at a working resolution, touching only pixels near it."""

from __future__ import annotations

import cv2
import numpy as np

from paintseg_layers import masks as morph
from paintseg_layers.image import as_rgb, resize_image, upsample_soft, working_scale
from paintseg_layers.painters import Painter


def paint_out(image: np.ndarray, mask: np.ndarray, painter: Painter, *, seed: int = 0, work: np.ndarray | None = None,
              work_mask: np.ndarray | None = None, dilation: int = 3, working_size: int = 512) -> np.ndarray:
    """Paint the region ``mask`` (dilated) out of ``image``; pixels far from it stay exactly as they were.

    The painter runs at a working resolution (``work``/``work_mask`` if given, else a downscale to
    ``working_size``); its fill is upsampled into the full-size image only inside the dilated mask.
    """
    image = as_rgb(image)
    full_shape = image.shape[:2]
    if not mask.any():
        return image.copy()
    if work is None or work_mask is None:
        s = working_scale(full_shape, working_size)
        wshape = (max(2, round(full_shape[0] * s)), max(2, round(full_shape[1] * s)))
        work = resize_image(image, wshape)
        work_mask = upsample_soft(mask.astype(np.float32), wshape) > 0.01
    hole = morph.dilate(work_mask, dilation)
    painted = painter.paint(work, hole, n=1, seed=seed)[0]
    scale = full_shape[0] / work.shape[0]
    full_hole = morph.dilate(mask, max(1, int(round(dilation * scale))))
    out = image.copy()
    if painted.shape[:2] != full_shape:
        painted = cv2.resize(painted, (full_shape[1], full_shape[0]), interpolation=cv2.INTER_LINEAR)
    out[full_hole] = painted[full_hole]
    return out


__all__ = ["paint_out"]
