"""Depth order from boundary ownership: T-junction and convexity cues, plus the learnt one of
:mod:`paintseg_layers.peel.ownership`, and the occlusion graph they give."""

from __future__ import annotations

import logging
import warnings

import cv2
import networkx as nx
import numpy as np
from scipy import ndimage as ndi
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from paintseg_layers import masks as morph
from paintseg_layers.graph import agreeing_order, occlusion_graph
from paintseg_layers.image import working_scale
from paintseg_layers.peel.ownership import OwnershipNet, ownership
from paintseg_layers.peel.tightbox import NEST, holders_of
from paintseg_layers.prompts import box_mask

log = logging.getLogger(__name__)

#: a visible mask filling less than this share of its own prompt box is lost (true visible masks fill >= 0.13,
#: 99 % >= 0.2, on the peel benchmark's, cut-out and nested scenes; 12 predicted ones < 0.1)
LOST = 0.1
#: share of a lost object's box that another mask must cover for it to have swallowed the object
SWALLOWED = 0.5

#: share of a nested object's visible mask that must lie in its holder's convex hull for it to rest on the
#: holder (coffee.png: the cup 0.73, the spoon 0.96); an object behind a larger one shows outside its hull
ENCLOSED = 0.6

#: px (at the working resolution) a mask's contour may stray out of its own prompt box before it counts as a leak:
#: the box's rasterisation and the 1-px contact test
BOX_SLACK = 2

#: a pair whose boundary cues' margin is below this (radians) is also read on its colour-repaired masks
#: (:func:`colour_repaired`): below 0.5 the cues are near coin flips (order_diagnose.py); 0.75-1 measured best
REPAIR_MARGIN = 0.75
#: log-likelihood margin (nats) by which a contested pixel's colour must favour the other object to change owner
REPAIR_NATS = 2.0
#: at most this many of an object's pixels (an even stride through them) teach its colour mixture: a 640 x 480
#: photo's masks hold tens of thousands at the working resolution, and three Gaussians need far fewer
REPAIR_SAMPLES = 2000


def hull_mask(mask: np.ndarray) -> np.ndarray:
    """The filled convex hull of ``mask`` (a copy of it when it has fewer than 3 pixels)."""
    out = np.zeros(mask.shape, np.uint8)
    pts = cv2.findNonZero(mask.astype(np.uint8))
    if pts is None or len(pts) < 3:
        return mask.copy()
    cv2.fillConvexPoly(out, cv2.convexHull(pts), 1)
    return out > 0


