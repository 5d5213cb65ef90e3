"""Discovery with refinement: coarse proposals made precise by AMCP, rescored and deduplicated."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np
from tqdm.auto import tqdm

from paintseg_layers.amcp import AMCPConfig, Segmenter
from paintseg_layers.discovery.coarse import (
    check_arguments,
    discovery_view,
    propose,
    resolve_projector,
    scoring_context,
)
from paintseg_layers.discovery.config import MIN_SCORE, DiscoverConfig
from paintseg_layers.discovery.objectness import background_like, objectness
from paintseg_layers.discovery.proposal import Proposal
from paintseg_layers.discovery.ranking import order_key, overlapping
from paintseg_layers.errors import InputError
from paintseg_layers.image import upsample_soft
from paintseg_layers.masks import bbox, upsample
from paintseg_layers.prompts import MaskPrompt

log = logging.getLogger(__name__)


def discover(image, *, max_objects: int = 5, projector=None, painter=None, seed: int = 0,
             min_score: float = MIN_SCORE, config: DiscoverConfig | None = None,
             amcp: AMCPConfig | None = None, progress: bool = False) -> list[Proposal]:
    """Find objects in ``image`` with no prompts.

    The coarse proposals of :func:`~paintseg_layers.discovery.propose` are brought to full size; with
    ``config.refine`` each goes through AMCP as a :class:`~paintseg_layers.prompts.MaskPrompt`
    (proposal ``i`` seeded ``seed + i``), is rescored at the discovery resolution in the same feature
    words and dropped when background-like; then a proposal overlapping a kept one is a duplicate
    (:func:`~paintseg_layers.discovery.ranking.overlapping`). The result is re-sorted by
    ``score * area ** order_prior``.

    Parameters
    ----------
    image : array (H, W, 3)
        uint8 or float RGB in [0, 1].
    max_objects : int
        At most this many proposals.
    projector : str or Projector, optional
        Feature space of the graph and of AMCP (default ``lab``; pass ``"dino"`` for DINO).
    painter : str or Painter, optional
        AMCP's painter for the refinement (default ``telea``).
    seed : int
        Seeds k-means, the normalised cut and AMCP.
    min_score : float
        Proposals scoring below it are background-like and dropped (:data:`MIN_SCORE`).
    config : DiscoverConfig, optional
    amcp : AMCPConfig, optional
        Settings of the refinement (default ``AMCPConfig(paint_result=False)``).
    progress : bool
        Progress bar over the refinements.

    Returns
    -------
    list of Proposal
        Most prominent first (by ``score * area ** order_prior``); empty when nothing stands out (a flat or
        noise-only image).

    Raises
    ------
    InputError
        Bad image, ``max_objects``, ``seed``, ``min_score`` or ``config``.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((96, 128, 3), 0.8, np.float32); img[30:70, 40:90] = (0.9, 0.1, 0.1)
    >>> props = discover(img, max_objects=3, seed=0)
    >>> len(props) >= 1 and bool(props[0].mask[50, 60]) and not props[0].mask[5, 5]
    True
    >>> discover(np.full((64, 64, 3), 0.5, np.float32))
    []
    """
    t0 = time.perf_counter()
    cfg = config or DiscoverConfig()
    if not isinstance(cfg, DiscoverConfig):
        raise InputError(f"`config` must be a DiscoverConfig, got {type(cfg).__name__}")
    rgb = check_arguments(image, max_objects, seed, min_score)
    proj = resolve_projector(projector)
    coarse, wshape = propose(rgb, max_objects=max_objects, projector=proj, seed=seed, min_score=min_score, config=cfg)
    shape = rgb.shape[:2]
    if not coarse:
        return []
    seg = Segmenter(rgb, painter=painter, projector=proj, config=amcp or AMCPConfig(paint_result=False)) \
        if cfg.refine else None
    # the refined masks are rescored in the same feature words as the coarse ones; the outline term
    # judges the superpixel cut, so a refined mask keeps its coarse candidate's (AMCP's outline is no
    # superpixel cut, and at the discovery resolution it misses the edge by a pixel or two)
    carry = cfg.outline and not cfg.evidence
    ctx = None
    if seg is not None:
        ctx = scoring_context(discovery_view(rgb, cfg), proj, replace(cfg, outline=False) if carry else cfg, seed)
    dup_cfg = replace(cfg, max_overlap=cfg.refined_overlap)
    out: list[Proposal] = []
    for i, (m, sc, terms) in tqdm(enumerate(coarse), total=len(coarse), desc="refine", unit="obj", leave=False,
                                   disable=not progress):
        cm = upsample(m, shape)
        mask, score, t = cm, sc, terms
        if seg is not None:
            rm = seg.segment(MaskPrompt(cm), seed=seed + i).mask
            if rm.any():
                small = upsample_soft(rm.astype(np.float32), wshape) >= 0.5
                rs, rt = objectness(small, ctx)
                if carry:
                    rs, rt = rs * terms["boundary"] ** cfg.outline_power, {**rt, "boundary": terms["boundary"]}
                why = background_like(rt, rs, cfg, min_score)
                if why is not None:
                    log.info("proposal %d dropped after refinement: %s", i, why)
                    continue
                mask, score, t = rm, rs, rt
        if any(overlapping(mask, p.mask, dup_cfg) for p in out):
            log.info("proposal %d dropped: duplicate of a higher-scored one", i)
            continue
        out.append(Proposal(mask=mask, score=float(score), box=bbox(mask), coarse_mask=cm, coarse_score=float(sc),
                            terms=dict(t)))
    out.sort(key=lambda p: order_key(p.score, p.terms["area"], cfg))
    log.info("discovered %d objects in %.2f s", len(out), time.perf_counter() - t0)
    return out
