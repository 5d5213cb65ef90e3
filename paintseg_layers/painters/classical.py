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

from paintseg_layers.errors import BackendError, InputError, is_int, is_number
from paintseg_layers.image import to_uint8
from paintseg_layers.painters.base import BasePainter, check_paint_inputs, keep_unmasked, sample_seeds
from paintseg_layers.painters.crops import crop_box, paint_at_most


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


#: Long side (px) AMCP's PatchMatch samples are painted at, at most (:meth:`PatchMatchPainter.for_step`). Peel
#: benchmark, seeds 1000-1019, against the full-size unshared painter (7.5 CPU s / scene): 96 px keeps the amodal
#: IoU (0.855 vs 0.850) and depth order (47 vs 48 of 56 pairs) at 0.56x the CPU; 64 px costs 0.008 and 3 pairs at 0.28x.
#: Whole sets at 96 px (visible / amodal / control / depth): seeds 1000-1049 0.928 / 0.843 / 0.810 / 0.921, seeds
#: 2000-2059 0.915 / 0.824 / 0.796 / 0.919 (at 64 px: 0.923 / 0.822 / 0.792 / 0.899 and 0.903 / 0.820 / 0.792 / 0.912)
STEP_SIZE = 96

#: Tried on the step painter and not kept (peel benchmark, visible / amodal / depth; the decomposition's own seed
#: alone moves these: ``--seed 1`` against 0 gives seeds 1000-1049 0.930 / 0.839 / 0.914 against 0.938 / 0.860 /
#: 0.928, seeds 2000-2059 0.928 / 0.852 / 0.946 against 0.931 / 0.845 / 0.919, so Telea's 0.946 there is within it).
#: The object is in the I-step's hole from the box on, so PatchMatch does not copy it back; where its masks are
#: worse (single AMCP runs on seeds 2000-2059: box IoU 0.774 against Telea's 0.783) it fills the hole with the
#: surroundings' commonest texture (grass across the part of a disc inside the box) or copies a neighbour's
#: structured patch (glasses into the hair above a face), and the I-step keeps that background.
#: * sources cut to the step's region (I: nothing within 2 px of the hole; O: only what the band encloses): the
#:   I-step no longer copies the neighbour that shares the box and keeps it, seeds 2000-2059 0.931 / 0.845 / 0.919
#:   -> 0.920 / 0.844 / 0.946; the O-step's cut alone 0.930 / 0.844 / 0.919.
#: * Telea's fill under PatchMatch's texture (the fill minus its 1.5 px blur; commit dc05ab7): single
#:   AMCP runs 0.774 -> 0.782, GrabCut box IoU (30 photos) AMCP alone 0.698 -> 0.708, default 0.827 -> 0.823; peel,
#:   mean of seeds 0 and 1, 1000-1049 0.934 / 0.850 / 0.921 -> 0.931 / 0.848 / 0.939, 2000-2059 0.930 / 0.849 /
#:   0.933 -> 0.936 / 0.850 / 0.929: within the seeds' spread.
#: * patch radius 5: 1000-1049 0.935 / 0.855 / 0.935, 2000-2059 0.926 / 0.850 / 0.953 at twice the time.


#: Whether AMCP's samples share one PatchMatch fill per distinct hole (:meth:`PatchMatchPainter.for_step`). AMCP
#: jitters the hole's dilation over 3 radii, so 5 shared samples hold at most 3 fills, two or three of them one
#: random PatchMatch fill: a fill that copies the wrong texture (the surroundings' commonest one across the object,
#: a neighbour's patch) carries the majority of the votes. Telea's fill is deterministic per radius, PatchMatch's is
#: not, so its own fill per sample is a fairer vote. Peel benchmark, shared -> own fill per sample (seed 0; visible /
#: amodal / control / depth): seeds 2000-2059 0.931 / 0.845 / 0.809 / 0.919 -> 0.933 / 0.855 / 0.822 / 0.946,
#: hidden parts 20.07 -> 20.29 dB, plate 22.83 -> 22.77 dB, 1.55x the CPU (2.77 -> 4.30 s per scene). First-pass
#: harness, wrong depth pairs / visible IoU: seeds 1000-1049 10 -> 8 (0.9377 -> 0.9355), 2000-2059 12 -> 8
#: (0.9313 -> 0.9328), 4000-4049 15 -> 11 (0.9151 -> 0.9146), 5000-5059 22 -> 22 (0.9196 -> 0.9188); seed 1:
#: 12 -> 7 and 8 -> 6 wrong. Seeds 1000-1049: 0.938 / 0.860 / 0.815 / 0.928 -> 0.935 / 0.845 / 0.802 / 0.942 (the
#: amodal loss is one face its front neighbour swallowed, scene 1041), with ``--seed 1`` 0.930 / 0.839 / - / 0.914
#: -> 0.938 / 0.852 / 0.810 / 0.950; seeds 2000-2059 ``--seed 1`` 0.928 / 0.852 / - / 0.946 -> 0.928 / 0.856 /
#: 0.820 / 0.959.
STEP_SHARE = False