def junction_turn(mask: np.ndarray, other: np.ndarray, *, scales=(3, 5, 8), frame: int = 3, min_run: int = 3,
                  third: np.ndarray | None = None, third_reach: int = 2, third_weight: float = 0.35,
                  region: np.ndarray | None = None) -> float:
    """Mean convex turning angle (radians) of ``mask``'s contour where its contact with ``other`` starts or ends.

    At a T-junction the front object's contour runs on smoothly while the occluded one's turns to
    follow the occluder's edge, always round a convex corner of its own region (the region lies in the
    wedge between its edge and the occluder's). A concave turn (the contour bending into the mask) is
    no junction but a mask's ragged rim, and counts 0. Contact runs (and gaps) shorter than
    ``min_run`` contour pixels are ignored (specks of a noisy mask are no junctions), and so are
    switches within ``frame`` px of the image border, where the picture's frame, not an object, cuts
    the contours. Switches within ``third_reach`` px of ``third`` (the other objects' masks) count
    ``third_weight`` times as much: where a third object meets the pair, the contours turn to follow
    *its* edge, which says little about this pair (weighted, not dropped: a mask that reaches a bit
    too far makes a true junction look like one of three objects). Switches outside ``region`` (the
    object's own prompt box: a box is drawn round the visible part, so its contour lies inside) are a
    leaking mask's, not the object's, and are skipped. NaN when the contour never switches between
    touching and not.
    """
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    near = morph.dilate(other, 1)
    skip = morph.dilate(third, third_reach) if third is not None and third.any() else None
    h, w = mask.shape
    turns, weights = [], []
    for c in contours:
        p = c[:, 0, :].astype(float)
        n = len(p)
        if n < 2 * min(scales) + 2:
            continue
        convex = 1.0 if cv2.contourArea(c, oriented=True) >= 0 else -1.0  # the sign of a turn round the region
        f = near[c[:, 0, 1], c[:, 0, 0]]
        if min_run > 1 and f.any() and not f.all():
            ring = np.concatenate([f, f, f])  # circular: close short gaps, then open short runs
            ring = ndi.binary_opening(ndi.binary_closing(ring, np.ones(min_run)), np.ones(min_run))
            f = ring[n : 2 * n]
        if f.all() or not f.any():
            continue
        for t in np.flatnonzero(f != np.roll(f, 1)):
            x, y = c[t, 0]
            if x < frame or y < frame or x >= w - frame or y >= h - frame:
                continue
            if region is not None and not region[y, x]:
                continue
            weight = third_weight if skip is not None and skip[y, x] else 1.0
            for k in scales:
                if n < 2 * k + 2:
                    continue
                v1, v2 = p[t] - p[(t - k) % n], p[(t + k) % n] - p[t]
                if v1.any() and v2.any():
                    turns.append(max(0.0, convex * np.arctan2(v1[0] * v2[1] - v1[1] * v2[0], v1 @ v2)))
                    weights.append(weight)
    return float(np.average(turns, weights=weights)) if turns else float("nan")


