"""Painter evidence for a candidate: does painting it out change the image, and is its boundary an edge?

Two terms in [0, 1] that separate objects from background pieces, which the feature-histogram
contrast alone does not (a patch of a textured background contrasts with its ring as much as an object):

* ``painted``: the candidate is painted out from its surroundings (OpenCV Telea, a weight-free
  painter) and the mean CIELAB change inside it is compared with ``paint_gap``. A background piece
  is filled back nearly indistinguishably (its surroundings predict it); an object is not. A part
  of an object is predicted by the rest of the object around it, so wholes beat their parts.
* ``boundary``: the share of the candidate's boundary (away from the image frame) lying on a strong
  colour edge (within 1 px of the image's top decile of CIELAB gradient magnitude). An object's
  outline is an edge all around; a cut through a background or an object runs through flat colour.

Both use the colour image at the discovery resolution, whatever the projector, so that the cost is a
few milliseconds per candidate even with a neural projector.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi

from paintseg_layers.image import gradient_magnitude, to_uint8

#: Painting radius (px at the discovery resolution) of the Telea fill.
PAINT_RADIUS = 3
#: Share of the image's pixels counted as strong edges (the top decile of the gradient magnitude).
EDGE_QUANTILE = 0.9


class PaintEvidence:
    """Per-image state of the two evidence terms: the colour image, its Lab values and its strong edges.

    Parameters
    ----------
    image : (H, W, 3) float
        RGB in [0, 1] at the discovery resolution.
    paint_gap : float
        Mean CIELAB change (/ 100) inside a painted-out candidate at which ``painted`` reaches 1.
    paint : bool
        Whether the score uses ``painted`` (``DiscoverConfig.evidence``); ``boundary`` is always used.
    outline_power : float
        Exponent of ``boundary`` in the score (``DiscoverConfig.outline_power``).
    """

    def __init__(self, image: np.ndarray, paint_gap: float, paint: bool = True, outline_power: float = 1.0):
        self.image8 = np.ascontiguousarray(to_uint8(image))
        self.lab = blurred_lab(self.image8)
        self.paint_gap = float(paint_gap)
        self.paint = bool(paint)
        self.outline_power = float(outline_power)
        grad = gradient_magnitude(self.lab, np.float64)
        top = np.quantile(grad, EDGE_QUANTILE)
        # a flat image has no edges at all (top == 0)
        self.strong = ndi.maximum_filter(grad, 3) > top if top > 0 else np.zeros(grad.shape, bool)

    def painted(self, mask: np.ndarray) -> float:
        """``min(1, mean Lab change inside mask when painted out / paint_gap)``."""
        ys, xs = np.nonzero(mask)
        if not len(ys):
            return 0.0
        # the fill only reads PAINT_RADIUS px around the hole (and the blur 3 px): paint a crop
        pad = PAINT_RADIUS + 5
        h, w = mask.shape
        win = np.s_[max(0, ys.min() - pad) : min(h, ys.max() + pad + 1),
                    max(0, xs.min() - pad) : min(w, xs.max() + pad + 1)]
        hole = cv2.dilate(mask[win].astype(np.uint8), np.ones((3, 3), np.uint8))
        fill = cv2.inpaint(self.image8[win], hole, PAINT_RADIUS, cv2.INPAINT_TELEA)
        change = np.sqrt(((blurred_lab(fill) - self.lab[win]) ** 2).sum(-1))[mask[win]]
        return float(min(1.0, change.mean() / self.paint_gap))

    def boundary(self, mask: np.ndarray) -> float:
        """Share of ``mask``'s boundary pixels off the image frame that lie on a strong edge (1 if none)."""
        edge = mask & ~ndi.binary_erosion(mask, border_value=1)
        return float(self.strong[edge].mean()) if edge.any() else 1.0


def blurred_lab(image8: np.ndarray) -> np.ndarray:
    """CIELAB / 100 after the lab projector's 1 px blur (JPEG noise is no edge and no change)."""
    rgb = cv2.GaussianBlur(image8, (0, 0), 1.0).astype(np.float32) / 255.0
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab) / 100.0
