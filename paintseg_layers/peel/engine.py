"""Layer peeling: split an image into amodal object layers, a background plate and an occlusion graph.

:func:`decompose` runs in four stages (PaintSeg, supplementary C, "amodal segmentation layer by layer"):

1. **Segment** every prompted object on the input with AMCP (one :class:`~paintseg_layers.amcp.segmenter.Segmenter`,
   so the image's features are computed once). A prompt whose mask hardly differs from its
   surroundings (fewer than ``min_contrast`` of its pixels have a colour absent from a ring around
   it, :func:`object_contrast`) names no object: it yields an
   *empty* layer (empty masks, ``scores["empty"] = True``) instead of an error. Two prompts whose
   initial regions *and* masks both overlap by IoU >= ``duplicate_iou`` (or that are identical) name
   the same object: an
   :class:`~paintseg_layers.errors.InputError` by default, or, with ``duplicates="merge"``, one layer
   (the first prompt's index; ``scores["merged_prompts"]`` lists all of them).
   The masks overlap (a box around an occluded object's visible part also holds the occluder) and
   carry specks: one multi-label graph cut over colour models, the first-pass masks and the
   prompts' valid regions partitions the image among background and objects
   (:func:`paintseg_layers.peel.joint.joint_labelling`; ``joint=False``: contested pixels go to the
   claimant whose colours fit them best, :func:`resolve_contested`).
2. **Order** every pair of objects whose masks touch or overlap, by two boundary-ownership cues
   (:func:`order_evidence`): the **T-junction** cue -- where the contact between two regions starts
   and ends, the front object's contour runs on smoothly while the occluded object's contour turns
   to follow the occluder's edge (:func:`junction_turn`, mean turning angle over a few scales) -- and
   the **convexity** cue -- the boundary belongs to the front object, so the object behind is the one
   whose shape is cut into: with ``E_a`` the pixels only ``a`` claims, ``|hull(E_b) & E_a|`` (local
   hulls, within ``contact_radius`` of the contact) measures how much of ``a`` fills a bite taken out
   of ``b``. The sign of ``(turn_b - turn_a) + 0.5 * normalised hull difference`` decides who is in
   front; its size gives the edge's confidence (0.5 rad = 1). **Ambiguous case**: when the margin is
   below ``min_confidence`` (e.g. two convex objects that merely touch along a straight cut) no edge is
   added: the pair gets no occlusion, and the depth order between them falls back to the order of
   the prompts. Cycles are broken by :func:`paintseg_layers.graph.break_cycles` (lowest confidence
   edge first).
3. **Peel** front to back: each layer's visible mask is its mask minus the pixels of objects in front;
   the objects already peeled are painted out of the running *painting* (each round's object-free
   painting feeds the next), and an object with occluders in front is re-segmented on that painting
   with a :class:`~paintseg_layers.prompts.MaskPrompt` covering its visible part plus the removed
   regions next to it; growth is restricted to ``visible | removed`` and to parts connected to the
   visible mask: the result is the **amodal mask**. The layer's RGBA takes the input's pixels where
   the object is visible and the painting's where it was hidden; alpha = amodal mask.
   ``amodal="nearest"`` replaces the re-segmentation by a no-painter control (each removed pixel
   takes the owner of the nearest non-removed pixel); ``amodal="none"`` keeps the visible mask.
4. **Background plate**: ``plate="peel"`` keeps the painting after the last round; ``plate="union"``
   (default) paints the union of every object's masks out of the *input* in one go, which avoids
   compounding the painter's smear over rounds.

All outputs are on the 8-bit grid (:func:`~paintseg_layers.layers.model.quantize8`), so saving and loading a
decomposition is lossless.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, fields, replace

import cv2
import networkx as nx
import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from paintseg_layers import masks as morph
from paintseg_layers.amcp.segmenter import AMCPConfig, Segmenter, paint_out
from paintseg_layers.errors import InputError, check_known_keys
from paintseg_layers.graph import break_cycles, depth_order, occlusion_graph
from paintseg_layers.image import as_rgb, working_scale
from paintseg_layers.layers.model import Decomposition, Layer, quantize8
from paintseg_layers.painters import get_painter
from paintseg_layers.peel.joint import joint_labelling
from paintseg_layers.projectors import get_projector
from paintseg_layers.prompts import MaskPrompt, check_prompt

log = logging.getLogger(__name__)

AMODAL_MODES = ("paint", "nearest", "none")
PLATE_MODES = ("union", "peel")
DUPLICATE_MODES = ("error", "merge")


@dataclass(frozen=True)
class PeelConfig:
    """Settings of :func:`decompose`.

    Attributes
    ----------
    amcp : AMCPConfig
        Settings of every AMCP segmentation.
    amodal : {"paint", "nearest", "none"}
        How hidden parts are recovered (see the module docstring).
    plate : {"union", "peel"}
        How the background plate is painted.
    duplicates : {"error", "merge"}
        What to do with two prompts naming the same object.
    duplicate_iou : float
        Mask IoU from which two prompts count as the same object.
    min_contrast : float
        Share of a mask's pixels that must stand out from its surroundings for it to be an object.
    contact_radius : float
        Local window of the order cue, as a fraction of the image's long side.
    min_confidence : float
        Order evidence below this confidence adds no edge (ambiguous pair).
    joint : bool
        Partition the image among the objects with one multi-label graph cut
        (:func:`paintseg_layers.peel.joint.joint_labelling`); False gives contested pixels to the
        nearest colour model (:func:`resolve_contested`) and keeps the rest of each mask.
    """

    amcp: AMCPConfig = field(default_factory=AMCPConfig)
    amodal: str = "paint"
    plate: str = "union"
    duplicates: str = "error"
    duplicate_iou: float = 0.85
    min_contrast: float = 0.03
    contact_radius: float = 0.15
    min_confidence: float = 0.02
    joint: bool = True

    def __post_init__(self):
        if not isinstance(self.amcp, AMCPConfig):
            raise InputError(f"`amcp` must be an AMCPConfig, got {type(self.amcp).__name__}")
        for name, allowed in (("amodal", AMODAL_MODES), ("plate", PLATE_MODES), ("duplicates", DUPLICATE_MODES)):
            if getattr(self, name) not in allowed:
                raise InputError(f"`{name}` must be one of {allowed}, got {getattr(self, name)!r}")
        if not isinstance(self.joint, bool):
            raise InputError(f"`joint` must be True or False, got {self.joint!r}")
        for name in ("duplicate_iou", "min_contrast", "contact_radius", "min_confidence"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise InputError(f"`{name}` must be a number in [0, 1], got {v!r}")

    @classmethod
    def from_dict(cls, data: dict) -> PeelConfig:
        """Build from a dict; ``amcp`` may be a dict; unknown keys raise :class:`InputError`."""
        check_known_keys(data, {f.name for f in fields(cls)}, "peel")
        data = dict(data)
        if isinstance(data.get("amcp"), dict):
            data["amcp"] = AMCPConfig.from_dict(data["amcp"])
        return cls(**data)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["amcp"] = self.amcp.to_dict()
        return d


# -- geometry helpers ---------------------------------------------------------------------------------
def _hull(mask: np.ndarray) -> np.ndarray:
    out = np.zeros(mask.shape, np.uint8)
    pts = cv2.findNonZero(mask.astype(np.uint8))
    if pts is None or len(pts) < 3:
        return mask.copy()
    cv2.fillConvexPoly(out, cv2.convexHull(pts), 1)
    return out > 0


def junction_turn(mask: np.ndarray, other: np.ndarray, *, scales=(3, 5, 8), frame: int = 3, min_run: int = 3) -> float:
    """Mean turning angle (radians) of ``mask``'s contour where its contact with ``other`` starts or ends.

    At a T-junction the front object's contour runs on smoothly while the occluded one's turns to
    follow the occluder's edge. Contact runs (and gaps) shorter than ``min_run`` contour pixels are
    ignored (specks of a noisy mask are no junctions), and so are switches within ``frame`` px of
    the image border, where the picture's frame, not an object, cuts the contours. NaN when the
    contour never switches between touching and not.
    """
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    near = morph.dilate(other, 1)
    h, w = mask.shape
    turns = []
    for c in contours:
        p = c[:, 0, :].astype(float)
        n = len(p)
        if n < 2 * min(scales) + 2:
            continue
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
            for k in scales:
                if n < 2 * k + 2:
                    continue
                v1, v2 = p[t] - p[(t - k) % n], p[(t + k) % n] - p[t]
                if v1.any() and v2.any():
                    turns.append(abs(np.arctan2(v1[0] * v2[1] - v1[1] * v2[0], v1 @ v2)))
    return float(np.mean(turns)) if turns else float("nan")


def order_evidence(mask_a: np.ndarray, mask_b: np.ndarray, *, radius: int) -> tuple[float, float, int]:
    """Evidence ``(e_ab, e_ba, contested)`` that ``a`` is in front of ``b`` and vice versa, in [0, 2].

    Sum of two cues (see the module docstring): the T-junction cue (the smoother contour at the
    contact's ends is in front; ``max(0, turn_b - turn_a)`` radians) and the convexity cue
    (``|hull(E_b near a) & E_a|`` against the reverse, normalised to [0, 1] and weighted 0.5).
    ``contested`` is the number of pixels both masks claim.
    """
    both = mask_a & mask_b
    ea, eb = mask_a & ~both, mask_b & ~both
    near_a = morph.dilate(ea | both, radius)
    near_b = morph.dilate(eb | both, radius)
    la, lb = ea & near_b, eb & near_a  # each mask's part close to the other
    h_ab = float((_hull(lb | both) & ea).sum())
    h_ba = float((_hull(la | both) & eb).sum())
    hull = 0.5 * (h_ab - h_ba) / (h_ab + h_ba + 1.0)
    ta, tb = junction_turn(mask_a, eb), junction_turn(mask_b, ea)
    turn = 0.0 if np.isnan(ta) or np.isnan(tb) else tb - ta
    score = turn + hull
    return max(0.0, score), max(0.0, -score), int(both.sum())


def object_contrast(image: np.ndarray, mask: np.ndarray, *, ring: int = 4, tolerance: float = 3.0,
                    samples: int = 500, seed: int = 0) -> float:
    """Share of ``mask``'s pixels whose colour is absent from a ring around it (0 = nothing stands out).

    A pixel is *explained* by its surroundings when some ring pixel lies within ``tolerance``
    (CIELAB units) of its colour. A prompt on empty background yields a region that its ring
    explains almost entirely; an object does not. On a textured background a prompt without an
    object still scores above zero, so it gives an ordinary (probably meaningless) layer there;
    ``scores["contrast"]`` lets callers filter.
    """

    if not mask.any():
        return 0.0
    around = morph.dilate(mask, ring) & ~mask
    if not around.any():
        return 1.0
    lab = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2Lab)
    rng = np.random.default_rng(seed)
    ref = lab[around]
    if len(ref) > samples:
        ref = ref[rng.choice(len(ref), samples, replace=False)]
    pix = lab[mask]
    if len(pix) > 4 * samples:
        pix = pix[rng.choice(len(pix), 4 * samples, replace=False)]
    d, _ = cKDTree(ref).query(pix, k=1)
    return float((d > tolerance).mean())


def resolve_contested(image: np.ndarray, masks: list[np.ndarray], *, samples: int = 400, seed: int = 0) -> list[np.ndarray]:
    """Give every pixel that several masks claim to the claimant whose colours fit it best.

    Each object's colour model is a random sample of its uncontested pixels (Lab); a contested pixel
    goes to the object with the nearest sample (median distance to the 3 nearest). Box prompts of
    overlapping objects make the back object's mask swallow the front object's visible part; the
    visible part is what the image shows, so colour decides.
    """

    masks = [m.copy() for m in masks]
    count = np.sum([m.astype(np.uint8) for m in masks], axis=0) if masks else None
    if count is None or count.max() < 2:
        return masks
    lab = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2Lab)
    contested = count >= 2
    rng = np.random.default_rng(seed)
    cost = np.full((len(masks), int(contested.sum())), np.inf)
    for k, m in enumerate(masks):
        own = m & ~contested
        if own.sum() < 5:
            own = m
        if not own.any():
            continue
        pix = lab[own]
        if len(pix) > samples:
            pix = pix[rng.choice(len(pix), samples, replace=False)]
        d, _ = cKDTree(pix).query(lab[contested], k=min(3, len(pix)))
        d = d if d.ndim == 2 else d[:, None]
        claim = m[contested]
        cost[k, claim] = np.median(d, axis=1)[claim]
    winner = np.argmin(cost, axis=0)
    ys, xs = np.nonzero(contested)
    for k, m in enumerate(masks):
        m[ys, xs] = m[ys, xs] & (winner == k)
    return masks


def nearest_fill(visible: list[np.ndarray], removed: np.ndarray) -> list[np.ndarray]:
    """No-painter amodal control: each pixel of ``removed`` takes the owner of the nearest pixel outside it.

    Returns the extra (hidden) mask of every object; the background owns what no object gets.
    """
    if not removed.any():
        return [np.zeros_like(removed) for _ in visible]
    _, (iy, ix) = ndi.distance_transform_edt(removed, return_indices=True)
    out = []
    for v in visible:
        src = v & ~removed
        out.append(removed & src[iy, ix])
    return out


def _connected_to(mask: np.ndarray, seed: np.ndarray) -> np.ndarray:
    if not mask.any() or not seed.any():
        return mask & seed
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    keep = np.unique(labels[seed & mask])
    keep = keep[keep > 0]
    return np.isin(labels, keep)


# -- the engine ----------------------------------------------------------------------------------------
def _check_inputs(image, prompts, seed):
    rgb = as_rgb(image, name="image")
    if isinstance(prompts, (str, bytes)) or not hasattr(prompts, "__iter__"):
        raise InputError(f"`prompts` must be a list of prompts (one per object), got {type(prompts).__name__}")
    prompts = list(prompts)
    if not prompts:
        raise InputError("`prompts` must name at least one object, got an empty list")
    for i, p in enumerate(prompts):
        try:
            check_prompt(p, rgb.shape[:2])
        except InputError as exc:
            raise InputError(f"prompt {i}: {exc}") from None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"`seed` must be an integer >= 0, got {seed!r}")
    return rgb, prompts


def _first_pass(rgb, prompts, seg, cfg, seed, progress):
    """Stage 1: segment every prompt, flag empty ones, merge duplicates, resolve contested pixels."""
    h, w = rgb.shape[:2]
    n = len(prompts)
    # 1. segment every prompt on the input
    masks, scores = [], []
    it = range(n)
    if progress:

        it = tqdm(it, desc="segment", unit="obj", leave=False)
    for i in it:
        t0 = time.perf_counter()
        res = seg.segment(prompts[i], seed=seed + i)
        m = res.mask
        contrast = object_contrast(rgb, m, ring=max(3, int(round(0.03 * max(h, w)))), seed=seed)
        empty = not m.any() or contrast < cfg.min_contrast
        if empty:
            log.warning("prompt %d names no object (only %.3f of its mask's pixels stand out from their "
                        "surroundings, < min_contrast %.3f): empty layer", i, contrast, cfg.min_contrast)
            m = np.zeros((h, w), bool)
        masks.append(m)
        scores.append({"contrast": round(contrast, 6), "empty": bool(empty), "seconds": round(time.perf_counter() - t0, 4)})

    # duplicates: identical prompts, or masks that are the same object
    owner = list(range(n))  # prompt -> prompt index of the layer it belongs to
    for i in range(n):
        for j in range(i + 1, n):
            if owner[j] != j or owner[i] != i:
                continue
            same = prompts[i].to_dict() == prompts[j].to_dict() and type(prompts[i]) is type(prompts[j])
            if not same and masks[i].any() and masks[j].any():
                # both the prompts and the masks must agree: two different objects can get the same
                # mask when one prompt's box holds the other object
                regions = morph.iou(prompts[i].initial_mask((h, w)), prompts[j].initial_mask((h, w)), empty=0.0)
                same = min(regions, morph.iou(masks[i], masks[j], empty=0.0)) >= cfg.duplicate_iou
            if not same:
                continue
            if cfg.duplicates == "error":
                raise InputError(f"prompts {i} and {j} name the same object (prompt and mask IoU >= "
                                 f"duplicate_iou {cfg.duplicate_iou}); "
                                 "give one prompt per object or use duplicates='merge'")
            owner[j] = i
            masks[i] = masks[i] | masks[j]
            log.info("prompt %d merged into prompt %d (same object)", j, i)
    kept = [i for i in range(n) if owner[i] == i]
    for i in kept:
        scores[i]["merged_prompts"] = [j for j in range(n) if owner[j] == i]

    # box prompts of overlapping objects overlap: one joint cut (or colour fit) gives every pixel one owner
    resolved = resolve_contested(rgb, [masks[i] for i in kept], seed=seed)
    if cfg.joint and len(kept) > 1:
        valid = [prompts[i].valid_region((h, w)) for i in kept]
        resolved = joint_labelling(rgb, resolved, valid, working_size=cfg.amcp.working_size, seed=seed)
    for i, m in zip(kept, resolved):
        masks[i] = m

    return masks, scores, kept


def decompose(image, prompts, *, painter=None, projector=None, config: PeelConfig | AMCPConfig | None = None,
              seed: int = 0, progress: bool = False, threads: int | None = 1) -> Decomposition:
    """Peel ``image`` into one amodal layer per prompt, a background plate and an occlusion graph.

    Parameters
    ----------
    image : array (H, W, 3)
        uint8 or float RGB in [0, 1].
    prompts : list of BoxPrompt, PointPrompt, MaskPrompt or ScribblePrompt
        One per object, in full-image coordinates; their positions become ``prompt_index``.
    painter, projector : str or backend object, optional
        Registry names or instances (defaults: ``telea`` and ``lab``).
    config : PeelConfig or AMCPConfig, optional
        An ``AMCPConfig`` is wrapped as ``PeelConfig(amcp=config)``.
    seed : int
        Seeds every AMCP run and painting (derived per prompt and round).
    progress : bool
        Show tqdm progress bars.
    threads : int or None
        Cap on the BLAS / OpenMP thread pools while decomposing (``threadpoolctl``, scoped to this
        call); None leaves them alone. The classical path runs many tiny k-means and
        Gaussian-mixture fits (a few thousand pixels each), where worker threads cost far more in
        hand-offs than they save: on a busy 2-core machine one thread made the peel benchmark
        about 7x faster (25 s -> 3.6 s per scene; depth-order accuracy unchanged). Pass None for
        neural backends running on the CPU.

    Returns
    -------
    Decomposition
        Layers front to back (ids ``obj<prompt_index>``), background plate, occlusion graph; each
        layer's ``scores`` hold ``visible_area``, ``amodal_area``, ``hidden_fraction``, ``contrast``,
        ``empty`` and ``seconds``.

    Raises
    ------
    InputError
        Bad image, prompt, seed, threads or config; two prompts naming the same object
        (``duplicates="error"``).

    Examples
    --------
    >>> import numpy as np
    >>> from paintseg_layers import BoxPrompt
    >>> img = np.full((96, 96, 3), 0.9, np.float32)
    >>> img[20:70, 10:60] = (0.1, 0.2, 0.8); img[40:85, 40:90] = (0.9, 0.2, 0.1)
    >>> d = decompose(img, [BoxPrompt((10, 20, 60, 70)), BoxPrompt((40, 40, 90, 85))], seed=0)
    >>> d.order
    ['obj1', 'obj0']
    """
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1):
        raise InputError(f"`threads` must be an integer >= 1 or None, got {threads!r}")
    if threads is None:
        return _decompose(image, prompts, painter, projector, config, seed, progress)

    with threadpool_limits(limits=int(threads)):
        return _decompose(image, prompts, painter, projector, config, seed, progress)


def _decompose(image, prompts, painter, projector, config, seed, progress) -> Decomposition:
    t_start = time.perf_counter()
    rgb, prompts = _check_inputs(image, prompts, seed)
    seed = int(seed)
    if config is None:
        cfg = PeelConfig()
    elif isinstance(config, AMCPConfig):
        cfg = PeelConfig(amcp=config)
    elif isinstance(config, PeelConfig):
        cfg = config
    else:
        raise InputError(f"`config` must be a PeelConfig or AMCPConfig, got {type(config).__name__}")
    painter = get_painter(painter)
    projector = get_projector(projector)
    h, w = rgb.shape[:2]
    n = len(prompts)
    amcp_cfg = replace(cfg.amcp, paint_result=True)

    # 1. segment every prompt on the input
    seg = Segmenter(rgb, painter=painter, projector=projector, config=amcp_cfg)
    masks, scores, kept = _first_pass(rgb, prompts, seg, cfg, seed, progress)

    # 2. pairwise order
    ids = {i: f"obj{i}" for i in kept}
    radius = max(2, int(round(cfg.contact_radius * max(h, w))))
    # the cues are read at the AMCP working resolution, so their pixel scales mean the same at any size
    scale = working_scale((h, w), amcp_cfg.working_size)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = {i: morph.shrink(masks[i], size) for i in kept}
    order_radius = max(2, int(round(cfg.contact_radius * max(h, w) * scale)))
    touch = max(1, int(round(0.01 * max(h, w) * scale)))
    edges = []
    for a_i, a in enumerate(kept):
        for b in kept[a_i + 1 :]:
            ma, mb = small[a], small[b]
            if not ma.any() or not mb.any() or not (morph.dilate(ma, touch) & mb).any():
                continue
            e_ab, e_ba, contested = order_evidence(ma, mb, radius=order_radius)
            conf = min(1.0, abs(e_ab - e_ba) / 0.5)  # 0.5 rad of turning (about 30 degrees) = certain
            if conf < cfg.min_confidence:
                log.info("order of %s and %s is ambiguous (evidence %.0f vs %.0f): no edge", ids[a], ids[b], e_ab, e_ba)
                continue
            u, v = (a, b) if e_ab > e_ba else (b, a)
            edges.append((ids[u], ids[v], {"overlap": int(max(e_ab, e_ba) + contested), "confidence": round(conf, 4),
                                           "cue": "junction+convexity", "evidence": [e_ab, e_ba] if u == a else [e_ba, e_ab]}))
    nodes = {ids[i]: {"prompt_index": i} for i in kept}
    graph = break_cycles(occlusion_graph(nodes, edges))
    order_ids = depth_order(graph)
    order = [int(x[3:]) for x in order_ids]
    ancestors = {i: [int(x[3:]) for x in _ancestors(graph, ids[i])] for i in kept}

    # visible masks: contested pixels go to the front-most claimant
    visible = {}
    taken = np.zeros((h, w), bool)
    for i in order:
        visible[i] = masks[i] & ~taken
        taken |= masks[i]

    # 3. peel front to back
    painting = rgb.copy()
    amodal = {}
    layers = []
    removed_so_far = np.zeros((h, w), bool)
    it = enumerate(order)
    if progress:

        it = tqdm(list(it), desc="peel", unit="layer", leave=False)
    for rank, i in it:
        t0 = time.perf_counter()
        vis = visible[i]
        front = np.zeros((h, w), bool)
        for a in ancestors[i]:
            front |= amodal.get(a, visible[a])
        front &= ~vis
        grown = vis.copy()
        if vis.any() and front.any() and cfg.amodal != "none":
            near = front & morph.dilate(vis, radius)
            if cfg.amodal == "nearest":
                others = [visible[j] for j in kept if j != i]
                extra = nearest_fill([vis, *others], front)[0]
            elif near.any():
                sub = Segmenter(painting, painter=painter, projector=projector, config=amcp_cfg)
                res = sub.segment(MaskPrompt(vis | near), seed=seed + 1000 + i)
                extra = res.mask & front
            else:
                extra = np.zeros((h, w), bool)
            grown = vis | _connected_to(extra | vis, vis)
        amodal[i] = grown
        colour = np.where(vis[..., None], rgb, painting)
        rgba = np.concatenate([colour * grown[..., None], grown[..., None].astype(np.float32)], axis=2)
        sc = dict(scores[i])
        sc.update({"visible_area": int(vis.sum()), "amodal_area": int(grown.sum()),
                   "hidden_fraction": round(1 - vis.sum() / grown.sum(), 6) if grown.any() else 0.0})
        sc["seconds"] = round(sc["seconds"] + time.perf_counter() - t0, 4)
        layers.append(Layer(id=ids[i], prompt_index=i, depth=rank, rgba=quantize8(rgba), visible_mask=vis.copy(),
                            amodal_mask=grown.copy(), prompt=prompts[i].to_dict(), scores=sc))
        region = (grown | vis) & ~removed_so_far
        if region.any() and (rank < len(order) - 1 or cfg.plate == "peel"):
            painting = paint_out(painting, grown | vis, painter, seed=seed + 2000 + i, working_size=amcp_cfg.working_size,
                                 dilation=amcp_cfg.dilation)
        removed_so_far |= grown | vis

    # 4. background plate
    if cfg.plate == "union":
        union = np.zeros((h, w), bool)
        for i in kept:
            union |= amodal[i] | visible[i]
        plate = paint_out(rgb, union, painter, seed=seed + 3000, working_size=amcp_cfg.working_size,
                          dilation=amcp_cfg.dilation)
    else:
        plate = painting
    for layer in layers:
        graph.nodes[layer.id].update({"depth": layer.depth, "visible_area": int(layer.visible_mask.sum()),
                                      "amodal_area": int(layer.amodal_mask.sum())})
    graph.graph["seconds"] = round(time.perf_counter() - t_start, 4)
    log.info("decomposed %d prompts into %d layers in %.2f s", n, len(layers), time.perf_counter() - t_start)
    return Decomposition(layers=tuple(layers), background=quantize8(plate), graph=graph, image_size=(w, h), seed=seed,
                         backends={"painter": painter.name, "projector": projector.name}, config=cfg.to_dict(),
                         image=quantize8(rgb))


def _ancestors(graph, node) -> list:

    return sorted(nx.ancestors(graph, node))


__all__ = ["PeelConfig", "decompose", "order_evidence", "junction_turn", "resolve_contested", "joint_labelling", "object_contrast", "nearest_fill", "AMODAL_MODES", "PLATE_MODES",
           "DUPLICATE_MODES"]
