"""Ranking and the duplicate rules: which candidates become proposals, and which proposals a prompt covers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from paintseg_layers.discovery.candidates import Candidate
from paintseg_layers.discovery.config import DiscoverConfig
from paintseg_layers.discovery.objectness import background_like
from paintseg_layers.discovery.proposal import Proposal
from paintseg_layers.errors import InputError
from paintseg_layers.masks import iou


def rank_key(score: float, area: float, cfg: DiscoverConfig) -> float:
    """Sort key (ascending = best first): ``-score * area ** size_prior``, area a fraction of the image.

    A part of an object (one patch of its texture) scores as well as the object against its
    surround; the size prior lets the larger whole win.
    """
    return -score * area ** cfg.size_prior


def order_key(score: float, area: float, cfg: DiscoverConfig) -> float:
    """Output order (ascending = first): ``-score * area ** order_prior``: the most prominent object first."""
    return -score * area ** cfg.order_prior


def overlapping(a: np.ndarray, b: np.ndarray, cfg: DiscoverConfig) -> bool:
    """Duplicate rule: IoU above ``duplicate_iou``, or more than ``max_overlap`` of the smaller one shared."""
    inter = np.count_nonzero(a & b)
    if not inter:
        return False
    small = min(np.count_nonzero(a), np.count_nonzero(b))
    union = np.count_nonzero(a | b)
    return inter / union > cfg.duplicate_iou or inter > cfg.max_overlap * small


def select(pool: Sequence[Candidate], cfg: DiscoverConfig, max_objects: int, min_score: float) -> list[Candidate]:
    """The kept candidates, most prominent first.

    1. Background-like candidates are dropped
       (:func:`~paintseg_layers.discovery.objectness.background_like` with ``min_score``).
    2. The rest are ranked by :func:`rank_key` (stable: ties keep the pool's order).
    3. A *part* is dropped: a candidate lying ``nested`` or more inside a larger one that scores at
       least ``nest_ratio`` times as much.
    4. Greedy by rank: a candidate :func:`overlapping` a kept one is a duplicate and dropped; stop at
       ``max_objects``.
    5. Stopping rule: a kept candidate scoring below ``min_relative`` times the first one is dropped.
    6. The rest are returned sorted by :func:`order_key`.
    """
    valid = [t for t in pool if background_like(t[2], t[1], cfg, min_score) is None]
    ranked = sorted(valid, key=lambda t: rank_key(t[1], t[2]["area"], cfg))
    if not ranked:
        return []
    flat = np.stack([t[0].ravel() for t in ranked]).astype(np.float32)
    inter = flat @ flat.T
    areas = np.diag(inter).copy()
    scores = np.array([t[1] for t in ranked])
    # part[i, j]: i lies mostly inside the larger j, which scores nearly as well
    part = ((inter >= cfg.nested * areas[:, None]) & (areas[None, :] > areas[:, None])
            & (scores[None, :] >= cfg.nest_ratio * scores[:, None]))
    is_part = part.any(axis=1)
    kept: list[Candidate] = []
    for i, (m, sc, terms) in enumerate(ranked):
        if len(kept) >= max_objects:
            break
        if is_part[i]:
            continue
        if any(overlapping(m, k[0], cfg) for k in kept):
            continue
        kept.append((m, sc, terms))
    kept = [k for k in kept if k[1] >= cfg.min_relative * kept[0][1]] if kept else kept
    return sorted(kept, key=lambda t: order_key(t[1], t[2]["area"], cfg))


def exclude_prompted(proposals: Sequence[Proposal], prompts: Sequence, shape: tuple[int, int], *,
                     duplicate_iou: float = DiscoverConfig.duplicate_iou) -> list[Proposal]:
    """The proposals that no user prompt already covers, in their order.

    A proposal is dropped when its mask has IoU > ``duplicate_iou`` with some prompt's initial mask
    (``prompt.initial_mask(shape)``; an empty pair counts as IoU 0).

    Parameters
    ----------
    proposals : sequence of Proposal
        Masks at ``shape``.
    prompts : sequence of prompts
        The user's prompts (anything with ``initial_mask(shape)``).
    shape : (int, int)
        ``(H, W)`` of the image.
    duplicate_iou : float
        In [0, 1]; default that of :class:`DiscoverConfig`.

    Raises
    ------
    InputError
        ``duplicate_iou`` outside [0, 1].
    """
    if isinstance(duplicate_iou, bool) or not isinstance(duplicate_iou, (int, float)) or not 0 <= duplicate_iou <= 1:
        raise InputError(f"`duplicate_iou` must be a number in [0, 1], got {duplicate_iou!r}")
    user = [p.initial_mask(tuple(shape)) for p in prompts]
    return [p for p in proposals if all(iou(p.mask, u, empty=0.0) <= duplicate_iou for u in user)]
