"""Weight-free painters: OpenCV's fast-marching / Navier-Stokes fills and PatchMatch synthesis.

* ``telea`` / ``ns`` -- smooth diffusion-type fills (OpenCV ``cv2.inpaint``); fast, but they
  smear: a masked object becomes flat colour.
* ``patchmatch`` -- exemplar texture synthesis (``pypatchmatch``): copies patches from the rest
  of the image, so it can *continue* an object's texture (what the O-step needs).

Samples differ through a seeded choice of the painting radius (OpenCV) or a seeded sub-pixel
grid shift and patch-match seed (PatchMatch).
"""

from __future__ import annotations

import cv2
import numpy as np

from paintseg_layers.errors import BackendError
from paintseg_layers.image import to_uint8
from paintseg_layers.painters.base import BasePainter, check_paint_inputs, keep_unmasked, sample_seeds


class OpenCVPainter(BasePainter):
    """``cv2.inpaint`` with ``method`` ``"telea"`` or ``"ns"``; the radius is drawn per sample.

    Parameters
    ----------
    method : {"telea", "ns"}
    radius : int
        Base neighbourhood radius in px; each sample uses ``radius + U{-jitter..jitter}``.
    jitter : int
        Per-sample radius jitter (0 makes all samples identical).
    """

    thread_safe = True  # cv2.inpaint keeps no state and releases the GIL

    def __init__(self, method: str = "telea", radius: int = 5, jitter: int = 2):
        if method not in ("telea", "ns"):
            raise BackendError(f"`method` must be 'telea' or 'ns', got {method!r}")
        self.name = method
        self.radius = int(radius)
        self.jitter = int(jitter)
        self._flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS

    def paint(self, image, mask, *, n=1, seed=0):
        rgb, m = check_paint_inputs(image, mask, n)
        if not m.any():
            return np.repeat(rgb[None], n, axis=0)
        src = to_uint8(rgb)
        m8 = m.astype(np.uint8) * 255
        out = np.empty((n, *rgb.shape), np.float32)
        done: dict[int, int] = {}  # radius -> first sample painted with it: the fill is deterministic
        for i, s in enumerate(sample_seeds(seed, n)):
            r = max(1, self.radius + int(np.random.default_rng(s).integers(-self.jitter, self.jitter + 1)))
            if r in done:
                out[i] = out[done[r]]
                continue
            done[r] = i
            out[i] = cv2.inpaint(src, m8, r, self._flag).astype(np.float32) / 255.0
        return keep_unmasked(rgb, out, m)


class PatchMatchPainter(BasePainter):
    """Exemplar (PatchMatch) painter from ``pypatchmatch``.

    Parameters
    ----------
    patch_size : int
        Patch side in px (3 is fast and detailed; 7 gives larger texture elements).
    """

    name = "patchmatch"

    def __init__(self, patch_size: int = 3):
        try:
            from patchmatch import patch_match  # noqa: PLC0415 - optional heavy dependency, imported on use
        except ImportError:  # pragma: no cover - core dependency
            raise BackendError("painter 'patchmatch' needs pypatchmatch: pip install pypatchmatch") from None
        if not patch_match.patchmatch_available:  # pragma: no cover
            raise BackendError("pypatchmatch is installed but its compiled library could not be loaded")
        self._pm = patch_match
        self.patch_size = int(patch_size)

    def paint(self, image, mask, *, n=1, seed=0):
        rgb, m = check_paint_inputs(image, mask, n)
        if not m.any():
            return np.repeat(rgb[None], n, axis=0)
        src = to_uint8(rgb)
        out = np.empty((n, *rgb.shape), np.float32)
        pad = self.patch_size
        for i, s in enumerate(sample_seeds(seed, n)):
            rng = np.random.default_rng(s)
            # a seeded shift of the patch grid gives genuinely different fills, not only a new RNG state
            dy, dx = (int(v) for v in rng.integers(0, pad + 1, size=2))
            padded = cv2.copyMakeBorder(src, dy, pad - dy, dx, pad - dx, cv2.BORDER_REFLECT)
            pm = cv2.copyMakeBorder(m.astype(np.uint8) * 255, dy, pad - dy, dx, pad - dx, cv2.BORDER_CONSTANT, value=0)
            self._pm.set_random_seed(int(s))
            filled = self._pm.inpaint(np.ascontiguousarray(padded), np.ascontiguousarray(pm),
                                      patch_size=self.patch_size)
            out[i] = filled[dy : dy + rgb.shape[0], dx : dx + rgb.shape[1]].astype(np.float32) / 255.0
        return keep_unmasked(rgb, out, m)
