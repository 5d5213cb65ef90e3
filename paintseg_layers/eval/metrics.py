"""Segmentation metrics; pixels marked in ``ignore`` are left out of every score."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from scipy.stats import bootstrap

from paintseg_layers.masks import iou


def _prep(pred, gt, ignore):
    pred = np.asarray(pred, bool)
    gt = np.asarray(gt, bool)
    if pred.shape != gt.shape:
        raise ValueError(f"`pred` and `gt` must have the same shape, got {pred.shape} and {gt.shape}")
    keep = np.ones(gt.shape, bool) if ignore is None else ~np.asarray(ignore, bool)
    return pred, gt, keep


def pixel_accuracy(pred, gt, ignore=None) -> float:
    pred, gt, keep = _prep(pred, gt, ignore)
    n = np.count_nonzero(keep)
    return 1.0 if n == 0 else np.count_nonzero((pred == gt) & keep) / n


def max_f_beta(soft, gt, ignore=None, *, beta2: float = 0.3, thresholds: int = 255) -> float:
    """Maximum F-beta over thresholds of a soft map in [0, 1] (beta^2 = 0.3, as in saliency work)."""
    soft = np.asarray(soft, np.float64)
    _, gt, keep = _prep(soft > 0.5, gt, ignore)
    s, g = soft[keep], gt[keep]
    if g.sum() == 0:
        return 1.0 if (s > 0.5).sum() == 0 else 0.0
    bins = np.clip((s * thresholds).astype(int), 0, thresholds)
    tp = np.bincount(bins[g], minlength=thresholds + 1)[::-1].cumsum()[::-1]
    allp = np.bincount(bins, minlength=thresholds + 1)[::-1].cumsum()[::-1]
    prec = tp / np.maximum(allp, 1)
    rec = tp / g.sum()
    f = (1 + beta2) * prec * rec / np.maximum(beta2 * prec + rec, 1e-12)
    return float(f.max())


def _boundary(mask):
    return mask & ~ndi.binary_erosion(mask, border_value=1)


def boundary_f(pred, gt, ignore=None, *, tolerance: float | None = None) -> float:
    """Boundary F-score: boundary pixels matched within ``tolerance`` px (default 0.75 % of the diagonal)."""
    pred, gt, keep = _prep(pred, gt, ignore)
    if tolerance is None:
        tolerance = max(1.0, 0.0075 * np.hypot(*gt.shape))
    bp, bg = _boundary(pred) & keep, _boundary(gt) & keep
    if not bp.any() and not bg.any():
        return 1.0
    if not bp.any() or not bg.any():
        return 0.0
    dist_to_gt = ndi.distance_transform_edt(~_boundary(gt))
    dist_to_pred = ndi.distance_transform_edt(~_boundary(pred))
    precision = np.mean(dist_to_gt[bp] <= tolerance)
    recall = np.mean(dist_to_pred[bg] <= tolerance)
    return 0.0 if precision + recall == 0 else float(2 * precision * recall / (precision + recall))


def f_beta(pred, gt, ignore=None, *, beta2: float = 0.3) -> float:
    """F-beta of a binary mask (beta^2 = 0.3); 1.0 when both are empty, 0.0 when only one is."""
    pred, gt, keep = _prep(pred, gt, ignore)
    tp = np.count_nonzero(pred & gt & keep)
    npred, ngt = np.count_nonzero(pred & keep), np.count_nonzero(gt & keep)
    if npred == 0 and ngt == 0:
        return 1.0
    if tp == 0:
        return 0.0
    prec, rec = tp / npred, tp / ngt
    return float((1 + beta2) * prec * rec / (beta2 * prec + rec))


#: Keys of :func:`scores`, in report order.
SCORE_NAMES = ("iou", "pixel_accuracy", "f_beta", "boundary_f")


def scores(pred, gt, ignore=None, *, soft=None) -> dict:
    """Every metric of one prediction: ``{"iou", "pixel_accuracy", "f_beta", "boundary_f"}``.

    ``f_beta`` is :func:`max_f_beta` of ``soft`` when given, else :func:`f_beta` of the binary
    ``pred`` (the maximum over thresholds of a binary map would include the all-object threshold).

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((4, 4), bool); gt[:2] = True
    >>> scores(gt, gt)["iou"], scores(~gt, gt)["pixel_accuracy"]
    (1.0, 0.0)
    """
    pred = np.asarray(pred, bool)
    return {
        "iou": float(iou(pred, gt, ignore)),
        "pixel_accuracy": float(pixel_accuracy(pred, gt, ignore)),
        "f_beta": float(f_beta(pred, gt, ignore) if soft is None else max_f_beta(soft, gt, ignore)),
        "boundary_f": float(boundary_f(pred, gt, ignore)),
    }


def scene_interval(hits, counts, *, level: float = 0.95, seed: int = 0, resamples: int = 2000) -> tuple[float, float]:
    """Bootstrap interval of ``sum(hits) / sum(counts)`` over scenes (each scene's pairs resampled together).

    A benchmark's ratio over a few hundred pairs from 50 scenes moves by several points between scene sets and
    decomposition seeds; the interval says how far a bar may be from the printed value before a difference means
    anything. Percentile bootstrap (:func:`scipy.stats.bootstrap`, paired: a scene's hits and counts stay together),
    seeded; ``(nan, nan)`` for fewer than two scenes with a count.

    Examples
    --------
    >>> lo, hi = scene_interval([3, 2, 4, 1, 3], [3, 3, 4, 2, 3])
    >>> lo < 13 / 15 < hi <= 1.0
    True
    """
    hits, counts = np.asarray(hits, float), np.asarray(counts, float)
    keep = counts > 0
    if keep.sum() < 2:
        return float("nan"), float("nan")
    res = bootstrap((hits[keep], counts[keep]), lambda h, c, axis=-1: h.sum(axis) / c.sum(axis), paired=True,
                    vectorized=True, confidence_level=level, n_resamples=resamples, method="percentile",
                    random_state=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)
