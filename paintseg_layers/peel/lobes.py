"""Lobes: a part of an object's visible mask that sticks out past an edge of the image into a neighbour's region.

A mask's segmentation learns its colour model from the pixels it holds: a lobe of a neighbour's colour that it
swallowed (the coffee spoon's steel bowl mirrors the red saucer, so the spoon's model has red and kept a wing of the
cup's shaded red, issue 17) is then as cheap to it as to the neighbour, and no colour cut moves it. Its shape and the
image's edges still show it: :func:`release_lobes` floods the object's band from its deep interior and from the
pixels around it over the colour gradient (a watershed: the object's own edge stops the neighbours' flood), and a
piece that the flood gives away is a *lobe* where

* it sticks out: its outline against the other regions is at least ``LOBE`` times as long as its cut from the rest
  of the object (a strip that lines the contour touches the rest along its whole length and stays);
* it lies between objects: at most ``BACKGROUND`` of the pixels round it are background (against the background,
  the object's own contour and the joint cut's background model decide; on the peel benchmark, pieces there were
  as often an occluded object's own corner peeking out beside its occluder: visible IoU 0.932 -> 0.930 without this);
* it goes to a neighbour at least as large as the object (a small object's box over a large one, a spoon on a
  saucer beside a cup, swallows part of the large one; where the smaller neighbour took it, the larger object's
  lobe was its own part that the smaller one's mask had a little of: a face's hair beside the teddy bear lying on
  it, crowd benchmark's nested scene 2, visible IoU 0.988 / 0.932 -> 0.911 / 0.850 without this);
* its colours fit the pixels next to it that the flood gave it to at least as well as the object's pixels next to it
  (median distance to the 3 nearest CIELAB samples, within ``RING`` px; against all the object's other pixels,
  which hold the swallowed colour too, the coffee wing's test was a tie that the samples decided: 3.28 against
  2.96-3.55 over decomposition seeds).

Within a lobe, a two-label cut (the rest of the object's colours against those round the lobe, GrabCut's
contrast-sensitive weights) keeps the parts of the object's own colours (the spoon's steel lip and neck beside the
wing); the others go to the region the flood gave them to.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree
from skimage.segmentation import watershed

from paintseg_layers import masks as morph
from paintseg_layers.amcp.refine import _pairwise
from paintseg_layers.image import gradient_magnitude
from paintseg_layers.peel.joint import _INF, alpha_expansion

#: the band the flood re-decides is this share of the object's largest inscribed radius deep ...
DEPTH = 0.6
#: ... and at most this share of the image's long side (coffee.png, 320 px: 12 px)
MAX_DEPTH = 0.04
#: a lobe's outline against the other regions is at least this many times its cut from the object's rest
LOBE = 2.0
#: smallest lobe: this many px, and this share of the object (a spur of a few px is the boundary's own noise; the
#: coffee spoon's 25-px red spur beside its bowl is 1.3 % of it: at 0.02 it stayed, at 0.01 it goes to the saucer,
#: with the peel benchmark (50 scenes) and the crowd benchmark (8 scenes per set) unchanged object by object)
MIN_LOBE = 20
MIN_SHARE = 0.01
#: the lobe's re-cut: contrast-sensitive Potts weight, against unaries in CIELAB units (distance to 3 nearest)
GAMMA = 2.0
#: colour samples per model
SAMPLES = 1000
#: the colours round a lobe (its taker's, the object's, the re-cut's): the pixels within this many px of it
RING = 6
#: a lobe lies between objects: at most this share of the pixels round it are background
BACKGROUND = 0.1


def colour_distances(lab: np.ndarray, pix: np.ndarray, ref: np.ndarray, rng) -> np.ndarray:
    """Per pixel of ``pix``: mean CIELAB distance to its 3 nearest of (at most ``SAMPLES``) ``ref`` pixels."""
    ref = lab[ref]
    if len(ref) > SAMPLES:
        ref = ref[rng.choice(len(ref), SAMPLES, replace=False)]
    d, _ = cKDTree(ref).query(lab[pix], k=min(3, len(ref)))
    return d.mean(axis=1) if d.ndim == 2 else d


def _recut(lab: np.ndarray, lobe: np.ndarray, rest: np.ndarray, outside: np.ndarray, rng) -> np.ndarray:
    """The pixels of ``lobe`` that a two-label cut gives to the colours round it (``outside`` within ``RING`` px)
    rather than to ``rest``'s, the rest of the object."""
    win = morph.grown_box(lobe, 2)
    lb, rs, ot = lobe[win], rest[win], outside[win]
    unary = np.zeros(lb.shape + (2,))
    unary[lb, 0] = colour_distances(lab, lobe, rest, rng)
    unary[lb, 1] = colour_distances(lab, lobe, morph.dilate(lobe, RING) & outside, rng)
    unary[rs, 1] = unary[ot, 0] = _INF  # the rest stays the object's, the other pixels stay the others'
    weights = _pairwise(np.ascontiguousarray(lab[win]), GAMMA)
    out = np.zeros_like(lobe)
    out[win] = (alpha_expansion(unary, weights, ot.astype(np.int8)) == 1) & lb
    return out


