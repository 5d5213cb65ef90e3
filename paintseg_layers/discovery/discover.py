"""Automatic object discovery: object proposals with no prompts, refined by AMCP.

PaintSeg refines coarse masks that the paper takes from an unsupervised method (TokenCut: a
normalised cut on self-supervised features). :func:`discover` is that front end, on superpixels:

1. **Graph.** The image is brought to ``working_size`` px (long side) and cut into SLIC superpixels
   (scikit-image). Each superpixel's node feature is the mean of the projector's per-pixel features
   over it (DINO when the caller picked it, the weight-free ``lab`` projector otherwise), plus its
   centroid. The affinity of two superpixels is ``exp(-d_f^2 / 2 s_f^2) * exp(-d_xy^2 / 2 s_xy^2)``
   (``s_f`` = median feature distance of adjacent superpixels, ``s_xy`` = ``spatial_sigma`` x the
   image diagonal): a dense graph, as in TokenCut.
2. **Repeated normalised cut** (MaskCut-style, as in CutLER): the second-smallest generalised
   eigenvector of ``(D - W) x = lambda D x`` (``numpy.linalg.eigh`` on the symmetric normalised Laplacian) splits the remaining nodes at
   the Ncut-optimal threshold; each 8-connected part of either side is a candidate. The best-scoring
   candidate of the round is taken out of the graph and the cut is repeated on what is left, for
   ``max_objects + 2`` rounds. The regions of a recursive 2-way normalised cut on the superpixels'
   region adjacency graph (:func:`skimage.graph.cut_normalized`) join the pool.
3. **Objectness score** of a candidate mask ``M`` (all terms in [0, 1]; documented in
   :func:`objectness`)::

       score = contrast * (1 - border_share) * solidity ** 0.5

   * ``contrast`` -- centre-surround chi-square distance between the histograms of feature *words*
     (k-means codebook of the per-pixel features, ``words`` clusters) inside ``M`` and in a ring
     around it (width ``ring`` x sqrt(area)). A patch of flat colour or of noise looks like its
     surround (contrast near 0); an object does not.
   * ``border_share`` -- share of ``M``'s boundary pixels that lie on the image frame (background
     regions run off the picture).
   * ``solidity`` -- area / convex-hull area (objects are compact; leftover background is ragged).
4. **Drop rule** (before and after refinement): a candidate is *background-like* and dropped when it
   touches 3 or more image sides, covers more than ``max_area`` of the image, covers less than
   ``min_area``, or scores below ``min_score``. Candidates are kept greedily by score; one whose mask
   IoU with an already kept, higher-scored one exceeds ``duplicate_iou`` is a duplicate and dropped.
5. **Refinement**: each kept proposal goes through AMCP (:class:`~paintseg_layers.amcp.segmenter.Segmenter`)
   as a :class:`~paintseg_layers.prompts.MaskPrompt`; the refined mask is rescored and the drop and
   duplicate rules are applied again.

On a flat or noise-only image every candidate's contrast is near 0, so :func:`discover` returns an
empty list. :func:`discover_and_decompose` feeds the proposals (after any user prompts) to
:func:`paintseg_layers.peel.engine.decompose`, and returns a valid decomposition with no layers when there
is nothing to peel.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, fields

import cv2
import numpy as np
from scipy import linalg
from scipy import ndimage as ndi

from paintseg_layers.amcp.config import AMCPConfig
from paintseg_layers.amcp.segmenter import Segmenter
from paintseg_layers.errors import InputError, check_known_keys
from paintseg_layers.image import as_rgb, resize_image, upsample_soft, working_scale
from paintseg_layers.masks import bbox, iou, upsample
from paintseg_layers.prompts import MaskPrompt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiscoverConfig:
    """Settings of :func:`discover` (sizes at the discovery resolution).

    Attributes
    ----------
    working_size : int
        Long side, in px, at which proposals are computed.
    n_segments : int
        Target number of SLIC superpixels.
    compactness : float
        SLIC compactness (colour vs space trade-off).
    spatial_sigma : float
        Spatial scale of the affinity, as a fraction of the image diagonal.
    words : int
        Size of the feature codebook used by the contrast score.
    ring : float
        Width of the surround ring, as a fraction of ``sqrt(area)`` of the candidate (at least 2 px).
    min_gap : float
        Distance between the mean features inside and around a candidate (projector units; for
        ``lab``, CIELAB / 100) from which it fully separates (``separation`` term of the score).
    min_area, max_area : float
        Candidate area bounds, as fractions of the image.
    duplicate_iou : float
        IoU above which a lower-scored proposal duplicates a kept one.
    max_overlap : float
        Proposals are visible parts, so nearly disjoint: one sharing more than this fraction of the
        smaller mask with a kept, higher-scored one is a duplicate too (a union or a part of it).
    nested, nest_ratio : float
        A candidate lying ``nested`` or more inside another valid candidate that scores at least
        ``nest_ratio`` times as much is a *part* (e.g. one colour patch of a textured object): dropped.
    size_prior : float
        Candidates are ranked by ``score * area ** size_prior`` (area as a fraction of the image).
    clusters : tuple of int
        Numbers of clusters of the spectral clustering (k-means on the graph's spectral embedding).
    agglomerate : bool
        Add every region of a connectivity-constrained Ward agglomeration of the superpixels.
    skimage_ncut : bool
        Add the regions of :func:`skimage.graph.cut_normalized` on the region adjacency graph.
    refine : bool
        Refine each proposal with AMCP (as a coarse-mask prompt).
    """

    working_size: int = 160
    n_segments: int = 180
    compactness: float = 10.0
    spatial_sigma: float = 0.25
    words: int = 12
    ring: float = 0.5
    min_gap: float = 0.1
    min_area: float = 0.01
    max_area: float = 0.6
    duplicate_iou: float = 0.5
    max_overlap: float = 0.25
    nested: float = 0.8
    nest_ratio: float = 1.0
    size_prior: float = 0.15
    clusters: tuple = (2, 3, 4, 5, 6, 8)
    agglomerate: bool = True
    skimage_ncut: bool = False
    refine: bool = True

    def __post_init__(self):
        if not isinstance(self.working_size, (int, np.integer)) or not 32 <= self.working_size <= 1024:
            raise InputError(f"`working_size` must be an integer in [32, 1024], got {self.working_size!r}")
        if not isinstance(self.n_segments, (int, np.integer)) or not 8 <= self.n_segments <= 2000:
            raise InputError(f"`n_segments` must be an integer in [8, 2000], got {self.n_segments!r}")
        if not isinstance(self.words, (int, np.integer)) or not 2 <= self.words <= 256:
            raise InputError(f"`words` must be an integer in [2, 256], got {self.words!r}")
        for name in ("spatial_sigma", "ring", "compactness", "min_gap"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not v > 0:
                raise InputError(f"`{name}` must be a number > 0, got {v!r}")
        for name in ("min_area", "max_area", "duplicate_iou", "max_overlap", "nested", "nest_ratio"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise InputError(f"`{name}` must be a number in [0, 1], got {v!r}")
        if self.min_area >= self.max_area:
            raise InputError(f"`min_area` must be below `max_area`, got {self.min_area} and {self.max_area}")

    @classmethod
    def from_dict(cls, data: dict) -> DiscoverConfig:
        """Build from a dict; unknown keys raise :class:`InputError`."""
        check_known_keys(data, {f.name for f in fields(cls)}, "discovery")
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


#: Proposals scoring below this are background-like (the default of ``min_score``).
MIN_SCORE = 0.3


@dataclass(frozen=True, eq=False)
class Proposal:
    """One discovered object.

    Attributes
    ----------
    mask : (H, W) bool
        The object at the input's full size (AMCP-refined when refinement ran).
    score : float
        Objectness in [0, 1] (:func:`objectness` of ``mask``).
    box : (int, int, int, int)
        ``(x0, y0, x1, y1)`` of ``mask`` (x1, y1 exclusive).
    coarse_mask : (H, W) bool or None
        The normalised-cut proposal before refinement.
    coarse_score : float
        Objectness of ``coarse_mask``.
    terms : dict
        The score's terms (``contrast``, ``border_share``, ``solidity``, ``sides``, ``area``).
    """

    mask: np.ndarray
    score: float
    box: tuple[int, int, int, int]
    coarse_mask: np.ndarray | None = None
    coarse_score: float = 0.0
    terms: dict = field(default_factory=dict)

    def prompt(self) -> MaskPrompt:
        """The proposal as a coarse-mask prompt."""
        return MaskPrompt(self.mask)

    def to_dict(self) -> dict:
        """JSON-ready summary (no arrays)."""
        return {"score": round(float(self.score), 6), "coarse_score": round(float(self.coarse_score), 6),
                "box": [int(v) for v in self.box], "area": int(self.mask.sum()),
                "terms": {k: (round(float(v), 6) if isinstance(v, float) else v) for k, v in self.terms.items()}}


# -- features and the codebook ---------------------------------------------------------------------------
class _Context:
    """Per-image state shared by the scoring of every candidate (features, codebook, word map)."""

    def __init__(self, features: np.ndarray, words: int, ring: float, seed: int, min_gap: float = 0.1):
        from scipy.cluster.vq import kmeans2, vq

        self.features = features
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


def objectness(mask: np.ndarray, ctx: _Context) -> tuple[float, dict]:
    """Objectness of ``mask`` (at the discovery resolution) and its terms.

    ``score = contrast * (1 - border_share) * sqrt(solidity)``, each term in [0, 1]:
    ``contrast`` is the chi-square distance ``0.5 * sum((p - q)^2 / (p + q))`` between the feature-word
    histograms inside the mask (``p``) and in a ring around it (``q``), ``border_share`` the share of
    the mask's boundary pixels on the image frame, ``solidity`` the area over the convex hull's area.
    """
    h, w = ctx.shape
    area = int(mask.sum())
    if area == 0:
        return 0.0, {"contrast": 0.0, "separation": 0.0, "border_share": 0.0, "solidity": 0.0, "sides": 0, "area": 0.0}
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
    return float(score), {"contrast": contrast, "separation": separation, "border_share": border_share, "solidity": solidity, "sides": sides,
                          "area": area / float(h * w)}


def _background_like(terms: dict, score: float, cfg: DiscoverConfig, min_score: float) -> str | None:
    """The reason a candidate is background-like (see the module docstring, step 4), or None."""
    if terms["sides"] >= 3:
        return f"touches {terms['sides']} image sides"
    if terms["area"] > cfg.max_area:
        return f"covers {terms['area']:.2f} of the image (> max_area {cfg.max_area})"
    if terms["area"] < cfg.min_area:
        return f"covers {terms['area']:.4f} of the image (< min_area {cfg.min_area})"
    if score < min_score:
        return f"score {score:.3f} < min_score {min_score}"
    return None


# -- the graph -------------------------------------------------------------------------------------------
def _superpixel_graph(work: np.ndarray, feats: np.ndarray, cfg: DiscoverConfig, seed: int):
    """SLIC labels, node features, dense affinity and the adjacency of the superpixels."""
    from skimage.segmentation import slic

    labels = slic(work, n_segments=cfg.n_segments, compactness=cfg.compactness, start_label=0, sigma=1.0,
                  channel_axis=-1, enforce_connectivity=True)
    labels = np.unique(labels, return_inverse=True)[1].reshape(labels.shape)
    n = int(labels.max()) + 1
    counts = np.bincount(labels.ravel(), minlength=n).astype(float)
    c = feats.shape[-1]
    node = np.stack([np.bincount(labels.ravel(), weights=feats[..., k].ravel(), minlength=n) for k in range(c)], 1)
    node /= counts[:, None]
    yy, xx = np.mgrid[: labels.shape[0], : labels.shape[1]]
    pos = np.stack([np.bincount(labels.ravel(), weights=v.ravel(), minlength=n) for v in (yy, xx)], 1) / counts[:, None]
    # adjacency from horizontally / vertically neighbouring pixels
    adj = np.zeros((n, n), bool)
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1], labels[1:])):
        d = a != b
        adj[a[d], b[d]] = True
    adj |= adj.T
    df = ((node[:, None, :] - node[None, :, :]) ** 2).sum(-1)
    s_f = np.median(df[adj]) if adj.any() else 1.0
    s_f = max(float(s_f), 1e-8)
    diag = np.hypot(*labels.shape)
    dxy = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1)
    aff = np.exp(-df / (2 * s_f)) * np.exp(-dxy / (2 * (cfg.spatial_sigma * diag) ** 2))
    np.fill_diagonal(aff, 0.0)
    return labels, node, aff, adj, pos, s_f


def _fiedler_split(aff: np.ndarray) -> np.ndarray | None:
    """Boolean side of the Ncut-optimal threshold of the second generalised eigenvector."""
    n = len(aff)
    if n < 3:
        return None
    d = aff.sum(1) + 1e-9
    r = 1.0 / np.sqrt(d)
    # (D - W) x = lambda D x  <=>  L_sym y = lambda y with x = D^-1/2 y
    try:
        _, vecs = np.linalg.eigh(np.eye(n) - r[:, None] * aff * r[None, :])
    except np.linalg.LinAlgError:
        return None
    v = vecs[:, 1] * r
    best, best_cut = None, np.inf
    for t in np.quantile(v, np.linspace(0.1, 0.9, 17)):
        side = v > t
        if side.all() or not side.any():
            continue
        cut = aff[side][:, ~side].sum()
        ncut = cut / d[side].sum() + cut / d[~side].sum()
        if ncut < best_cut:
            best, best_cut = side, ncut
    return best


def _components(nodes: np.ndarray, adj: np.ndarray) -> list[np.ndarray]:
    """Connected groups (in the superpixel adjacency) of the node indices ``nodes``."""
    from scipy.sparse.csgraph import connected_components

    if len(nodes) == 0:
        return []
    sub = adj[np.ix_(nodes, nodes)]
    k, lab = connected_components(sub, directed=False)
    return [nodes[lab == i] for i in range(k)]


# -- the public API --------------------------------------------------------------------------------------
def _check(image, max_objects, seed, min_score):
    rgb = as_rgb(image, name="image")
    if isinstance(max_objects, bool) or not isinstance(max_objects, (int, np.integer)) or max_objects < 0:
        raise InputError(f"`max_objects` must be an integer >= 0, got {max_objects!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"`seed` must be an integer >= 0, got {seed!r}")
    if not isinstance(min_score, (int, float)) or not 0 <= min_score <= 1:
        raise InputError(f"`min_score` must be a number in [0, 1], got {min_score!r}")
    if min(rgb.shape[:2]) < 8:
        raise InputError(f"`image` must be at least 8 x 8 px, got {rgb.shape[1]} x {rgb.shape[0]}")
    return rgb


def propose(image, *, max_objects: int = 5, projector=None, seed: int = 0, min_score: float = MIN_SCORE,
            config: DiscoverConfig | None = None) -> tuple[list[tuple[np.ndarray, float, dict]], tuple[int, int]]:
    """Coarse normalised-cut proposals at the discovery resolution (no refinement).

    Returns
    -------
    proposals : list of (mask, score, terms)
        Kept proposals, best first, masks at the discovery resolution.
    work_shape : (int, int)
        ``(H, W)`` of the discovery resolution.
    """
    from paintseg_layers.projectors import get_projector

    cfg = config or DiscoverConfig()
    rgb = _check(image, max_objects, seed, min_score)
    proj = get_projector(projector)
    s = working_scale(rgb.shape[:2], cfg.working_size)
    wshape = (max(8, round(rgb.shape[0] * s)), max(8, round(rgb.shape[1] * s)))
    work = resize_image(rgb, wshape)
    feats = proj.project(work[None])[0].astype(np.float64)
    ctx = _Context(feats, cfg.words, cfg.ring, seed, cfg.min_gap)
    labels, node, aff, adj, pos, s_f = _superpixel_graph(work, feats, cfg, seed)
    n = len(node)

    pool: dict[bytes, tuple[np.ndarray, float, dict]] = {}

    def add(nodes) -> tuple[float, np.ndarray] | None:
        m = np.isin(labels, nodes)
        key = np.packbits(m).tobytes()
        if key not in pool:
            m = ndi.binary_fill_holes(m)
            sc, terms = objectness(m, ctx)
            pool[key] = (m, sc, terms)
        return pool[key]

    # MaskCut-style repeated normalised cut on the dense graph
    alive = np.arange(n)
    for _ in range(max_objects + 2):
        side = _fiedler_split(aff[np.ix_(alive, alive)])
        if side is None:
            break
        cands = _components(alive[side], adj) + _components(alive[~side], adj)
        best, best_sc = None, -1.0
        for nodes in cands:
            m, sc, terms = add(nodes)
            if _background_like(terms, sc, cfg, 0.0) is None and sc > best_sc:
                best, best_sc = nodes, sc
        if best is None:
            break
        alive = np.setdiff1d(alive, best)
        if len(alive) < 3:
            break

    # spectral clustering of the same graph at several k: its clusters' parts join the pool
    d = aff.sum(1) + 1e-9
    r = 1.0 / np.sqrt(d)
    m_eig = int(min(n - 1, max(cfg.clusters) + 1))
    if m_eig >= 2:
        from scipy.cluster.vq import kmeans2

        _, vecs = np.linalg.eigh(np.eye(n) - r[:, None] * aff * r[None, :])
        emb = vecs[:, 1:m_eig]
        emb = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12)
        for k in cfg.clusters:
            if k >= n:
                continue
            _, lab = kmeans2(emb[:, : max(1, k - 1)], k, seed=int(seed) + k, minit="++")
            for c in range(k):
                for nodes in _components(np.flatnonzero(lab == c), adj):
                    add(nodes)

    # every merge of a connectivity-constrained (Ward) agglomeration of the superpixels is a candidate
    if cfg.agglomerate and n >= 3:
        from sklearn.cluster import AgglomerativeClustering

        feat_xy = np.concatenate([node / np.sqrt(s_f), pos / (cfg.spatial_sigma * np.hypot(*wshape))], axis=1)
        agg = AgglomerativeClustering(n_clusters=1, connectivity=adj.astype(np.uint8), linkage="ward",
                                      compute_full_tree=True).fit(feat_xy)
        members: list[np.ndarray] = [np.array([i]) for i in range(n)]
        for a, b in agg.children_:
            members.append(np.concatenate([members[a], members[b]]))
            if cfg.min_area * n <= len(members[-1]) <= cfg.max_area * n * 1.5:
                add(members[-1])

    if cfg.skimage_ncut:
        from skimage import graph as skgraph

        rag = skgraph.rag_mean_color(work, labels, mode="similarity")
        try:
            parts = skgraph.cut_normalized(labels, rag, thresh=0.02, num_cuts=10, rng=seed)
        except (ValueError, KeyError, linalg.LinAlgError, ArithmeticError) as exc:  # degenerate (flat) graphs
            log.debug("skimage cut_normalized failed: %s", exc)
            parts = None
        if parts is not None:
            for r in np.unique(parts):
                for nodes in _components(np.unique(labels[parts == r]), adj):
                    add(nodes)

    valid = [t for t in pool.values() if _background_like(t[2], t[1], cfg, min_score) is None]
    # rank by score x area^size_prior: a part of an object (one patch of its texture) scores as well
    # as the object against its surround; the larger whole should win
    ranked = sorted(valid, key=lambda t: -t[1] * t[2]["area"] ** cfg.size_prior)
    if ranked:
        flat = np.stack([t[0].ravel() for t in ranked]).astype(np.float32)
        inter = flat @ flat.T
        areas = np.diag(inter).copy()
        scores = np.array([t[1] for t in ranked])
        # part[i, j]: i lies mostly inside the larger j, which scores nearly as well
        part = ((inter >= cfg.nested * areas[:, None]) & (areas[None, :] > areas[:, None])
                & (scores[None, :] >= cfg.nest_ratio * scores[:, None]))
        is_part = part.any(axis=1)
    kept: list[tuple[np.ndarray, float, dict]] = []
    for i, (m, sc, terms) in enumerate(ranked):
        if len(kept) >= max_objects:
            break
        if is_part[i]:
            continue
        if any(_overlapping(m, k[0], cfg) for k in kept):
            continue
        kept.append((m, sc, terms))
    log.info("discovery: %d superpixels, %d candidates, %d kept", n, len(pool), len(kept))
    return kept, wshape


def _overlapping(a: np.ndarray, b: np.ndarray, cfg: DiscoverConfig) -> bool:
    """Duplicate rule: IoU above ``duplicate_iou``, or more than ``max_overlap`` of the smaller one shared."""
    inter = np.count_nonzero(a & b)
    if not inter:
        return False
    small = min(np.count_nonzero(a), np.count_nonzero(b))
    union = np.count_nonzero(a | b)
    return inter / union > cfg.duplicate_iou or inter > cfg.max_overlap * small


def discover(image, *, max_objects: int = 5, projector=None, painter=None, seed: int = 0,
             min_score: float = MIN_SCORE, config: DiscoverConfig | None = None,
             amcp: AMCPConfig | None = None, progress: bool = False) -> list[Proposal]:
    """Find objects in ``image`` with no prompts.

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
        Settings of the refinement.
    progress : bool
        Progress bar over the refinements.

    Returns
    -------
    list of Proposal
        Best first (by ``score * area ** size_prior``); empty when nothing stands out (a flat or
        noise-only image).

    Raises
    ------
    InputError
        Bad image, ``max_objects``, ``seed`` or ``min_score``.

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
    from paintseg_layers.projectors import get_projector

    t0 = time.perf_counter()
    cfg = config or DiscoverConfig()
    if not isinstance(cfg, DiscoverConfig):
        raise InputError(f"`config` must be a DiscoverConfig, got {type(cfg).__name__}")
    rgb = _check(image, max_objects, seed, min_score)
    proj = get_projector(projector)
    coarse, wshape = propose(rgb, max_objects=max_objects, projector=proj, seed=seed, min_score=min_score, config=cfg)
    shape = rgb.shape[:2]
    if not coarse:
        return []
    seg = Segmenter(rgb, painter=painter, projector=proj, config=amcp or AMCPConfig(paint_result=False)) \
        if cfg.refine else None
    work = resize_image(rgb, wshape)
    # the refined masks are rescored in the same feature words as the coarse ones
    ctx = _Context(proj.project(work[None])[0].astype(np.float64), cfg.words, cfg.ring, seed, cfg.min_gap) if seg else None
    out: list[Proposal] = []
    it = enumerate(coarse)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(list(it), desc="refine", unit="obj", leave=False)
    for i, (m, sc, terms) in it:
        cm = upsample(m, shape)
        mask, score, t = cm, sc, terms
        if seg is not None:
            res = seg.segment(MaskPrompt(cm), seed=seed + i)
            rm = res.mask
            if rm.any():
                small = upsample_soft(rm.astype(np.float32), wshape) >= 0.5
                rs, rt = objectness(small, ctx)
                why = _background_like(rt, rs, cfg, min_score)
                if why is not None:
                    log.info("proposal %d dropped after refinement: %s", i, why)
                    continue
                mask, score, t = rm, rs, rt
        if any(_overlapping(mask, p.mask, cfg) for p in out):
            log.info("proposal %d dropped: duplicate of a higher-scored one", i)
            continue
        out.append(Proposal(mask=mask, score=float(score), box=bbox(mask), coarse_mask=cm, coarse_score=float(sc),
                            terms=dict(t)))
    out.sort(key=lambda p: -p.score * p.terms["area"] ** cfg.size_prior)
    log.info("discovered %d objects in %.2f s", len(out), time.perf_counter() - t0)
    return out


def discover_and_decompose(image, prompts=(), *, max_objects: int = 5, discover_more: bool | None = None,
                           painter=None, projector=None, config=None, seed: int = 0, min_score: float = MIN_SCORE,
                           discover_config: DiscoverConfig | None = None, progress: bool = False):
    """Peel ``image`` into layers, discovering objects where the user gave no (or not enough) prompts.

    Parameters
    ----------
    image : array (H, W, 3)
    prompts : list of prompts
        The user's prompts; they keep their indices ``0 .. len(prompts) - 1``.
    max_objects : int
        Bound on the number of *discovered* objects.
    discover_more : bool, optional
        Discover objects beside the user's prompts; default: only when there are no prompts.
        Proposals overlapping a user prompt's initial mask by IoU > ``duplicate_iou`` are dropped.
    painter, projector, config, seed, progress
        As for :func:`paintseg_layers.peel.engine.decompose` (``config`` a PeelConfig or AMCPConfig).
    min_score, discover_config
        As for :func:`discover`.

    Returns
    -------
    Decomposition
        Discovered layers carry ``scores["discovery_score"]``; with nothing to peel, a decomposition
        with no layers whose background is the input.
    """
    import networkx as nx

    from paintseg_layers.layers.model import Decomposition, quantize8
    from paintseg_layers.peel.config import PeelConfig
    from paintseg_layers.peel.engine import decompose

    rgb = as_rgb(image, name="image")
    prompts = list(prompts)
    want = (not prompts) if discover_more is None else bool(discover_more)
    dcfg = discover_config or DiscoverConfig()
    found: list[Proposal] = []
    if want and max_objects > 0:
        # decompose runs AMCP on every prompt: pass the coarse proposals and let it refine them once
        from dataclasses import replace

        found = discover(rgb, max_objects=max_objects, projector=projector, painter=painter, seed=seed,
                         min_score=min_score, config=replace(dcfg, refine=False))
        h, w = rgb.shape[:2]
        user = [p.initial_mask((h, w)) for p in prompts]
        found = [p for p in found if all(iou(p.mask, u, empty=0.0) <= dcfg.duplicate_iou for u in user)]
    all_prompts = prompts + [p.prompt() for p in found]
    if not all_prompts:
        log.warning("no objects found: writing a decomposition with no layers")
        g = nx.DiGraph()
        return Decomposition(layers=(), background=quantize8(rgb), graph=g, image_size=(rgb.shape[1], rgb.shape[0]),
                             seed=int(seed), backends={"painter": str(painter or "telea"), "projector": str(projector or "lab")},
                             config={"discover": dcfg.to_dict()}, image=quantize8(rgb))
    if config is None:
        config = PeelConfig(duplicates="merge")
    elif isinstance(config, AMCPConfig):
        config = PeelConfig(amcp=config, duplicates="merge")
    dec = decompose(rgb, all_prompts, painter=painter, projector=projector, config=config, seed=seed, progress=progress)
    for layer in dec.layers:
        k = layer.prompt_index - len(prompts)
        if k >= 0:
            layer.scores["discovered"] = True
            layer.scores["discovery_score"] = round(found[k].score, 6)
    return dec


__all__ = ["Proposal", "DiscoverConfig", "MIN_SCORE", "discover", "propose", "objectness", "discover_and_decompose"]
