"""Coarse proposals: the whole no-prompt front end at the discovery resolution, before AMCP refinement."""

from __future__ import annotations

import logging

import numpy as np

from paintseg_layers.discovery.candidates import (
    Candidate,
    CandidatePool,
    boundary_merge_candidates,
    felzenszwalb_candidates,
    maskcut_candidates,
    skimage_ncut_candidates,
    spectral_candidates,
    ward_candidates,
)
from paintseg_layers.discovery.config import MIN_SCORE, DiscoverConfig
from paintseg_layers.discovery.evidence import PaintEvidence
from paintseg_layers.discovery.objectness import FeatureWords
from paintseg_layers.discovery.ranking import select
from paintseg_layers.discovery.superpixels import superpixel_graph
from paintseg_layers.errors import InputError, is_int
from paintseg_layers.image import as_rgb, resize_image, working_scale
from paintseg_layers.projectors import get_projector

log = logging.getLogger(__name__)


def check_arguments(image, max_objects, seed, min_score) -> np.ndarray:
    """Validate the shared arguments of :func:`propose` and :func:`discover`; return the image as RGB float."""
    rgb = as_rgb(image, name="image")
    if not is_int(max_objects, 0):
        raise InputError(f"`max_objects` must be an integer >= 0, got {max_objects!r}")
    if not is_int(seed, 0):
        raise InputError(f"`seed` must be an integer >= 0, got {seed!r}")
    if not isinstance(min_score, (int, float)) or not 0 <= min_score <= 1:
        raise InputError(f"`min_score` must be a number in [0, 1], got {min_score!r}")
    if min(rgb.shape[:2]) < 8:
        raise InputError(f"`image` must be at least 8 x 8 px, got {rgb.shape[1]} x {rgb.shape[0]}")
    return rgb


def resolve_projector(projector):
    """A projector object from a name, None (the default) or a projector object."""
    return get_projector(projector) if projector is None or isinstance(projector, str) else projector


def discovery_view(rgb: np.ndarray, cfg: DiscoverConfig) -> np.ndarray:
    """``rgb`` resized so that its long side is ``cfg.working_size`` (never below 8 px a side)."""
    s = working_scale(rgb.shape[:2], cfg.working_size)
    wshape = (max(8, round(rgb.shape[0] * s)), max(8, round(rgb.shape[1] * s)))
    return resize_image(rgb, wshape)


def scoring_context(work: np.ndarray, proj, cfg: DiscoverConfig, seed: int) -> FeatureWords:
    """The per-image scoring state of ``work`` (discovery resolution): feature words and painter evidence."""
    feats = proj.project(work[None])[0].astype(np.float64)
    use = cfg.outline or cfg.evidence
    evidence = PaintEvidence(work, cfg.paint_gap, paint=cfg.evidence, outline_power=cfg.outline_power) if use else None
    return FeatureWords(feats, cfg.words, cfg.ring, seed, cfg.min_gap, evidence)


def propose(image, *, max_objects: int = 5, projector=None, seed: int = 0, min_score: float = MIN_SCORE,
            config: DiscoverConfig | None = None) -> tuple[list[Candidate], tuple[int, int]]:
    """Coarse proposals at the discovery resolution (no refinement).

    The image is brought to ``working_size`` px, cut into superpixels
    (:func:`~paintseg_layers.discovery.superpixels.superpixel_graph`), and the candidate generators
    fill one pool in this order: MaskCut-style repeated normalised cut, spectral clustering, Ward
    agglomeration (``config.agglomerate``), skimage's normalised cut (``config.skimage_ncut``), the
    boundary merging of superpixels (``config.boundary_merge``), Felzenszwalb's regions at each scale of
    ``config.felzenszwalb``.
    :func:`~paintseg_layers.discovery.ranking.select` keeps the best.

    Parameters
    ----------
    image, max_objects, projector, seed, min_score, config
        As for :func:`~paintseg_layers.discovery.discover`.

    Returns
    -------
    proposals : list of (mask, score, terms)
        Kept proposals, most prominent first (:func:`~paintseg_layers.discovery.ranking.order_key`),
        masks at the discovery resolution.
    work_shape : (int, int)
        ``(H, W)`` of the discovery resolution.
    """
    cfg = config or DiscoverConfig()
    rgb = check_arguments(image, max_objects, seed, min_score)
    proj = resolve_projector(projector)
    work = discovery_view(rgb, cfg)
    ctx = scoring_context(work, proj, cfg, seed)
    graph = superpixel_graph(work, ctx.features, cfg)
    pool = CandidatePool(graph, ctx)
    maskcut_candidates(pool, cfg, max_objects)
    spectral_candidates(pool, cfg, seed)
    if cfg.agglomerate:
        ward_candidates(pool, cfg)
    if cfg.skimage_ncut:
        skimage_ncut_candidates(pool, work, seed)
    if cfg.boundary_merge:
        boundary_merge_candidates(pool, cfg, work)
    felzenszwalb_candidates(pool, cfg, work)
    kept = select(pool.candidates(), cfg, max_objects, min_score)
    log.info("discovery: %d superpixels, %d candidates, %d kept", graph.n, len(pool), len(kept))
    return kept, work.shape[:2]
