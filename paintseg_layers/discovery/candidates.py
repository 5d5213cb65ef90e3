"""Candidate object masks from the superpixel graph: six generators feeding one scored pool.

Each generator adds superpixel groups (or, for Felzenszwalb's regions, pixel masks) to a
:class:`CandidatePool`, which fills holes, scores each distinct mask once
(:func:`~paintseg_layers.discovery.objectness.objectness`) and keeps them in the order they were first
added (the ranking's tie order).
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import linalg
from scipy import ndimage as ndi
from scipy.cluster.vq import kmeans2
from skimage import graph as skgraph
from skimage.segmentation import felzenszwalb
from sklearn.cluster import AgglomerativeClustering

from paintseg_layers.discovery.config import DiscoverConfig
from paintseg_layers.discovery.evidence import blurred_lab
from paintseg_layers.discovery.objectness import FeatureWords, background_like, objectness
from paintseg_layers.discovery.superpixels import SuperpixelGraph, components, detached_groups, fiedler_split
from paintseg_layers.image import gradient_magnitude, to_uint8

log = logging.getLogger(__name__)

#: Felzenszwalb scale of the fine regions that :func:`boundary_merge_candidates` merges.
BOUNDARY_MERGE_SCALE = 30.0

#: A scored candidate: (mask at the discovery resolution, objectness, terms).
Candidate = tuple[np.ndarray, float, dict]


class CandidatePool:
    """Distinct candidate masks (unions of superpixels, holes filled) with their objectness."""

    def __init__(self, graph: SuperpixelGraph, ctx: FeatureWords):
        self.graph = graph
        self.ctx = ctx
        self._pool: dict[bytes, Candidate] = {}

    def add(self, nodes: np.ndarray) -> Candidate:
        """Add the union of the superpixels ``nodes`` (scored once per distinct mask) and return it."""
        return self.add_mask(np.isin(self.graph.labels, nodes))

    def add_mask(self, m: np.ndarray) -> Candidate:
        """Add the mask ``m`` (discovery resolution; scored once per distinct mask) and return it."""
        key = np.packbits(m).tobytes()
        if key not in self._pool:
            m = ndi.binary_fill_holes(m)
            sc, terms = objectness(m, self.ctx)
            self._pool[key] = (m, sc, terms)
        return self._pool[key]

    def __len__(self) -> int:
        return len(self._pool)

    def candidates(self) -> list[Candidate]:
        """Every candidate, in the order first added."""
        return list(self._pool.values())


def maskcut_candidates(pool: CandidatePool, cfg: DiscoverConfig, max_objects: int) -> None:
    """MaskCut-style repeated normalised cut on the dense graph.

    Each round splits the remaining superpixels at the Ncut-optimal threshold of the Fiedler vector;
    every connected part of either side joins the pool; the best-scoring part that is not
    background-like (with no score threshold) leaves the graph. ``max_objects + 2`` rounds at most.
    """
    g = pool.graph
    alive = np.arange(g.n)
    for _ in range(max_objects + 2):
        side = fiedler_split(g.aff[np.ix_(alive, alive)])
        if side is None:
            break
        cands = components(alive[side], g.adj) + components(alive[~side], g.adj)
        best, best_sc = None, -1.0
        for nodes in cands:
            _, sc, terms = pool.add(nodes)
            if background_like(terms, sc, cfg, 0.0) is None and sc > best_sc:
                best, best_sc = nodes, sc
        if best is None:
            break
        alive = np.setdiff1d(alive, best)
        if len(alive) < 3:
            break


def spectral_candidates(pool: CandidatePool, cfg: DiscoverConfig, seed: int) -> None:
    """Spectral clustering of the graph at each k of ``cfg.clusters``: every cluster's connected parts.

    k-means (seeded ``seed + k``) on the first ``k - 1`` non-trivial eigenvectors of the symmetric
    normalised Laplacian, rows normalised. A graph whose affinities fall apart into groups (no edge above
    ``DETACHED`` between them: saturated colours on a plain background) has a null space of one dimension a
    group, in which ``eigh`` returns an arbitrary basis, so that a clustering on part of it hinged on float
    noise; there every group is a candidate and is clustered on its own (as :func:`fiedler_split` splits it).
    """
    g = pool.graph
    groups, label = detached_groups(g.aff)
    parts = [np.arange(g.n)] if groups == 1 else [np.flatnonzero(label == i) for i in range(groups)]
    for nodes in parts:
        if groups > 1:
            for piece in components(nodes, g.adj):
                pool.add(piece)
        _cluster_spectrally(pool, nodes, cfg, seed)


def _cluster_spectrally(pool: CandidatePool, nodes: np.ndarray, cfg: DiscoverConfig, seed: int) -> None:
    """:func:`spectral_candidates` on the connected subgraph of ``nodes``."""
    g = pool.graph
    n = len(nodes)
    aff = g.aff[np.ix_(nodes, nodes)]
    r = 1.0 / np.sqrt(aff.sum(1) + 1e-9)
    m_eig = int(min(n - 1, max(cfg.clusters) + 1))
    if m_eig < 2:
        return
    _, vecs = np.linalg.eigh(np.eye(n) - r[:, None] * aff * r[None, :])
    emb = vecs[:, 1:m_eig]
    emb = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12)
    for k in cfg.clusters:
        if k >= n:
            continue
        _, lab = kmeans2(emb[:, : max(1, k - 1)], k, seed=int(seed) + k, minit="++")
        for c in range(k):
            for piece in components(nodes[lab == c], g.adj):
                pool.add(piece)


def ward_candidates(pool: CandidatePool, cfg: DiscoverConfig) -> None:
    """Every merge of a connectivity-constrained Ward agglomeration of the superpixels.

    Features: node feature / sqrt(s_f) and centroid / (spatial_sigma * diagonal). Merges of between
    ``min_area * n`` and ``1.5 * max_area * n`` superpixels join the pool. Needs 3 superpixels.
    """
    g = pool.graph
    n = g.n
    if n < 3:
        return
    diag = np.hypot(*g.labels.shape)
    feat_xy = np.concatenate([g.node / np.sqrt(g.s_f), g.pos / (cfg.spatial_sigma * diag)], axis=1)
    agg = AgglomerativeClustering(n_clusters=1, connectivity=g.adj.astype(np.uint8), linkage="ward",
                                  compute_full_tree=True).fit(feat_xy)
    members: list[np.ndarray] = [np.array([i]) for i in range(n)]
    for a, b in agg.children_:
        members.append(np.concatenate([members[a], members[b]]))
        if cfg.min_area * n <= len(members[-1]) <= cfg.max_area * n * 1.5:
            pool.add(members[-1])


def skimage_ncut_candidates(pool: CandidatePool, work: np.ndarray, seed: int) -> None:
    """Regions of :func:`skimage.graph.cut_normalized` on the mean-colour region adjacency graph of ``work``."""
    g = pool.graph
    rag = skgraph.rag_mean_color(work, g.labels, mode="similarity")
    try:
        parts = skgraph.cut_normalized(g.labels, rag, thresh=0.02, num_cuts=10, rng=seed)
    except (ValueError, KeyError, linalg.LinAlgError, ArithmeticError) as exc:  # degenerate (flat) graphs
        log.debug("skimage cut_normalized failed: %s", exc)
        return
    for r in np.unique(parts):
        for nodes in components(np.unique(g.labels[parts == r]), g.adj):
            pool.add(nodes)


def boundary_merge_candidates(pool: CandidatePool, cfg: DiscoverConfig, work: np.ndarray) -> None:
    """Every merge of a hierarchical merging of adjacent regions along their weakest boundary.

    The regions are a fine :func:`skimage.segmentation.felzenszwalb` over-segmentation (scale
    ``BOUNDARY_MERGE_SCALE``; its boundaries follow the edges to the pixel, where SLIC's compact
    superpixels straddle thin parts and let an object leak into its background). Their adjacency
    graph is weighted by the mean CIELAB gradient along each shared boundary
    (:func:`skimage.graph.rag_boundary`); :func:`skimage.graph.merge_hierarchical` merges the pair with
    the weakest boundary first, so the parts of a striped or two-colour object unite before the
    object merges with its background across its strong outline. Every merged region covering
    between ``min_area`` and ``max_area`` joins the pool.
    """
    h, w = work.shape[:2]
    fine = felzenszwalb(work, scale=BOUNDARY_MERGE_SCALE, sigma=0.8, min_size=max(1, int(cfg.min_area * h * w / 4)))
    if fine.max() == 0:  # one region (a flat image): nothing to merge, and skimage's RAG needs two
        return
    rag = skgraph.rag_boundary(fine, gradient_magnitude(blurred_lab(to_uint8(work)), np.float64))
    areas = np.bincount(fine.ravel()) / float(h * w)
    lut = np.zeros(len(areas), bool)

    def merged(graph, src, dst):
        nodes = np.union1d(graph.nodes[src]["labels"], graph.nodes[dst]["labels"])
        if cfg.min_area <= areas[nodes].sum() <= cfg.max_area:
            lut[:] = False
            lut[nodes] = True
            pool.add_mask(lut[fine])

    def boundary_weight(graph, src, dst, nbr):
        # count-weighted mean of the two boundaries that become one (skimage's boundary RAG example)
        parts = [graph[v][nbr] for v in (src, dst) if graph.has_edge(v, nbr)]
        count = sum(p["count"] for p in parts)
        return {"count": count, "weight": sum(p["count"] * p["weight"] for p in parts) / max(count, 1)}

    skgraph.merge_hierarchical(fine, rag, thresh=np.inf, rag_copy=False, in_place_merge=True,
                               merge_func=merged, weight_func=boundary_weight)


def felzenszwalb_candidates(pool: CandidatePool, cfg: DiscoverConfig, work: np.ndarray) -> None:
    """Regions of :func:`skimage.segmentation.felzenszwalb` at each scale of ``cfg.felzenszwalb``.

    Coarse scales give whole objects whose outline the SLIC superpixels miss by a few pixels (thin
    parts, textured edges). Regions covering between ``min_area`` and ``max_area`` join the pool
    (Felzenszwalb's ``min_size`` is ``min_area`` of the image).
    """
    h, w = work.shape[:2]
    for scale in cfg.felzenszwalb:
        seg = felzenszwalb(work, scale=float(scale), sigma=0.8, min_size=max(1, int(cfg.min_area * h * w)))
        areas = np.bincount(seg.ravel()) / float(h * w)
        for r in np.flatnonzero((areas >= cfg.min_area) & (areas <= cfg.max_area)):
            pool.add_mask(seg == r)