def release_lobes(image: np.ndarray, masks: list[np.ndarray], *, seed: int = 0) -> list[np.ndarray]:
    """Give every object's lobes (module docstring) to the regions next to them.

    Parameters
    ----------
    image : array (H, W, 3)
        RGB float in [0, 1].
    masks : list of (H, W) bool arrays
        Disjoint visible masks (a partition of the objects' pixels, e.g. the joint labelling's).
    seed : int
        Seeds the colour samples.

    Returns
    -------
    list of (H, W) bool arrays
        The masks, still disjoint; a lobe's pixels go to the object whose flood reached them, or to no object.
    """
    n = len(masks)
    if n == 0:
        return []
    rng = np.random.default_rng(seed)
    lab = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2Lab)
    grad = gradient_magnitude(lab)
    owner = morph.owner_labels(masks)  # 0: no object, k + 1: object k
    cap = max(2, int(round(MAX_DEPTH * max(image.shape[:2]))))
    sizes = [int(m.sum()) for m in masks]
    moves = []
    for k, m in enumerate(masks):
        if m.sum() < 2 * MIN_LOBE:
            continue
        depth = min(cap, int(round(DEPTH * ndi.distance_transform_edt(np.pad(m[morph.grown_box(m, 0)], 1)).max())))
        core = morph.erode(m, depth)
        if depth < 2 or not core.any():
            continue
        win = morph.grown_box(m, depth + 2)
        mw, cw = m[win], core[win]
        redo = morph.connected_to(mw, cw, connectivity=4)  # pieces without a deep interior are left alone
        markers = np.where(mw, 0, np.where(owner[win] > 0, owner[win], n + 1)).astype(np.int32)
        markers[cw] = k + 1
        flood = watershed(grad[win], markers)
        lost = redo & (flood != k + 1)
        pieces, count = ndi.label(lost)
        rest = mw & ~lost
        outside = ~mw
        least = max(MIN_LOBE, MIN_SHARE * m.sum())
        for c in range(1, count + 1):
            piece = pieces == c
            if piece.sum() < least:
                continue
            outline = int((piece & morph.dilate(outside, 1)).sum())
            cut = int((rest & morph.dilate(piece, 1)).sum())
            if outline < LOBE * cut:
                continue
            ring = morph.dilate(piece, 1) & outside
            if (ring & (markers == n + 1)).sum() > BACKGROUND * ring.sum():
                continue  # against the background, the object's own contour and the joint cut's colours decide
            taker = np.bincount(flood[piece]).argmax()
            if taker > n or sizes[taker - 1] < sizes[k]:
                continue  # a lobe of a larger neighbour: a small object's box over a large one swallows part of it
            near = morph.dilate(piece, RING) & outside & (markers == taker)
            own = morph.dilate(piece, RING) & rest
            if near.sum() < MIN_LOBE // 2 or own.sum() < MIN_LOBE // 2:
                continue
            labw = lab[win]
            if np.median(colour_distances(labw, piece, near, rng)) > np.median(colour_distances(labw, piece, own, rng)):
                continue
            gone = _recut(labw, piece, rest, outside, rng)
            # what the cut keeps of the lobe but no longer touches the rest of the object goes too
            gone |= piece & ~morph.connected_to(mw & ~gone, rest, connectivity=4)
            if gone.any():
                moves.append((k, win, gone, flood))
    out = [m.copy() for m in masks]
    for k, win, gone, flood in moves:  # (disjoint: each takes pixels of its own object)
        out[k][win] &= ~gone
        for j in range(n):
            if j != k:
                out[j][win] |= gone & (flood == j + 1)
    return out