def pair_turns(mask_a: np.ndarray, mask_b: np.ndarray, *, others: np.ndarray | None = None,
               boxes: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[float, float]:
    """:func:`junction_turn` of ``a``'s contour against ``b`` and of ``b``'s against ``a`` (NaN: no junction).

    ``boxes`` (the two prompt boxes as bool masks, widened here by ``BOX_SLACK`` px) skips each contour's
    switches outside its own box: they are a leak's, not the object's. The contact itself is read with the
    other's whole mask: where the *front* mask leaks over the back object, the back object's contour still
    ends against it (clipping that contact too lost such true junctions: 15 -> 17 wrong pairs on the
    held-out seeds 4000).
    """
    ra, rb = (None, None) if boxes is None else (morph.dilate(r, BOX_SLACK) for r in boxes)
    ea, eb = mask_a & ~mask_b, mask_b & ~mask_a
    return junction_turn(mask_a, eb, third=others, region=ra), junction_turn(mask_b, ea, third=others, region=rb)


def order_evidence(mask_a: np.ndarray, mask_b: np.ndarray, *, radius: int,
                   others: np.ndarray | None = None,
                   boxes: tuple[np.ndarray, np.ndarray] | None = None, learnt: float = 0.0,
                   net: OwnershipNet | None = None) -> tuple[float, float, int]:
    """Evidence ``(e_ab, e_ba, contested)`` that ``a`` is in front of ``b`` and vice versa (one of them 0).

    Sum of two cues (see the module docstring): the T-junction cue (the smoother contour at the
    contact's ends is in front; ``max(0, turn_b - turn_a)`` radians) and the convexity cue
    (``|hull(E_b near a) & E_a|`` against the reverse, normalised to [0, 1] and weighted 0.5); plus ``learnt``
    times the learnt ownership cue's log-odds (:func:`paintseg_layers.peel.ownership.ownership`, ``net``: the
    shipped net; 0 leaves it out).
    ``others`` (the union of every other object's mask) down-weights the junctions where a third
    object meets the pair (:func:`junction_turn`). ``boxes`` (the two prompt boxes as bool masks) keeps
    each mask's part outside its own box (widened by ``BOX_SLACK`` px) out of the convexity cue and its
    contour's switches there out of the T-junction cue (:func:`pair_turns`): a box is drawn round its
    object's visible part, so a mask that strays out of it has leaked (into the other object, or the
    background), and its contour there says nothing about the pair.
    ``contested`` is the number of pixels both masks claim.
    """
    both = mask_a & mask_b
    ea, eb = mask_a & ~both, mask_b & ~both
    near_a = morph.dilate(ea | both, radius)
    near_b = morph.dilate(eb | both, radius)
    la, lb = ea & near_b, eb & near_a  # each mask's part close to the other
    if boxes is not None:
        la, lb = la & morph.dilate(boxes[0], BOX_SLACK), lb & morph.dilate(boxes[1], BOX_SLACK)
    h_ab = float((hull_mask(lb | both) & ea).sum())
    h_ba = float((hull_mask(la | both) & eb).sum())
    hull = 0.5 * (h_ab - h_ba) / (h_ab + h_ba + 1.0)
    ta, tb = pair_turns(mask_a, mask_b, others=others, boxes=boxes)
    turn = 0.0 if np.isnan(ta) or np.isnan(tb) else tb - ta
    score = turn + hull
    if learnt and mask_a.any() and mask_b.any():
        score += learnt * ownership(mask_a, mask_b, others, net=net)
    return max(0.0, score), max(0.0, -score), int(both.sum())


def colour_repaired(mask_a: np.ndarray, mask_b: np.ndarray, lab: np.ndarray, boxes: tuple[np.ndarray, np.ndarray],
                    *, nats: float = REPAIR_NATS, seed: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """The two masks with their contested zone re-owned by colour, or None where colour cannot tell.

    A box is drawn round its object's visible part, and the first pass's errors that flip an order lie where the
    boxes overlap: a back object's mask that took a visible part of the front one, a front one's thin part lost
    to the back. Each object's colours are learnt (a Gaussian mixture over CIELAB ``lab``) from its mask outside
    the other's box; each mask's pixels inside the other's box change owner where their colour favours the other
    object by ``nats`` (the pieces a mask gains only where they touch what it keeps). ``boxes``: the two prompt
    boxes as bool masks. None when either object shows fewer than 20 px outside the other's box, or nothing lies in
    the other's box.
    """
    ra, rb = boxes
    own_a, own_b = mask_a & ~rb, mask_b & ~ra
    zone = (mask_a & rb) | (mask_b & ra)
    if own_a.sum() < 20 or own_b.sum() < 20 or not zone.any():
        return None
    models = []
    # (tiny fits: BLAS threads only cost)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for own in (own_a, own_b):
            pix = lab[own]
            pix = pix[:: -(-len(pix) // REPAIR_SAMPLES)]
            gm = GaussianMixture(max(1, min(3, len(pix) // 30)), covariance_type="full", reg_covar=1.0,
                                 random_state=seed)
            models.append(gm.fit(pix))
        favour = models[0].score_samples(lab[zone]) - models[1].score_samples(lab[zone])  # > 0: a's colours
    to_a, to_b = np.zeros_like(zone), np.zeros_like(zone)
    to_a[zone], to_b[zone] = favour > nats, favour < -nats
    kept_a, kept_b = mask_a & ~to_b, mask_b & ~to_a
    # (the pieces gained that touch what the mask keeps, 8-connected)
    new_a = kept_a | morph.connected_to(to_a & mask_b & ra, morph.dilate(kept_a, 1))
    new_b = kept_b | morph.connected_to(to_b & mask_a & rb, morph.dilate(kept_b, 1))
    return (new_a, new_b) if new_a.any() and new_b.any() else None


def resting_prior(masks: dict, boxes: dict) -> dict:
    """Evidence ``{(a, b): e}`` that nested ``a`` rests on (is in front of) its holder ``b``.

    ``a`` nests in ``b`` when its prompt box lies inside ``b``'s much larger one
    (:func:`paintseg_layers.peel.tightbox.holders_of`, the joint labelling's test). Boxes are drawn
    round the *visible* parts, so an object partly hidden behind a larger one can nest too; only
    where ``a``'s visible mask lies mostly (``ENCLOSED``) inside ``b``'s convex hull is it taken to
    rest on ``b``, with that share as its evidence. ``masks`` (layer id -> bool mask) and ``boxes``
    (layer id -> bool mask of its prompt box; missing: no box) share one resolution.
    """
    ids = list(masks)
    if not ids:
        return {}
    empty = np.zeros(masks[ids[0]].shape, bool)
    out = {}
    for k, held in enumerate(holders_of([boxes.get(lid, empty) for lid in ids], NEST)):
        a = masks[ids[k]]
        for j in held:
            b = ids[j - 1]
            share = float((a & hull_mask(masks[b])).sum()) / max(1, int(a.sum()))
            if share >= ENCLOSED:
                out[(ids[k], b)] = share
    return out


def swallowed_prior(masks: dict, boxes: dict) -> dict:
    """Evidence ``{(a, b): e}`` that ``a``, whose mask ``b``'s has swallowed, is in front of ``b``.

    A box prompt says its object is visible inside the box. When ``a``'s mask fills less than
    ``LOST`` of its box while ``b``'s covers at least ``SWALLOWED`` of it, ``b``'s mask has taken
    ``a``'s visible part: were ``a`` behind ``b``, ``b`` would hide it inside its own box, so ``a``
    lies on ``b`` (a tree on a panel, a cup filled in by its saucer's mask). The evidence is twice the
    covered share (1-2, the turn of a clear T-junction in radians: the box's word outweighs the cues of
    the swallowing mask's contour). ``masks`` and ``boxes`` (layer id -> bool mask of its prompt box)
    share one resolution.
    """
    out = {}
    for a, region in boxes.items():
        area = int(region.sum())
        if a not in masks or not area or float((masks[a] & region).sum()) >= LOST * area:
            continue
        for b, mb in masks.items():
            share = float((mb & region).sum()) / area
            if b != a and share >= SWALLOWED:
                out[(a, b)] = 2.0 * share
    return out


def order_graph(masks: dict, shape: tuple[int, int], *, working_size: int, contact_radius: float,
                min_confidence: float, boxes: dict | None = None, rests: dict | None = None,
                image: np.ndarray | None = None, learnt: float = 0.0,
                net: OwnershipNet | None = None) -> nx.DiGraph:
    """The occlusion graph of ``masks`` (layer id -> (H, W) bool, in prompt order), made acyclic at once.

    Every pair whose masks touch is ordered by :func:`order_evidence`, read at the AMCP working
    resolution so that its pixel scales mean the same at any image size. ``boxes`` (layer id -> the
    prompt's ``(x0, y0, x1, y1)`` or None) keeps the masks' leaks out of their boxes out of the boundary
    cues (:func:`order_evidence`), adds :func:`resting_prior` to a nested object's evidence
    (a cup on its saucer is in front of it) and :func:`swallowed_prior` to an object whose mask another
    one has swallowed (instead of the boundary cues, which a lost mask's contour voids; ordered even
    when its own mask is empty or does not touch). ``rests`` (layer id -> layer id) names objects the joint
    labelling found swallowed by another and cut again resting on it (``peel.joint.swallowed_pairs``): each adds
    the resting prior's full evidence (1) that it is in front, since its recovered mask sits in the other's hole
    and the contours' cues there are weak (peel scene 2023: none on the broccoli's side). A pair whose evidence
    margin gives a confidence below ``min_confidence`` gets no edge (ambiguous). ``image`` (``(H, W, 3)`` RGB in
    [0, 1], optional, with ``boxes``): a pair whose boundary cues' margin is below ``REPAIR_MARGIN`` takes the mean
    of their evidence on its masks and on its colour-repaired masks (:func:`colour_repaired`). Contradictions are
    resolved globally by :func:`paintseg_layers.graph.agreeing_order`, weighing each edge by its
    evidence margin (edge attribute ``margin``; ``confidence`` caps it at 0.5). ``learnt`` weighs the learnt
    ownership cue in every pair's boundary evidence (``net``: the shipped one; :func:`order_evidence`).
    """
    h, w = shape
    scale = working_scale((h, w), working_size)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = {lid: morph.shrink(m, size) for lid, m in masks.items()}
    radius = max(2, int(round(contact_radius * max(h, w) * scale)))
    touch = max(1, int(round(0.01 * max(h, w) * scale)))
    ids = list(masks)
    sx, sy = size[0] / w, size[1] / h
    regions = {lid: box_mask((b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy), size[::-1])
               for lid, b in (boxes or {}).items() if b is not None}
    prior = resting_prior(small, regions) if regions else {}
    for a, b in (rests or {}).items():  # the joint labelling found a swallowed by b: a rests on b
        if a in small and b in small:
            prior[(a, b)] = max(prior.get((a, b), 0.0), 1.0)
    swallowed = swallowed_prior(small, regions) if regions else {}
    lab = None
    if image is not None and regions:
        img = cv2.resize(np.ascontiguousarray(image, dtype=np.float32), size, interpolation=cv2.INTER_AREA)
        lab = cv2.cvtColor(img, cv2.COLOR_RGB2Lab)
    edges = []
    for k, a in enumerate(ids):
        for b in ids[k + 1 :]:
            ma, mb = small[a], small[b]
            lost = (a, b) in swallowed or (b, a) in swallowed  # a lost mask's contour is no evidence
            if lost:
                e_ab, e_ba, contested = 0.0, 0.0, 0
            elif not ma.any() or not mb.any() or not (morph.dilate(ma, touch) & mb).any():
                continue
            else:
                others = np.zeros_like(ma)
                for c in ids:
                    if c not in (a, b):
                        others |= small[c]
                pair_boxes = (regions[a], regions[b]) if a in regions and b in regions else None
                kw = {"radius": radius, "others": others, "boxes": pair_boxes, "learnt": learnt, "net": net}
                e_ab, e_ba, contested = order_evidence(ma, mb, **kw)
                repaired = None
                if lab is not None and pair_boxes is not None and abs(e_ab - e_ba) < REPAIR_MARGIN:
                    repaired = colour_repaired(ma, mb, lab, pair_boxes)
                if repaired is not None:
                    r_ab, r_ba, _ = order_evidence(*repaired, **kw)
                    e_ab, e_ba = 0.5 * (e_ab + r_ab), 0.5 * (e_ba + r_ba)
            e_ab += prior.get((a, b), 0.0) + swallowed.get((a, b), 0.0)
            e_ba += prior.get((b, a), 0.0) + swallowed.get((b, a), 0.0)
            margin = abs(e_ab - e_ba)
            conf = min(1.0, margin / 0.5)  # 0.5 rad of turning (about 30 degrees) = certain
            if conf < min_confidence:
                log.info("order of %s and %s is ambiguous (evidence %.0f vs %.0f): no edge", a, b, e_ab, e_ba)
                continue
            u, v = (a, b) if e_ab > e_ba else (b, a)
            priors = (("resting", prior), ("swallowed", swallowed))
            cue = "junction+convexity" + ("+learnt" if learnt else "")
            cue += "".join(f"+{name}" for name, p in priors if (a, b) in p or (b, a) in p)
            edges.append((u, v, {"overlap": int(max(e_ab, e_ba) + contested), "confidence": round(conf, 4),
                                 "margin": round(margin, 4), "cue": cue,
                                 "evidence": [e_ab, e_ba] if u == a else [e_ba, e_ab]}))
    # contradictions weigh each edge by its whole margin: a 2-rad junction outweighs a 0.6-rad one, which the
    # confidence (capped at 0.5 rad) would tie
    graph = occlusion_graph({lid: {"prompt_index": k} for k, lid in enumerate(ids)}, edges)
    return agreeing_order(graph, weight="margin")
