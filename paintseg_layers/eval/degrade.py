"""Prompts simulated from a ground-truth mask: seeded coarse masks and generated scribbles.

The coarse-mask protocol of PaintSeg starts from an unsupervised mask (TokenCut on ECSSD, IoU about
0.71). :func:`degrade_mask` stands in for such a mask: a documented, seeded chain of the errors
those masks make, applied to the ground truth:

1. **polygon simplification**: each outer contour is simplified (Douglas-Peucker) with a tolerance
   of ``simplify`` times the object's equivalent radius (loses thin parts and concavities);
2. **boundary shift**: the mask is dilated or eroded by a radius drawn uniformly in
   ``[-shift, +shift]`` times the equivalent radius (a too-large or too-tight mask);
3. **blobs added**: ``blobs`` random ellipses (radii ``blob_size`` times the equivalent radius)
   centred on the boundary are added (background leaking in);
4. **blobs cut**: as many ellipses, centred on the boundary of the result, are removed (parts missed).

The same ``seed`` gives the same mask; the ground truth is never modified. The object is never
removed entirely (the ground truth's interior-most point is kept when everything else is cut).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage.morphology import skeletonize

from paintseg_layers.errors import InputError, check_known_keys, is_int

__all__ = ["DegradeConfig", "degrade_mask", "generate_scribbles"]


@dataclass(frozen=True)
class DegradeConfig:
    """Strength of each degradation, relative to the object's equivalent radius ``sqrt(area / pi)``.

    Attributes
    ----------
    simplify : float
        Douglas-Peucker tolerance (0 = off).
    shift : float
        Maximum boundary dilation (+) or erosion (-) radius.
    blobs : int
        Number of ellipses added and, separately, cut.
    blob_size : float
        Mean ellipse radius.
    """

    simplify: float = 0.08
    shift: float = 0.12
    blobs: int = 3
    blob_size: float = 0.25

    def __post_init__(self):
        for name in ("simplify", "shift", "blob_size"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise InputError(f"`{name}` must be a finite number >= 0, got {v!r}")
        if not is_int(self.blobs, 0):
            raise InputError(f"`blobs` must be an integer >= 0, got {self.blobs!r}")

    @classmethod
    def from_dict(cls, data) -> DegradeConfig:
        """Build from a dict (e.g. an :class:`~paintseg_layers.eval.spec.EvalSpec`'s ``degrade``).

        Raises
        ------
        InputError
            If ``data`` is not a dict, or has keys that are not fields (the message lists the allowed ones).
        """
        if not isinstance(data, dict):
            raise InputError(f"`degrade` settings must be a dict, got {type(data).__name__}")
        check_known_keys(data, [f.name for f in fields(cls)], "degrade")
        return cls(**data)

    def to_dict(self) -> dict:
        """The fields as a dict (the inverse of :meth:`from_dict`)."""
        return asdict(self)


def _check_gt(gt) -> np.ndarray:
    gt = np.asarray(gt)
    if gt.ndim != 2:
        raise InputError(f"`gt` must be a 2-D (H, W) mask, got shape {gt.shape}")
    gt = gt.astype(bool)
    if not gt.any():
        raise InputError("`gt` must contain at least one object pixel, got an empty mask")
    return gt


def _boundary_points(mask: np.ndarray) -> np.ndarray:
    edge = mask & ~ndi.binary_erosion(mask, border_value=1)
    ys, xs = np.nonzero(edge)
    return np.stack([xs, ys], axis=1)


def _ellipses(shape, centres, radii, angles) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    for (x, y), (ra, rb), a in zip(centres, radii, angles):
        cv2.ellipse(out, (int(x), int(y)), (max(1, int(ra)), max(1, int(rb))), float(a), 0, 360, 1, -1)
    return out > 0


def degrade_mask(gt, *, seed: int = 0, config: DegradeConfig | None = None) -> np.ndarray:
    """A coarse version of ``gt`` (see the module docstring for the steps).

    Parameters
    ----------
    gt : (H, W) bool
        Ground-truth object mask (not modified).
    seed : int
        Seed of every random choice; the same seed gives the same mask.
    config : DegradeConfig, optional

    Returns
    -------
    (H, W) bool
        Never empty.

    Raises
    ------
    InputError
        If ``gt`` is not 2-D or is empty, or ``seed`` is negative.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((64, 64), bool); gt[16:48, 16:48] = True
    >>> bool((degrade_mask(gt, seed=1) == degrade_mask(gt, seed=1)).all())
    True
    """
    gt = _check_gt(gt)
    if not is_int(seed, 0):
        raise InputError(f"`seed` must be an integer >= 0, got {seed!r}")
    cfg = config or DegradeConfig()
    rng = np.random.default_rng([int(seed), 0x5EED])
    h, w = gt.shape
    r_eq = float(np.sqrt(gt.sum() / np.pi))
    mask = gt.copy()

    if cfg.simplify > 0:
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        out = np.zeros((h, w), np.uint8)
        for c in contours:
            poly = cv2.approxPolyDP(c, cfg.simplify * r_eq, True)
            cv2.fillPoly(out, [poly], 1)
        if out.any():
            mask = out > 0

    if cfg.shift > 0:
        r = int(round(rng.uniform(-cfg.shift, cfg.shift) * r_eq))
        if r > 0:
            mask = cv2.dilate(mask.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2)) > 0
        elif r < 0:
            disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (-2 * r + 1,) * 2)
            shrunk = cv2.erode(mask.astype(np.uint8), disc) > 0
            if shrunk.any():
                mask = shrunk

    for sign in (+1, -1):
        if cfg.blobs == 0 or cfg.blob_size == 0:
            break
        pts = _boundary_points(mask)
        if len(pts) == 0:
            break
        idx = rng.integers(0, len(pts), size=cfg.blobs)
        radii = rng.uniform(0.5, 1.5, size=(cfg.blobs, 2)) * cfg.blob_size * r_eq
        angles = rng.uniform(0, 180, size=cfg.blobs)
        blobs = _ellipses((h, w), pts[idx], radii, angles)
        cut = mask & ~blobs
        mask = (mask | blobs) if sign > 0 else cut

    if not mask.any():
        d = ndi.distance_transform_edt(np.pad(gt, 1))[1:-1, 1:-1]
        mask[np.unravel_index(int(np.argmax(d)), gt.shape)] = True
    return mask


def generate_scribbles(gt, *, ignore=None, seed: int = 0) -> np.ndarray:
    """A trimap-style scribble map simulated from ``gt`` (255 object, 0 background, 128 unmarked).

    The object stroke is the skeleton of the ground truth eroded to its inner half (largest
    component, so it stays well inside the object); the background stroke is a broken loop at
    a distance of ``0.25`` equivalent radii outside the object, drawn on about 70 % of its length
    (the gaps are placed by ``seed``). Pixels in ``ignore`` are never marked.

    Parameters
    ----------
    gt : (H, W) bool
    ignore : (H, W) bool, optional
    seed : int

    Returns
    -------
    (H, W) uint8
    """

    gt = _check_gt(gt)
    rng = np.random.default_rng([int(seed), 0x5C1B])
    dist = ndi.distance_transform_edt(np.pad(gt, 1))[1:-1, 1:-1]
    inner = dist >= 0.5 * dist.max()
    lab, n = ndi.label(inner)
    if n > 1:
        inner = lab == (1 + int(np.argmax(ndi.sum(inner, lab, range(1, n + 1)))))
    fg = skeletonize(inner)
    if not fg.any():
        fg[np.unravel_index(int(np.argmax(dist)), gt.shape)] = True
    r_eq = float(np.sqrt(gt.sum() / np.pi))
    outside = ndi.distance_transform_edt(~gt)
    ring_d = max(3.0, 0.25 * r_eq)
    ring = (outside >= ring_d) & (outside < ring_d + 1.5)
    # break the loop into arcs: keep pixels whose angle about the object's centre is outside 3 gaps
    cy, cx = (float(v.mean()) for v in np.nonzero(gt))
    ys, xs = np.nonzero(ring)
    ang = np.arctan2(ys - cy, xs - cx)
    keep = np.ones(len(ys), bool)
    for start in rng.uniform(-np.pi, np.pi, size=3):
        d = (ang - start) % (2 * np.pi)
        keep &= d > 0.1 * 2 * np.pi
    bg = np.zeros_like(gt)
    bg[ys[keep], xs[keep]] = True
    out = np.full(gt.shape, 128, np.uint8)
    out[bg] = 0
    out[fg] = 255
    if ignore is not None:
        out[np.asarray(ignore, bool)] = 128
    return out
