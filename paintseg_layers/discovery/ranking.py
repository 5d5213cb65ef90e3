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
    return _overlap(np.count_nonzero(a & b), np.count_nonzero(a), np.count_nonzero(b), cfg)


#: A part of a union lies at least this share inside it (:func:`union_parts`).
UNION_INSIDE = 0.9
#: A part of a union is at most this share of its size.
UNION_MAX_PART = 0.9
#: Two parts of a union share at most this share of the smaller one.
UNION_DISJOINT = 0.1
#: The best part of a union scores at least this share of the union's score: a whole object's outline
#: is an edge all around and beats its parts (two halves of a two-colour object), a union of objects does not.
UNION_BEST = 0.9
#: Unions are dropped and the selection re-run at most this many times.
MAX_UNION_ROUNDS = 5


def select(pool: Sequence[Candidate], cfg: DiscoverConfig, max_objects: int, min_score: float) -> list[Candidate]:
    """The kept candidates, most prominent first.

    1. Background-like candidates are dropped
       (:func:`~paintseg_layers.discovery.objectness.background_like` with ``min_score``), and so are
       those covering less than ``min_proposal_area`` of the image.
    2. The rest are ranked by :func:`rank_key` (stable: ties keep the pool's order).
    3. A *part* is dropped: a candidate lying ``nested`` or more inside a larger one that scores at
       least ``nest_ratio`` times as much.
    4. Greedy by rank: a candidate :func:`overlapping` a kept one is a duplicate and dropped; stop at
       ``max_objects``.
    5. Stopping rule: a kept candidate scoring below ``min_relative`` times the first one is dropped.
    6. A kept candidate that is a *union* (:func:`union_parts`, with ``union_ratio`` > 0) is dropped
       and steps 3-5 run again without it, so that its parts can be kept (at most
       :data:`MAX_UNION_ROUNDS` times).
    7. The rest are returned sorted by :func:`order_key`.
    """
    valid = [t for t in pool if background_like(t[2], t[1], cfg, min_score) is None
             and t[2]["area"] >= cfg.min_proposal_area]
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
    banned = np.zeros(len(ranked), bool)
    for _ in range(MAX_UNION_ROUNDS):
        kept = _greedy(inter, areas, scores, part, banned, cfg, max_objects)
        unions = [i for i in kept if cfg.union_ratio > 0 and union_parts(i, inter, scores, banned, cfg)]
        if not unions:
            break
        banned[unions] = True
    else:
        kept = _greedy(inter, areas, scores, part, banned, cfg, max_objects)
    return sorted((ranked[i] for i in kept), key=lambda t: order_key(t[1], t[2]["area"], cfg))


def _greedy(inter, areas, scores, part, banned, cfg: DiscoverConfig, max_objects: int) -> list[int]:
    """Steps 3-5 of :func:`select` on the candidates not ``banned`` (indices in rank order)."""
    is_part = (part & ~banned[None, :]).any(axis=1)
    kept: list[int] = []
    for i in range(len(areas)):
        if len(kept) >= max_objects:
            break
        if banned[i] or is_part[i]:
            continue
        if any(_overlap(inter[i, k], areas[i], areas[k], cfg) for k in kept):
            continue
        kept.append(i)
    return [k for k in kept if scores[k] >= cfg.min_relative * scores[kept[0]]] if kept else kept


def _overlap(inter: float, a: float, b: float, cfg: DiscoverConfig) -> bool:
    """:func:`overlapping` from the pixel counts of the two masks and of their intersection."""
    return inter > 0 and (inter / (a + b - inter) > cfg.duplicate_iou or inter > cfg.max_overlap * min(a, b))


def union_parts(u: int, inter: np.ndarray, scores: np.ndarray, banned: np.ndarray, cfg: DiscoverConfig) -> list[int]:
    """The parts that make candidate ``u`` a union of objects, or an empty list.

    ``u`` is a union when two or more nearly disjoint candidates (sharing at most
    :data:`UNION_DISJOINT` of the smaller), each lying :data:`UNION_INSIDE` or more inside ``u``, at
    most :data:`UNION_MAX_PART` of its size and scoring at least ``union_ratio`` times as much as ``u``,
    together cover ``union_cover`` or more of it, and the best of them scores at least :data:`UNION_BEST`
    times as much as ``u``. A candidate covering two touching objects (and a
    little background) scores as well as either; each object has its own outline and colours.

    Parameters
    ----------
    u : int
        Index of the candidate.
    inter : (N, N) array
        Pixel counts of the pairwise intersections (the diagonal: the areas).
    scores : (N,) array
        Objectness of the candidates.
    banned : (N,) bool array
        Candidates that are no parts (unions found before).
    cfg : DiscoverConfig

    Returns
    -------
    list of int
        The parts, best scoring first; empty when ``u`` is no union.
    """
    areas = np.diag(inter)
    ok = ((inter[:, u] >= UNION_INSIDE * areas) & (areas <= UNION_MAX_PART * areas[u])
          & (scores >= cfg.union_ratio * scores[u]) & ~banned)
    ok[u] = False
    cand = np.flatnonzero(ok)
    picked: list[int] = []
    for c in cand[np.argsort(-scores[cand], kind="stable")]:
        if all(inter[c, q] <= UNION_DISJOINT * min(areas[c], areas[q]) for q in picked):
            picked.append(int(c))
    if len(picked) < 2 or scores[picked[0]] < UNION_BEST * scores[u] \
            or sum(inter[c, u] for c in picked) < cfg.union_cover * areas[u]:
        return []
    return picked


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