class PatchMatchPainter(BasePainter):
    """Exemplar (PatchMatch) painter from ``pypatchmatch``.

    PatchMatch searches the whole image it is given, and its time grows with that image's area: the hole can
    be painted on a crop around it (``margin``) no larger than ``max_size`` px on its long side, the fill
    enlarged bilinearly into the hole. AMCP's steps (:meth:`for_step`) paint their samples at most
    ``step_size`` px, each sample its own fill (``step_share`` False, :data:`STEP_SHARE`), while plates and
    object removal (:meth:`paint`) keep the full size.

    Parameters
    ----------
    patch_size : int
        Patch radius in px (3 is fast and detailed; 7 gives larger texture elements).
    max_size : int or None
        Long side (px) the crop is painted at, at most; None paints it at its own size.
    margin : float or None
        The crop reaches this many times the hole's long side beyond the hole's box on each side (the
        sources PatchMatch may copy from); None paints on the whole image.
    share : bool
        Paint one fill per call and return it as every one of the ``n`` samples: a caller whose samples
        differ in their holes (AMCP's jittered dilations) still gets one painting per distinct hole.
    step_size : int or None
        ``max_size`` of the painter :meth:`for_step` gives AMCP (None: ``max_size``).
    step_share : bool
        ``share`` of that painter.
    """

    name = "patchmatch"

    def __init__(self, patch_size: int = 3, max_size: int | None = None, margin: float | None = None,
                 share: bool = False, step_size: int | None = STEP_SIZE,
                 step_share: bool = STEP_SHARE):
        try:
            from patchmatch import patch_match  # noqa: PLC0415 - optional heavy dependency, imported on use
        except ImportError:  # pragma: no cover - core dependency
            raise BackendError("painter 'patchmatch' needs pypatchmatch: pip install pypatchmatch") from None
        if not patch_match.patchmatch_available:  # pragma: no cover
            raise BackendError("pypatchmatch is installed but its compiled library could not be loaded")
        if not is_int(patch_size, 1):
            raise BackendError(f"`patch_size` must be an integer >= 1, got {patch_size!r}")
        for name, size in (("max_size", max_size), ("step_size", step_size)):
            if size is not None and not is_int(size, 8):
                raise BackendError(f"`{name}` must be None or an integer >= 8, got {size!r}")
        if margin is not None and not (is_number(margin) and margin >= 0):
            raise BackendError(f"`margin` must be None or a number >= 0, got {margin!r}")
        self._pm = patch_match
        self.patch_size = int(patch_size)
        self.max_size = None if max_size is None else int(max_size)
        self.margin = None if margin is None else float(margin)
        self.share = bool(share)
        self.step_size = None if step_size is None else int(step_size)
        self.step_share = bool(step_share)
        self._sampler: PatchMatchPainter | None = None

    def for_step(self, kind: str) -> PatchMatchPainter:
        """The painter of AMCP's step ``kind`` (``"I"`` or ``"O"``): this one at ``step_size`` and ``step_share``."""
        if kind not in ("I", "O"):
            raise InputError(f"`kind` must be 'I' or 'O', got {kind!r}")
        if self._sampler is None:
            sizes = [v for v in (self.max_size, self.step_size) if v is not None]
            self._sampler = PatchMatchPainter(self.patch_size, max_size=min(sizes) if sizes else None,
                                              margin=self.margin, share=self.share or self.step_share,
                                              step_size=None, step_share=False)
        return self._sampler

    def paint(self, image, mask, *, n=1, seed=0):
        rgb, m = check_paint_inputs(image, mask, n)
        if not m.any():
            return np.repeat(rgb[None], n, axis=0)
        sl = np.s_[:, :]
        if self.margin is not None:
            x0, y0, x1, y1 = crop_box(m, self.margin, 2 * self.patch_size + 1)
            sl = np.s_[y0:y1, x0:x1]
        crop, hole = rgb[sl], m[sl]
        k = 1 if self.share else n
        fills = paint_at_most(self._inpaint, crop, hole, self.max_size, n=k, seed=seed)
        out = np.repeat(rgb[None], n, axis=0)
        for i in range(n):
            out[i][sl][hole] = fills[i % k][hole]
        return out

    def _inpaint(self, rgb, m, *, n, seed):
        """``n`` PatchMatch fills ``(n, H, W, 3)`` float32 of ``m`` in ``rgb``, each with its own seed and grid."""
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
        return out
