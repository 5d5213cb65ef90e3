"""The tight-box prior of the joint labelling: an object drawn with a box reaches every side of it.

A box prompt is drawn tight around its object, so a connected object that touches the four sides of its
box crosses every row and column of it. An object resting on a larger one of the same colours (a red cup
on its red saucer) often comes back from its own segmentation as its distinct part only (the cup's white
rim); its holder's mask then swallows the rest. :func:`tight_seeds` finds where a nested object's label
stops short of a side of its box and the cheapest path (over the object's colours, across no edge) from
it to that side; :func:`paintseg_layers.peel.joint.joint_labelling` forces the path to the object and
lets the object's own contour, not the shared colours, end it.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage.graph import MCP_Geometric

#: share of a box that must lie inside a larger box for its object to rest on the larger one
#: (coffee.png: the cup's box 0.81 inside the saucer's, the spoon's 0.97)
INSIDE = 0.75
#: an object rests on one at most this share of its box's area (a cup on its saucer 0.55)
NEST = 0.7
#: pieces of an object under this share of its pixels are specks: they show no reach towards a side
SPECK = 0.02
#: a side is not seeded when other objects fill this share of the box between the object and that side: the
#: object continues behind them (coffee.png: the spoon's handle behind the cup fills 0.61, the spoon's bowl
#: 0.19 of the cup's)
SIBLINGS = 0.3


def rests_within(inner: np.ndarray, outer: np.ndarray, nest: float = NEST) -> bool:
    """Whether the object of region ``inner`` rests on that of ``outer``: ``inner`` lies at least ``INSIDE`` inside
    ``outer``, whose area is at least ``1 / nest`` times its own (:func:`holders_of`'s test for one pair)."""
    area = max(1, int(inner.sum()))
    return area <= nest * max(1, int(outer.sum())) and int((outer & inner).sum()) >= INSIDE * area


def holders_of(vs, nest):
    """For each label index: the outermost objects (1-based labels) whose valid region holds most of its own.

    A box at least ``INSIDE`` inside a box ``1 / nest`` times its area rests on that object (a cup on its
    saucer, a spoon across both); only holders that rest on nothing themselves count (the saucer, not the
    cup). A box less inside is more often an object *behind* the larger one, whose missing part the larger
    one hides (GrabCut cut-out scenes: seeding those lost 0.12-0.3 IoU where the colours were alike).
    """
    held = [{j for j in range(len(vs)) if j != k and rests_within(vs[k], vs[j], nest)} for k in range(len(vs))]
    return [{j + 1 for j in h if not held[j]} for h in held]


def scaled_boxes(boxes, active, scale, win, shape):
    """The active objects' boxes in the cut window's pixels (None where an object has no box)."""
    out = []
    for i in active:
        b = None if boxes is None else boxes[i]
        if b is not None:
            x0, y0, x1, y1 = (float(v) * scale for v in b)
            x0, x1 = x0 - win[1].start, x1 - win[1].start
            y0, y1 = y0 - win[0].start, y1 - win[0].start
            b = (max(0, int(np.floor(x0))), max(0, int(np.floor(y0))),
                 min(shape[1], int(np.ceil(x1))), min(shape[0], int(np.ceil(y1))))
            if b[2] - b[0] < 4 or b[3] - b[1] < 4:
                b = None
        out.append(b)
    return out


def _beyond(own, axis, side, line, extreme):
    """Pixels of ``own``'s box between it and one side (``side`` 0: start, 1: end of ``axis``), up to ``line``.

    Per row (column), the pixels past the object's last pixel towards that side; lines the object misses
    entirely count from its overall ``extreme`` on.
    """
    o = own if side == 1 else np.flip(own, axis)
    beyond = np.flip(np.cumsum(np.flip(o, axis), axis), axis) == 0  # no own pixel here or further on
    idx = np.arange(own.shape[axis]).reshape((-1, 1) if axis == 0 else (1, -1))
    n = own.shape[axis]
    ext, stop = (extreme, line) if side == 1 else (n - 1 - extreme, n - 1 - line)
    beyond &= (idx > ext) | o.any(axis=axis, keepdims=True)
    beyond &= idx <= stop
    return beyond if side == 1 else np.flip(beyond, axis)


def _reappearance(own, diff, axis, side, line):
    """The largest piece (at least ``SPECK`` of ``own``) of the band between ``line`` and a side of the box
    where the object's colours fit better than the current labels' (``diff`` < 0); empty if none."""
    idx = np.arange(own.shape[axis]).reshape((-1, 1) if axis == 0 else (1, -1))
    band = idx <= line if side == 0 else idx >= line
    pieces, n = ndi.label(band & (diff < 0) & ~own, structure=np.ones((3, 3)))
    if not n:
        return np.zeros(own.shape, bool)
    size = np.bincount(pieces.ravel())
    size[0] = 0
    best = int(size.argmax())
    return pieces == best if size[best] >= SPECK * own.sum() else np.zeros(own.shape, bool)


def tight_seeds(labels, unary, grad, boxes, holders, tight):
    """Paths an object must own so that its label reaches every side of its (tight) box.

    A box is drawn tight around its object, and a connected object that touches all four sides of its
    box crosses every row and column of it. Where an object's label stops more than ``tight`` of
    its box's height (width) short of a side, the cheapest path from its largest piece to ``tight / 2``
    from that side, over pixels that ``holders[k]`` (labels, 0 = background; an empty set: no seeds) or
    the background hold, becomes its seeds: a step costs more where the object's colours fit worse than
    the current label's and where it crosses an edge (the object's own contour), so the path runs inside
    the object. A side is left alone when other objects fill ``SIBLINGS`` of the box between the object
    and that side: the object goes on behind them, and a path round them would run over its holder; it
    still shows again by that side, so the largest piece of the band along it where the object's colours fit
    better than the current labels' is seeded instead (:func:`_reappearance`).
    Returns ``(seeds, gaps)``: the seeds' labels (0 elsewhere) and, per seeded object, the part of its
    box between it and the sides it missed.
    """
    seeds, gaps = np.zeros(labels.shape, np.int64), []
    edge = grad / (np.median(grad) + 1e-6)
    for k, b in enumerate(boxes):
        if b is None or not holders[k]:
            continue
        x0, y0, x1, y1 = b
        lab = labels[y0:y1, x0:x1]
        own = lab == k + 1
        if own.sum() < 2:
            continue
        cc, n_cc = ndi.label(own)
        if n_cc > 1:  # a speck by a side is no reach, a piece beyond an occluder is (2 % of the object)
            size = np.bincount(cc.ravel())
            size[0] = 0
            own = (size >= SPECK * own.sum())[cc]
        cu = unary[y0:y1, x0:x1]
        diff = cu[..., k + 1] - np.take_along_axis(cu, lab[..., None], 2)[..., 0]
        free = np.isin(lab, [0, *holders[k]]) | own
        cost = np.where(free, 1.0 + np.clip(diff, 0, 20) / 4 + edge[y0:y1, x0:x1], 1e6)
        cost[own] = 1e-3
        gap_mask = np.zeros(labels.shape, bool)
        short_sides = []  # (axis, side, line, extreme, ends) of each side the object stops short of
        for axis in (0, 1):  # rows, then columns
            n = own.shape[axis]
            hit = np.flatnonzero(own.any(axis=1 - axis))
            lo, hi = hit[0], hit[-1]
            margin = int(np.floor(tight / 2 * n))
            for side, short, line in ((0, lo, margin), (1, n - 1 - hi, n - 1 - margin)):
                if short > tight * n:
                    ends = [(line, j) if axis == 0 else (j, line) for j in range(own.shape[1 - axis])]
                    short_sides.append((axis, side, line, lo if side == 0 else hi, ends))
        if short_sides:  # one search from the object serves every side it misses
            mcp = MCP_Geometric(cost)
            acc, _ = mcp.find_costs(list(zip(*np.nonzero(own))), [e for *_, ends in short_sides for e in ends])
        for axis, side, line, extreme, ends in short_sides:
            beyond = _beyond(own, axis, side, line, extreme)
            share = (beyond & ~free).sum() / max(1, beyond.sum())
            if share >= SIBLINGS:
                # it goes on behind them, but the box is tight: it shows again by that side (a spoon's handle tip
                # beyond the cup's rim), where its colours fit better than the pixels' current owners'
                seeds[y0:y1, x0:x1][_reappearance(own, diff, axis, side, line)] = k + 1
                continue
            y, x = ends[int(np.argmin([acc[e] for e in ends]))]
            if acc[y, x] >= 1e6:
                continue
            path = np.array(mcp.traceback((y, x)))
            seeds[y0 + path[:, 0], x0 + path[:, 1]] = k + 1
            gap_mask[y0:y1, x0:x1] |= beyond & free
        seeds[(seeds == k + 1) & (labels == k + 1)] = 0
        if gap_mask.any():
            gaps.append((k, gap_mask))
    return seeds, gaps


__all__ = ["NEST", "holders_of", "rests_within", "scaled_boxes", "tight_seeds"]
