"""Edge-aware refinement: a graph cut on the AMCP vote fraction plus colour models.

The classical stand-in for the dense CRF that the reference blends into its potential. Each pixel
pays ``-log p_colour(label)`` from Gaussian mixtures of object / background colour (scikit-learn)
plus ``weight * -log p_amcp(label)`` where ``p_amcp`` is the AMCP vote fraction (blended with the
AMCP mask and smoothed); neighbours pay a contrast-sensitive Potts cost for disagreeing. The
minimum cut (PyMaxflow) is re-solved a few times with re-fitted colour models, as in GrabCut.
Pixels outside the valid region are background; seed strokes are hard constraints.
"""

from __future__ import annotations

import warnings

import cv2
import maxflow
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from . import morphology as morph

_OFFSETS = ((0, 1, 1.0), (1, 0, 1.0), (1, 1, 2**-0.5), (1, -1, 2**-0.5))
_INF = 1e9


def _gmm(samples: np.ndarray, k: int, seed: int, previous: GaussianMixture | None = None) -> GaussianMixture:
    """Fit (or, given ``previous``, update with a few EM steps) a colour mixture on <= 4000 samples."""
    if len(samples) > 4000:
        samples = samples[np.random.default_rng(seed).choice(len(samples), 4000, replace=False)]
    k = max(1, min(k, len(samples) // 20))
    with warnings.catch_warnings():  # flat regions give fewer distinct colours than components
        warnings.simplefilter("ignore", ConvergenceWarning)
        if previous is not None and previous.n_components == k:
            previous.set_params(max_iter=3)
            return previous.fit(samples)
        gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-2, max_iter=10, random_state=seed,
                              warm_start=True)
        return gmm.fit(samples)


def _pairwise(img: np.ndarray, gamma: float):
    """Per-direction edge weights ``gamma * exp(-beta |dI|^2) / dist`` (beta from the mean contrast)."""
    h, w = img.shape[:2]
    padded = np.pad(img, ((1, 1), (1, 1), (0, 0)), mode="edge")
    diffs = [((img - padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]) ** 2).sum(-1) for dy, dx, _ in _OFFSETS]
    beta = 1.0 / (2 * float(np.mean(diffs)) + 1e-8)
    return [gamma * np.exp(-beta * d) * dist for d, (_, _, dist) in zip(diffs, _OFFSETS)]


def refine_mask(*args, **kwargs) -> np.ndarray:
    """Graph-cut refinement of a mask (see :func:`_refine_mask` for the parameters).

    The colour models are thousands of tiny BLAS calls: one thread is several times faster than
    a pool, and far faster on a busy machine, so BLAS/OpenMP pools are capped while it runs.
    """
    with threadpool_limits(1):
        return _refine_mask(*args, **kwargs)


def _refine_mask(image, soft, mask, *, valid=None, fg_seeds=None, bg_seeds=None, weight: float = 1.0,
                gamma: float = 50.0, iterations: int = 3, components: int = 5, seed: int = 0) -> np.ndarray:
    """Graph-cut refinement of a mask.

    Parameters
    ----------
    image : (H, W, 3) float32
    soft : (H, W) float32
        AMCP vote fraction in [0, 1].
    mask : (H, W) bool
        AMCP mask (also the initial labelling for the colour models).
    valid : (H, W) bool, optional
        Where the object may be; outside is background.
    fg_seeds, bg_seeds : (H, W) bool, optional
        Hard object / background pixels.
    weight : float
        Weight of the AMCP unary; 0 gives a colour-only (GrabCut-like) cut.
    gamma : float
        Smoothness weight.

    Returns
    -------
    (H, W) bool
    """
    h, w = mask.shape
    valid = np.ones((h, w), bool) if valid is None else valid
    fg_seeds = np.zeros((h, w), bool) if fg_seeds is None else fg_seeds
    bg_seeds = np.zeros((h, w), bool) if bg_seeds is None else bg_seeds
    if not mask.any():
        return mask.copy()
    # work on a crop around the valid region (plus a margin of background for the colour model)
    vb = morph.bbox(valid) or (0, 0, w, h)
    pad = max(8, int(0.1 * max(vb[2] - vb[0], vb[3] - vb[1])))
    x0, y0 = max(0, vb[0] - pad), max(0, vb[1] - pad)
    x1, y1 = min(w, vb[2] + pad), min(h, vb[3] + pad)
    img = (image[y0:y1, x0:x1] * 255.0).astype(np.float32)
    m = mask[y0:y1, x0:x1]
    v = valid[y0:y1, x0:x1]
    fs, bs = fg_seeds[y0:y1, x0:x1], bg_seeds[y0:y1, x0:x1] | ~v
    prior = np.clip(cv2.GaussianBlur(0.5 * m.astype(np.float32) + 0.5 * soft[y0:y1, x0:x1], (0, 0), 1.0), 0.03, 0.97)
    amcp_fg = -np.log(prior) * weight
    amcp_bg = -np.log(1 - prior) * weight
    edges = _pairwise(img, gamma)
    feats = img.reshape(-1, 3)
    label = m.copy()
    gfg = gbg = None
    for it in range(iterations):
        fg_px = feats[(label & ~bs).ravel()]
        bg_px = feats[(~label | bs).ravel()]
        if len(fg_px) < 20 or len(bg_px) < 20:
            break
        gfg = _gmm(fg_px, components, seed + it, gfg)
        gbg = _gmm(bg_px, components, seed + it, gbg)
        fg_ll = gfg.score_samples(feats).reshape(label.shape)
        bg_ll = gbg.score_samples(feats).reshape(label.shape)
        cost_fg = -fg_ll + amcp_fg  # cost of calling the pixel object
        cost_bg = -bg_ll + amcp_bg
        shift = np.minimum(cost_fg, cost_bg)
        cost_fg, cost_bg = cost_fg - shift, cost_bg - shift
        cost_fg[bs] = _INF
        cost_bg[fs] = _INF
        g = maxflow.Graph[float]()
        ids = g.add_grid_nodes(label.shape)
        for (dy, dx, _), wts in zip(_OFFSETS, edges):
            struct = np.zeros((3, 3))
            struct[1 + dy, 1 + dx] = 1
            g.add_grid_edges(ids, weights=wts, structure=struct, symmetric=True)
        g.add_grid_tedges(ids, cost_bg, cost_fg)  # source side = object
        g.maxflow()
        new = ~g.get_grid_segments(ids)
        if not new.any():
            break
        if (new == label).all():
            label = new
            break
        label = new
    out = np.zeros((h, w), bool)
    out[y0:y1, x0:x1] = morph.clean(label, 0, min_fraction=0.05)
    return out
