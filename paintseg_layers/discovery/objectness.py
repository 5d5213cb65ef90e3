"""The objectness score of a candidate mask and the background-like drop rule."""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi
from scipy.cluster.vq import kmeans2, vq

from paintseg_layers.discovery.config import DiscoverConfig
from paintseg_layers.discovery.evidence import PaintEvidence


class FeatureWords:
    """Per-image state shared by the scoring of every candidate: features, codebook and word map.

    Parameters
    ----------
    features : (H, W, C) float64
        The projector's features at the discovery resolution.
    words : int
        Codebook size (k-means on up to 4000 sampled pixels; fewer when fewer features differ).
    ring : float
        Surround ring width, as a fraction of ``sqrt(area)``.
    seed : int
        Seeds the pixel sample and k-means.
    min_gap : float
        Mean-feature distance at which ``separation`` reaches 1.
    evidence : PaintEvidence, optional
        The painter evidence of the same image; None scores without it.
    """

    def __init__(self, features: np.ndarray, words: int, ring: float, seed: int, min_gap: float = 0.1,
                 evidence: PaintEvidence | None = None):
        self.features = features
        self.evidence = evidence
        h, w, c = features.shape
        self.shape = (h, w)
        self.ring = ring
        self.min_gap = float(min_gap)
        flat = features.reshape(-1, c)
        rng = np.random.default_rng(seed)
        sample = flat[rng.choice(len(flat), min(len(flat), 4000), replace=False)]
        distinct = len(np.unique(sample.round(4), axis=0))
        if distinct < 2:  # a flat image: one word
            self.words = np.zeros((h, w), np.int64)
            self.n_words = 1
            return
        k = int(min(words, distinct))
        centres, _ = kmeans2(sample, k, seed=int(seed), minit="++")
        self.words = vq(flat, centres)[0].reshape(h, w).astype(np.int64)
        self.n_words = k


def _hist(words: np.ndarray, n: int) -> np.ndarray:
    h = np.bincount(words, minlength=n).astype(float)
    return h / max(1.0, h.sum())


def objectness(mask: np.ndarray, ctx: FeatureWords) -> tuple[float, dict]:
    """Objectness of ``mask`` (at the discovery resolution) and its terms.

    ``score = contrast * separation * (1 - border_share) * sqrt(solidity) * boundary ** p * painted``,
    each term in [0, 1] (``p`` = ``ctx.evidence.outline_power``):

    * ``contrast``: chi-square distance ``0.5 * sum((p - q)^2 / (p + q))`` between the feature-word
      histograms inside the mask (``p``) and in a ring around it (``q``, width ``ring * sqrt(area)``,
      at least 2 px); a patch of flat colour or of noise looks like its surround (near 0).
    * ``separation``: ``min(1, |mean feature inside - mean feature in the ring| / min_gap)``.
      Both are 0 when the ring has fewer than 8 px.
    * ``border_share``: share of the mask's boundary pixels on the image frame (background runs off
      the picture).
    * ``solidity``: area over the convex hull's area (objects are compact).
    * ``boundary`` and ``painted``: the painter evidence
      (:mod:`~paintseg_layers.discovery.evidence`): the share of the outline on a strong edge, and how
      much painting the candidate out changes it. Both 1 when ``ctx.evidence`` is None, ``painted``
      1 when ``ctx.evidence.paint`` is off; computed only for candidates that can still be proposals
      (score above 0, fewer than 3 image sides).

    Returns
    -------
    score : float
    terms : dict
        The six terms plus ``sides`` (image sides touched, 0-4) and ``area`` (fraction of the image).
    """
    h, w = ctx.shape
    area = int(mask.sum())
    if area == 0:
        return 0.0, {"contrast": 0.0, "separation": 0.0, "border_share": 0.0, "solidity": 0.0, "boundary": 0.0,
                     "painted": 0.0, "sides": 0, "area": 0.0}
    width = max(2, int(round(ctx.ring * np.sqrt(area))))
    ring = cv2.dilate(mask.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1,) * 2)) > 0
    ring &= ~mask
    if ring.sum() < 8:
        contrast = separation = 0.0
    else:
        p, q = _hist(ctx.words[mask], ctx.n_words), _hist(ctx.words[ring], ctx.n_words)
        s = p + q
        nz = s > 0
        contrast = float(0.5 * (((p - q) ** 2)[nz] / s[nz]).sum())
        fin, fout = ctx.features[mask], ctx.features[ring]
        gap = float(((fin.mean(0) - fout.mean(0)) ** 2).sum())
        separation = float(min(1.0, np.sqrt(gap) / ctx.min_gap))
    edge = mask & ~ndi.binary_erosion(mask, border_value=0)
    frame = np.zeros((h, w), bool)
    frame[0, :] = frame[-1, :] = frame[:, 0] = frame[:, -1] = True
    border_share = float((edge & frame).sum() / max(1, edge.sum()))
    sides = int(mask[0].any()) + int(mask[-1].any()) + int(mask[:, 0].any()) + int(mask[:, -1].any())
    pts = cv2.findNonZero(mask.astype(np.uint8))
    hull_area = cv2.contourArea(cv2.convexHull(pts)) if len(pts) >= 3 else 0.0
    solidity = float(min(1.0, area / hull_area)) if hull_area > 0 else 1.0
    score = contrast * separation * (1.0 - border_share) * np.sqrt(solidity)
    boundary = painted = 1.0
    if ctx.evidence is not None:
        boundary = painted = 0.0
        if score > 0 and sides < 3:  # the painting is the costly part: only for possible proposals
            boundary = ctx.evidence.boundary(mask)
            if not ctx.evidence.paint:
                painted = 1.0
            elif boundary > 0:
                painted = ctx.evidence.painted(mask)
        score *= boundary ** ctx.evidence.outline_power * painted
    return float(score), {"contrast": contrast, "separation": separation, "border_share": border_share,
                          "solidity": solidity, "boundary": boundary, "painted": painted, "sides": sides,
                          "area": area / float(h * w)}


def background_like(terms: dict, score: float, cfg: DiscoverConfig, min_score: float) -> str | None:
    """The reason a candidate is background-like, or None.

    A candidate is background-like when it touches 3 or more image sides, covers more than
    ``cfg.max_area`` or less than ``cfg.min_area`` of the image, or scores below ``min_score``.
    """
    if terms["sides"] >= 3:
        return f"touches {terms['sides']} image sides"
    if terms["area"] > cfg.max_area:
        return f"covers {terms['area']:.2f} of the image (> max_area {cfg.max_area})"
    if terms["area"] < cfg.min_area:
        return f"covers {terms['area']:.4f} of the image (< min_area {cfg.min_area})"
    if score < min_score:
        return f"score {score:.3f} < min_score {min_score}"
    return None
