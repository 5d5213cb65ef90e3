"""The rim of a round object seen at an angle (a saucer, a plate, a coin): an ellipse the image's edges show.

A saucer under a cup shows its rim on both sides of the cup; the rim says where the saucer ends under it,
where the hull's sides continued across the cup or the nearest-owner rule reach above it. The saucer's own
mask is a poor guide to that ellipse: it may have taken a crescent of the shadow the saucer casts or a strip
of table, and their contour continues the rim smoothly. The image's edges are a better one: the rim is a
sharp, long edge all round where it is seen. :func:`fit_rim` finds the ellipse the most edge pixels near
the object's contour lie on (RANSAC over Canny edges, seeded) and keeps it only when edges run along most
of its outline where nothing hides it, on both sides of the occluder, and it holds most of the visible part.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from scipy import ndimage as ndi

from paintseg_layers import masks as morph
from paintseg_layers.image import to_uint8

#: edge pixels within this many px of an ellipse's outline lie on it
TOL = 1.5
#: least share of the ellipse's unhidden outline (inside the frame) that runs along an edge
SUPPORT = 0.9
#: least share of the visible part inside the ellipse (a mask's spill onto shadow or table stays outside)
HOLDS = 0.75
#: least disc radius (px) of the visible part: on smaller objects a blob's curvature mimics an ellipse
MIN_RADIUS = 40
#: largest angle (degrees, round the centre) of unhidden outline without an edge: under 180, the rim shows on
#: both sides of what hides it, so the ellipse interpolates the hidden arc instead of extrapolating it
MAX_GAP = 150.0
#: least share of the hidden part a rim keeps: a rim under the occluder bounds a segment of the hidden part, an
#: "ellipse" that keeps almost none of it runs along the occluder's own edge (a striped ellipse under a
#: rectangle at 480 x 360, seed 1094: it kept 49 of 8668 px, amodal IoU 0.727 -> 0.643; the helpful cuts
#: kept 0.27-1.0, the coffee saucer ~0.95)
KEEPS = 0.1


def _outline_distance(box, pts: np.ndarray) -> np.ndarray:
    """Approximate distance (px) of (x, y) ``pts`` to the outline of the ellipse ``box`` (OpenCV's RotatedRect)."""
    return _outline_distances([box], pts)[0]


def _outline_distances(boxes, pts: np.ndarray) -> np.ndarray:
    """(len(boxes), len(pts)) distances of :func:`_outline_distance`, every ellipse at once (float32 like ``pts``).

    A degenerate ellipse (collinear points: an axis of 0) lies on no outline: its row is inf.
    """
    par = np.array([(cx, cy, a / 2, b / 2, math.cos(math.radians(t)), math.sin(math.radians(t)))
                    for (cx, cy), (a, b), t in boxes], np.float32).reshape(-1, 6)
    cx, cy, ha, hb, c, s = (par[:, k, None] for k in range(6))
    x, y = pts[None, :, 0] - cx, pts[None, :, 1] - cy
    u, v = x * c + y * s, -x * s + y * c
    degenerate = (ha[:, 0] <= 0) | (hb[:, 0] <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sqrt((u / ha) ** 2 + (v / hb) ** 2)
        out = np.abs(r - 1) * np.hypot(u, v) / np.maximum(r, 1e-6)
    out[degenerate] = np.inf
    return out


def outline_support(boxes, pts: np.ndarray, *, tol: float = TOL, block: int = 2**15) -> np.ndarray:
    """``(_outline_distances(boxes, pts) < tol).sum(axis=1)``: the same float32 operations on every pair, a block of
    ellipses at a time in buffers that stay in the cache (the whole matrix, ~10 MB a temporary, was 1.4x slower)."""
    n = len(pts)
    counts = np.zeros(len(boxes), np.int64)
    if not len(boxes) or not n:
        return counts
    par = np.array([(cx, cy, a / 2, b / 2, math.cos(math.radians(t)), math.sin(math.radians(t)))
                    for (cx, cy), (a, b), t in boxes], np.float32).reshape(-1, 6)
    rows = max(1, block // n)
    px, py = pts[None, :, 0], pts[None, :, 1]
    x, y, u, v, t = (np.empty((min(rows, len(par)), n), np.float32) for _ in range(5))
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(0, len(par), rows):
            cx, cy, ha, hb, c, s = (par[i:i + rows, k, None] for k in range(6))
            m = len(cx)
            X, Y, U, V, T = x[:m], y[:m], u[:m], v[:m], t[:m]
            np.subtract(px, cx, out=X)
            np.subtract(py, cy, out=Y)
            np.add(np.multiply(X, c, out=U), np.multiply(Y, s, out=T), out=U)  # u = x c + y s
            np.add(np.multiply(np.negative(X, out=V), s, out=V), np.multiply(Y, c, out=T), out=V)  # v = -x s + y c
            np.square(np.divide(U, ha, out=X), out=X)
            np.square(np.divide(V, hb, out=Y), out=Y)
            r = np.sqrt(np.add(X, Y, out=X), out=X)
            np.hypot(U, V, out=T)
            d = np.abs(np.subtract(r, np.float32(1), out=Y), out=Y)
            np.divide(np.multiply(d, T, out=d), np.maximum(r, np.float32(1e-6), out=r), out=d)  # |r - 1| |p| / r
            got = np.count_nonzero(d < tol, axis=1)
            got[(ha[:, 0] <= 0) | (hb[:, 0] <= 0)] = 0  # a degenerate ellipse has no outline
            counts[i:i + m] = got
    return counts


def _numpy_draws(n: int, trials: int, seed: int, size: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array([rng.choice(n, size, replace=False) for _ in range(trials)], np.int64).reshape(trials, size)


def choice_draws(n: int, trials: int, seed: int, size: int = 5) -> np.ndarray:
    """``[rng.choice(n, size, replace=False) for _ in range(trials)]`` with ``rng = default_rng(seed)``, as one
    (trials, size) int64 array, drawn at once (the loop's calls cost 10 us each).

    For ``n <= 10000`` or ``size <= n // 50`` numpy draws by Floyd's algorithm, then shuffles, every number by
    Lemire's bounded method on the generator's 32-bit stream (the low, then the high half of each 64-bit output):
    ``2 * size - 1`` numbers a draw unless one is rejected (odds about ``size * n / 2**32`` a draw). Where one
    is, or where the first draw differs from numpy's own (a numpy that draws otherwise), numpy's loop answers.
    """
    if not (n <= 10000 or size <= n // 50) or not 2 <= size < n or trials < 1:  # (n == size: a range of 1 draws none)
        return _numpy_draws(n, trials, seed, size)
    per = 2 * size - 1
    raw = np.random.default_rng(seed).bit_generator.random_raw((trials * per + 1) // 2)
    u32 = raw.view(np.uint32)[:trials * per].astype(np.uint64).reshape(trials, per)
    vals = []
    for col, top in enumerate([*range(n - size, n), *range(size - 1, 0, -1)]):  # Floyd's maxima, the shuffle's
        m = u32[:, col] * np.uint64(top + 1)
        if ((m & np.uint64(0xFFFFFFFF)) < np.uint64((0xFFFFFFFF - top) % (top + 1))).any():
            return _numpy_draws(n, trials, seed, size)  # a rejected number: the rest of the stream shifts
        vals.append((m >> np.uint64(32)).astype(np.int64))
    idx = np.empty((trials, size), np.int64)
    for c in range(size):  # Floyd: a number drawn already gives way to the top of its range
        idx[:, c] = np.where((idx[:, :c] == vals[c][:, None]).any(axis=1), n - size + c, vals[c])
    rows = np.arange(trials)
    for c, i in enumerate(range(size - 1, 0, -1)):  # the shuffle: place i swaps with a place drawn in [0, i]
        k = vals[size + c]
        a, b = idx[rows, i], idx[rows, k]
        idx[rows, i], idx[rows, k] = b, a
    if not np.array_equal(idx[0], np.random.default_rng(seed).choice(n, size, replace=False)):
        return _numpy_draws(n, trials, seed, size)
    return idx


def _largest_gap(angles: np.ndarray) -> float:
    """Largest angle (degrees) free of ``angles``."""
    if len(angles) < 2:
        return 360.0
    ang = np.sort(angles)
    return float(np.diff(np.concatenate([ang, ang[:1] + 360.0])).max())


def fit_rim(rgb: np.ndarray, visible: np.ndarray, occluder: np.ndarray, *, seed: int = 0, trials: int = 3000,
            inner: float = 0.3, outer: int = 6, candidates: int = 8):
    """The ellipse of the object's rim, from the image's edges; None where the object shows none.

    Parameters
    ----------
    rgb : (H, W, 3) float32
    visible, occluder : (H, W) bool
        The object's visible part and what hides it.
    seed : int
        Seeds RANSAC's draws.
    trials : int
        RANSAC draws of 5 edge pixels.
    candidates : int
        The best-supported draws tried in turn until one passes every gate.
    inner, outer : float, int
        Edge pixels count from ``inner`` times the visible part's disc radius inside its contour (a rim inside
        a spill) to ``outer`` px outside it.

    Returns
    -------
    ((cx, cy), (a, b), angle) or None
        OpenCV's rotated rectangle of the ellipse.
    """
    h, w = visible.shape
    n_vis = int(np.count_nonzero(visible))
    radius = math.sqrt(n_vis / math.pi)
    if radius < MIN_RADIUS or not occluder.any():
        return None
    edges = cv2.Canny(cv2.cvtColor(np.ascontiguousarray(to_uint8(rgb)), cv2.COLOR_RGB2GRAY), 50, 150) > 0
    near = morph.dilate(visible, outer) & ~morph.erode(visible, max(1, int(inner * radius))) & ~occluder
    pts = np.argwhere(edges & near)[:, ::-1].astype(np.float32)
    if len(pts) < 20:
        return None
    boxes = [cv2.fitEllipse(five) for five in pts[choice_draws(len(pts), trials, seed)]]  # (trials, 5, 2)
    boxes = [bx for bx in boxes if radius < max(bx[1]) < 6 * radius and min(bx[1]) > 0.25 * max(bx[1])]
    support = outline_support(boxes, pts)  # each draw's support: edge pixels near its outline
    found = [(int(n), k, bx) for k, (n, bx) in enumerate(zip(support, boxes, strict=True))]
    # the most-supported draw may lie on a ragged spill's edge: of the best ``candidates`` draws, the first
    # whose refit the image shows as a rim (every gate of :func:`_shows` still holds)
    memo: dict = {}  # (the dilations _shows reads: the same for every candidate)
    for _, _, best in sorted(found, key=lambda f: (-f[0], f[1]))[:candidates]:
        for _ in range(3):  # least squares on the inliers
            inl = _outline_distance(best, pts) < TOL
            if inl.sum() < 5:
                break
            best = cv2.fitEllipse(pts[inl])
        else:
            if _shows(best, edges, visible, occluder, memo):
                return best
    return None


def _shows(box, edges: np.ndarray, visible: np.ndarray, occluder: np.ndarray, memo: dict | None = None) -> bool:
    """Whether the image shows the ellipse ``box`` as this object's rim (see :func:`fit_rim`); ``memo``: a dict kept
    over calls with the same ``edges`` and ``occluder`` (their dilations, computed once)."""
    memo = {} if memo is None else memo
    h, w = visible.shape
    outline = np.zeros((h, w), np.uint8)
    cv2.ellipse(outline, box, 1, 1)
    filled = np.zeros((h, w), np.uint8)
    cv2.ellipse(filled, box, 1, -1)
    if (filled.astype(bool) & visible).sum() < HOLDS * visible.sum() or not (filled.astype(bool) & occluder).any():
        return False
    if "free" not in memo:
        memo["free"] = ~morph.dilate(occluder, 2)
    ys, xs = np.nonzero(outline.astype(bool) & memo["free"])
    if len(xs) < 20:
        return False
    if "edges" not in memo:
        memo["edges"] = morph.dilate(edges, 1)
    on_edge = memo["edges"][ys, xs]
    if on_edge.mean() < SUPPORT:
        return False
    (cx, cy), _, _ = box
    if _largest_gap(np.degrees(np.arctan2(ys[on_edge] - cy, xs[on_edge] - cx))) >= MAX_GAP:
        return False
    return True


def rim_region(rgb: np.ndarray, visible: np.ndarray, occluder: np.ndarray, *, seed: int = 0) -> np.ndarray | None:
    """The filled ellipse of :func:`fit_rim` ((H, W) bool), or None."""
    box = fit_rim(rgb, visible, occluder, seed=seed)
    if box is None:
        return None
    filled = np.zeros(visible.shape, np.uint8)
    cv2.ellipse(filled, box, 1, -1)
    return filled > 0


def within_rim(rgb: np.ndarray, visible: np.ndarray, front: np.ndarray, hidden: np.ndarray, *,
               box=None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """An object's visible and hidden parts cut to its rim where the image shows one (:func:`fit_rim`).

    The hidden part is cut to the ellipse, unless that keeps under :data:`KEEPS` of it (then nothing
    changes). Of the visible part, a piece beyond the rim (by more than 2 px) goes only when it also leaves
    ``box``, the box the user drew round the object: two cues agree that it is something the mask took (the
    shadow the object casts, the table), not a part of the object beyond its rim (a mug's handle lies inside
    the box).

    Parameters
    ----------
    rgb : (H, W, 3) float32
    visible, front, hidden : (H, W) bool
        The object's visible part, the region of the objects in front (its edge, dilated 1 px, is the
        occluder's, not the rim's) and the hidden part to cut.
    box : (x0, y0, x1, y1) or None
        The object's box prompt (x1, y1 exclusive); None: the visible part stays whole.
    seed : int
        Seeds :func:`fit_rim`.

    Returns
    -------
    visible, hidden : (H, W) bool
    """
    if not hidden.any():
        return visible, hidden
    rim = rim_region(rgb, visible, morph.dilate(front, 1), seed=seed)
    if rim is None or np.count_nonzero(hidden & rim) < KEEPS * np.count_nonzero(hidden):
        return visible, hidden
    if box is not None:
        x0, y0, x1, y1 = (int(round(float(v))) for v in box)
        inside = np.zeros(visible.shape, bool)
        inside[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = True
        beyond, _ = ndi.label(visible & ~morph.dilate(rim, 2), structure=np.ones((3, 3)))
        leaving = np.unique(beyond[(beyond > 0) & ~inside])
        if len(leaving):
            visible = visible & ~np.isin(beyond, leaving)
    return visible, hidden & rim


__all__ = ["choice_draws", "fit_rim", "outline_support", "rim_region", "within_rim"]
