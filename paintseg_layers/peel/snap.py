"""Snap: the boundary between an object and the object it rests on, moved to the image's edges between them.

An object resting on a larger one of the same colours (a red cup on its red saucer, issue 17) ends where the joint
cut's tight-box prior and the shared colour models leave it, not where the image shows it: the coffee cup's shaded
foot is as dark as the saucer's shadow beside it (L* 2-8 against 4-8), and the handle's shaded underside is the
saucer's red glaze, so the cup kept a crescent of shadow by its foot and lost the handle's bottom rows. The edges
still show both: the foot's contact line and the handle's outline against the shadow. :func:`snap_nested` floods
a band round each such boundary from both objects' pixels beyond it (a watershed over the gradient of CIELAB with
its lightness on a log scale, so that a step in the shadows counts as the same ratio of lightness in the light),
and a piece of the band changes hands where the flood of the other object reached it and

* it lies on the holder's side within ``OUTER`` of the resting object and inside its box, or on the object's own
  side within ``INNER`` of the boundary and as dark as the holder's shadow (``SHADOW``): the holder swallows what
  the object's tight box holds, the object keeps the shadow it casts; a deeper band on the object's side, or one
  that is not only its shadow, lets the flood end at a highlight or crease inside it (at 12 px the cup lost a strip
  of its body's side; at 8 px without the shadow test, a sliver beside the spoon's neck, which turned the spoon's
  hidden part into a blob);
* the edge it would end at is ``EDGE`` times stronger (mean gradient on both sides of the seam) than the one it
  ends at now: on a thin line the flood's valley goes either way;
* its colours fit the object taking it no worse than ``ALIKE`` beyond the one giving it (median distance to the 3
  nearest of their pixels in the band's window): a textured holder's stripes and checks have edges too (peel
  benchmark scenes 1027 and 1044: a mushroom and a soldier took the checks and stripes of the disc under them,
  visible IoU 0.999 / 1.0 -> 0.795 / 0.94, before this gate);
* it holds at least ``lobes.MIN_LOBE`` px: a banana on a striped holder took a 16-px piece of a dark stripe its
  own dark tips fit (crowd benchmark, nested scene 6, 0.924 -> 0.896, before this gate).

On coffee.png (every decomposition seed 0-11) the handle's underside (109 px drawn by hand, tests/data) is the
cup's (2 -> 108 px) and the shadow below the foot (55 px) the saucer's (52 -> 3 px in the cup); the peel benchmark
(50 scenes) and the crowd benchmark (8 scenes per set) are unchanged object by object.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage.segmentation import watershed

from paintseg_layers import masks as morph
from paintseg_layers.image import gradient_magnitude
from paintseg_layers.peel.lobes import MIN_LOBE, colour_distances
from paintseg_layers.peel.tightbox import NEST, holders_of

#: the resting object's side of the band: this share of the square root of its valid region's area (coffee: 8 px)
INNER = 0.055
#: the holder's side: its pixels inside the resting object's valid region within this share of it (coffee: 16 px)
OUTER = 0.11
#: the holder's shadow: darker than this share of the holder's median lightness (L*)
SHADOW = 0.3
#: colours within this many CIELAB units of each other tell the objects apart no better than a coin (the coffee
#: handle's underside: 0.77 to the cup's, 0.88 to the saucer's, over sample seeds either way round); a textured
#: holder's own stripes or checks lie 10-110 from the resting object's colours and 0 from its own
ALIKE = 3.0
#: the edges: CIELAB with its lightness as ``LOG * log(L* + LOG_OFFSET)`` (the same steps as L* at L* 50): a step in
#: the shadows, where the foot meets the saucer, weighs as much as the same ratio of lightness in the light
LOG, LOG_OFFSET = 55.0, 5.0
#: a piece changes hands only where the edge it would end at is this many times stronger than the one it ends at
EDGE = 1.25


def snap_nested(image: np.ndarray, masks: list[np.ndarray], valid: list[np.ndarray], *,
                nest: float = NEST, seed: int = 0) -> list[np.ndarray]:
    """Move the boundary between each object and the one it rests on to the image's edges (module docstring).

    Parameters
    ----------
    image : array (H, W, 3)
        RGB float in [0, 1].
    masks : list of (H, W) bool arrays
        Disjoint visible masks (the joint labelling's).
    valid : list of (H, W) bool arrays
        Each object's prompt region (a box prompt's box): an object rests on another when its region lies at
        least ``tightbox.INSIDE`` inside the other's and is at most ``nest`` times its area
        (:func:`paintseg_layers.peel.tightbox.holders_of`).
    nest : float
        See ``valid``.
    seed : int
        Seeds the colour samples.

    Returns
    -------
    list of (H, W) bool arrays
        The masks, still disjoint; only pixels of a resting object and its holder change hands, each inside the
        valid region of the object that takes it.
    """
    n = len(masks)
    if n < 2:
        return [m.copy() for m in masks]
    owner = morph.owner_labels(masks)  # 0: no object, k + 1: object k
    out = owner.copy()
    lab = shading = None
    rng = np.random.default_rng(seed)
    for j, held in enumerate(holders_of(valid, nest)):
        size = np.sqrt(valid[j].sum())
        inner, outer = max(1, int(round(INNER * size))), max(1, int(round(OUTER * size)))
        for k in sorted(h - 1 for h in held):
            a, b = masks[j], masks[k]
            border = morph.dilate(a, 1) & b
            if not border.any():
                continue
            if lab is None:
                lab = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2Lab)
                shading = lab.copy()
                shading[..., 0] = LOG * np.log(np.maximum(lab[..., 0], 0) + LOG_OFFSET)
            # the object gives up only what is as dark as the holder's shadow, where colours say nothing
            dark = lab[..., 0] < SHADOW * np.median(lab[..., 0][b])
            band = (morph.dilate(border, inner) & a & dark & valid[k]) | (morph.dilate(a, outer) & b & valid[j])
            if not band.any():  # nothing either could give inside the other's valid region (scene 33224)
                continue
            win = morph.grown_box(band, outer + 2)
            ow = owner[win]
            markers = np.where(band[win], 0, np.where(ow > 0, ow, n + 1)).astype(np.int32)
            grad = gradient_magnitude(shading[win])
            flood = watershed(grad, markers)
            for to, came in ((j + 1, k + 1), (k + 1, j + 1)):
                pieces, count = ndi.label(band[win] & (ow == came) & (flood == to), structure=np.ones((3, 3)))
                sizes = np.bincount(pieces.ravel(), minlength=count + 1)
                for c in np.flatnonzero(sizes[1:] >= MIN_LOBE) + 1:  # (smaller: the boundary's own noise)
                    piece = pieces == c
                    # it moves where the edge it would end at is stronger than the one it ends at now, and where
                    # its colours fit the object taking it no worse than the one it leaves (a textured holder's
                    # stripes and checks have edges too)
                    if (_seam(grad, piece, (ow == came) & ~piece) > EDGE * _seam(grad, piece, ow == to)
                            and _fits(lab[win], piece, ow == to, (ow == came) & ~piece, rng)):
                        out[win][piece] = to
    return [out == k + 1 for k in range(n)]


def _fits(lab: np.ndarray, piece: np.ndarray, taker: np.ndarray, giver: np.ndarray, rng) -> bool:
    """Whether ``piece``'s colours lie no farther from ``taker``'s pixels than ``ALIKE`` beyond ``giver``'s (median over
    the piece of the mean CIELAB distance to the 3 nearest of at most ``lobes.SAMPLES`` of each)."""
    if not taker.any() or not giver.any():
        return False
    to_taker = np.median(colour_distances(lab, piece, taker, rng))
    return bool(to_taker <= np.median(colour_distances(lab, piece, giver, rng)) + ALIKE)


def _seam(grad: np.ndarray, piece: np.ndarray, region: np.ndarray) -> float:
    """Mean of ``grad`` over the pixels on both sides of where ``piece`` meets ``region`` (0 where they do not)."""
    seam = (piece & morph.dilate(region, 1)) | (region & morph.dilate(piece, 1))
    return float(grad[seam].mean()) if seam.any() else 0.0


__all__ = ["snap_nested"]
