"""Crowded scenes: many touching objects, nested objects, similar colours (issue 17 item 0).

:func:`make_scene` places 2 to 5 objects around each other; :func:`make_crowd_scene` packs 8 to 15 on a
jittered grid so that each touches or slightly overlaps its neighbours, optionally with *nested*
objects (small objects resting on a large holder whose box holds theirs, like cups on a dish) and
*similar* colours (every object a shade of one hue, lit so that shading and edges, not colour, carry
the boundaries). ``backdrop`` pastes the objects into a given photo instead of a generated background.

Examples
--------
>>> scene = make_crowd_scene(1, size=(160, 120), n_objects=8, cutouts="none")
>>> len(scene.objects), scene.meta["layout"]
(8, 'touching')
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi

from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes.generate import visible_by_depth
from paintseg_layers.eval.scenes.model import Scene, SceneObject
from paintseg_layers.eval.scenes.sources import default_cutouts, load_cutouts, make_background, make_shape
from paintseg_layers.layers import quantize8

LAYOUTS = ("touching", "nested")


def _cutout_sprite(pool, long_side: int, rng):
    name, rgb, m = pool[int(rng.integers(len(pool)))]
    s = long_side / max(m.shape)
    sz = (max(4, round(m.shape[1] * s)), max(4, round(m.shape[0] * s)))
    rgb = cv2.resize(rgb, sz, interpolation=cv2.INTER_AREA)
    m = ndi.binary_fill_holes(cv2.resize(m.astype(np.float32), sz, interpolation=cv2.INTER_LINEAR) > 0.5)
    if rng.random() < 0.5:
        rgb, m = rgb[:, ::-1], m[:, ::-1]
    return np.ascontiguousarray(rgb), np.ascontiguousarray(m), f"cutout:{name}"


def _similar_sprite(hw, rng, base_hsv, kind=None):
    """A shape in a shade of ``base_hsv`` (OpenCV HSV), darker towards its rim: shading marks its edge."""
    _, m, src = make_shape(hw, rng, kind)
    h, w = m.shape
    hsv = np.array([[[(base_hsv[0] + rng.uniform(-4, 4)) % 180, np.clip(base_hsv[1] + rng.uniform(-25, 25), 0, 255),
                      np.clip(base_hsv[2] + rng.uniform(-20, 20), 0, 255)]]], np.uint8)
    colour = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255.0
    inside = ndi.distance_transform_edt(np.pad(m, 1))[1:-1, 1:-1]
    depth = np.clip(inside / max(2.0, 0.25 * min(h, w)), 0, 1)
    shade = 0.7 + 0.3 * np.sqrt(depth)  # a rounded object: lit in the middle, darker at the rim
    rgb = colour * shade[..., None] + 0.015 * rng.standard_normal((h, w, 1))
    return np.clip(rgb, 0, 1).astype(np.float32), m, src.replace("shape:", "similar:")


def _sprite(long_side, rng, pool, cutout_fraction, similar_hsv, kind=None):
    aspect = rng.uniform(0.6, 1.0)
    hw = (long_side, max(6, int(long_side * aspect)))
    if rng.random() < 0.5:
        hw = hw[::-1]
    if similar_hsv is not None:
        return _similar_sprite(hw, rng, similar_hsv, kind)
    if pool and kind is None and rng.random() < cutout_fraction:
        return _cutout_sprite(pool, long_side, rng)
    return make_shape(hw, rng, kind)


def _grid_cells(n: int, w: int, h: int, rng):
    """Centres and cell size of a jittered grid holding ``n`` cells (shuffled)."""
    cols = max(1, int(round(np.sqrt(n * w / h))))
    rows = int(np.ceil(n / cols))
    cw, ch = w / cols, h / rows
    cells = [((c + 0.5) * cw, (r + 0.5) * ch) for r in range(rows) for c in range(cols)]
    order = rng.permutation(len(cells))[:n]
    return [cells[k] for k in order], (cw, ch)


def _paste(shape, sprite, cy, cx):
    """The sprite's amodal mask and colour at centre ``(cy, cx)``, clipped to the image."""
    h, w = shape
    rgb, m, _ = sprite
    sh, sw = m.shape
    y, x = int(round(cy - sh / 2)), int(round(cx - sw / 2))
    a = np.zeros((h, w), bool)
    c = np.zeros((h, w, 3), np.float32)
    ys, xs = slice(max(0, y), min(h, y + sh)), slice(max(0, x), min(w, x + sw))
    sub = (slice(ys.start - y, ys.stop - y), slice(xs.start - x, xs.stop - x))
    a[ys, xs] = m[sub]
    c[ys, xs][m[sub]] = rgb[sub][m[sub]]
    return a, c


def _place_nested(shape, sprites_small, holder, rng, tries: int = 60):
    """Centres for the small sprites, each wholly on the holder and not overlapping another small one."""
    taken = np.zeros(shape, bool)
    out = []
    for sp in sprites_small:
        for _ in range(tries):
            ys, xs = np.nonzero(holder)
            k = int(rng.integers(len(ys)))
            a, _ = _paste(shape, sp, ys[k], xs[k])
            if a.sum() == sp[1].sum() and not (a & ~holder).any() and not (a & taken).any():
                out.append((ys[k], xs[k]))
                taken |= a
                break
        else:
            return None
    return out


def make_crowd_scene(seed: int, *, size: tuple[int, int] = (320, 240), n_objects: int | tuple[int, int] = (8, 15),
                     layout: str = "touching", similar: bool = False, cutouts=None, cutout_fraction: float = 0.5,
                     background: str | None = None, backdrop: np.ndarray | None = None, spread: float = 1.3,
                     min_visible: float = 0.5, max_tries: int = 100) -> Scene:
    """Generate one crowded scene.

    Parameters
    ----------
    seed : int
        Everything (objects, placement, colours, background, prompt order) follows from it.
    size : (int, int)
        ``(W, H)`` of the image (ignored when ``backdrop`` is given).
    n_objects : int or (int, int)
        Number of objects, or an inclusive range to draw from (1 to 30).
    layout : {"touching", "nested"}
        ``"touching"``: every object on a cell of a jittered grid, ``spread`` times the cell, so that
        neighbours touch or overlap a little. ``"nested"``: one large holder (about half the
        image's short side) with 2 to 4 small objects resting wholly on it, in front of it; the
        other objects touch around them on the grid.
    similar : bool
        Every object is a shape in a shade of one hue, darker at its rim.
    cutouts : path, "none" or None
        Folder of ``images/`` + ``masks/`` for real cut-outs; None uses :func:`default_cutouts`.
    cutout_fraction : float
        Probability that an object is a cut-out rather than a shape (not with ``similar``).
    background : {"photo", "texture", "procedural"} or None
        Generated background kind (None draws one).
    backdrop : (H, W, 3) float array, optional
        A photo to paste the objects into instead.
    spread : float
        Object size over grid cell size.
    min_visible : float
        Every object keeps at least this fraction of its area visible.
    max_tries : int
        Placement attempts (each a little tighter) before giving up.

    Returns
    -------
    Scene
        ``meta`` holds ``layout``, ``similar`` and, for nested scenes, ``nested`` (the holder's
        prompt index and those of the objects resting on it).

    Raises
    ------
    InputError
        For bad arguments, or when no placement meets the constraints.
    """
    if layout not in LAYOUTS:
        raise InputError(f"`layout` must be one of {LAYOUTS}, got {layout!r}")
    lo, hi = (n_objects, n_objects) if isinstance(n_objects, (int, np.integer)) else n_objects
    if not 1 <= lo <= hi <= 30:
        raise InputError(f"`n_objects` must be in 1..30 (an int or an inclusive (lo, hi) range), got {n_objects!r}")
    if backdrop is not None:
        backdrop = np.asarray(backdrop, np.float32)
        if backdrop.ndim != 3 or backdrop.shape[2] != 3:
            raise InputError(f"`backdrop` must be an (H, W, 3) RGB image, got shape {backdrop.shape}")
        h, w = backdrop.shape[:2]
    else:
        w, h = (int(v) for v in size)
    if w < 64 or h < 64:
        raise InputError(f"`size` must be at least 64 x 64, got {w} x {h}")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(lo, hi + 1))
    folder = None if cutouts == "none" else (cutouts or default_cutouts())
    pool = load_cutouts(str(folder)) if folder else ()
    if backdrop is not None:
        bg, bg_kind = backdrop.copy(), "backdrop"
    else:
        bg, bg_kind = make_background((h, w), rng, background)
    similar_hsv = (rng.uniform(0, 180), rng.uniform(90, 200), rng.uniform(150, 230)) if similar else None
    n_small = min(n - 1, int(rng.integers(2, 5))) if layout == "nested" else 0

    for attempt in range(max_tries):
        shrink = 0.97 ** attempt
        sprites, amodal, colour = [], [], []
        nested = []
        if n_small:
            hold_side = int(0.55 * min(w, h) * shrink)
            holder = _sprite(hold_side, rng, (), 0.0, similar_hsv, kind=str(rng.choice(["ellipse", "rectangle"])))
            hy = rng.uniform(hold_side / 2, h - hold_side / 2)
            hx = rng.uniform(hold_side / 2, w - hold_side / 2)
            ha, hc = _paste((h, w), holder, hy, hx)
            small = [_sprite(max(8, int(rng.uniform(0.28, 0.4) * hold_side)), rng, pool, cutout_fraction,
                             similar_hsv) for _ in range(n_small)]
            spots = _place_nested((h, w), small, ndi.binary_erosion(ha, iterations=2), rng)
            if spots is None:
                continue
            sprites += [holder, *small]
            amodal.append(ha)
            colour.append(hc)
            for sp, (cy, cx) in zip(small, spots):
                a, c = _paste((h, w), sp, cy, cx)
                amodal.append(a)
                colour.append(c)
            nested = list(range(1, n_small + 1))
        rest = n - len(sprites)
        centres, (cw, ch) = _grid_cells(rest + (4 if n_small else 0), w, h, rng)
        if n_small:  # keep the cells off the holder
            centres = [(x, y) for x, y in centres if not amodal[0][int(min(h - 1, y)), int(min(w - 1, x))]][:rest]
        for x, y in centres:
            side = int(max(cw, ch) * spread * rng.uniform(0.9, 1.1) * shrink)
            sp = _sprite(max(8, side), rng, pool, cutout_fraction, similar_hsv)
            a, c = _paste((h, w), sp, y + rng.uniform(-0.1, 0.1) * ch, x + rng.uniform(-0.1, 0.1) * cw)
            sprites.append(sp)
            amodal.append(a)
            colour.append(c)
        k = len(sprites)
        # depth: the holder behind what rests on it; the rest in random order
        depth = list(rng.permutation(k))
        if n_small:
            ranks = sorted(depth)
            depth[0] = ranks[-1] + 1
            depth = list(np.argsort(np.argsort(depth)))
        visible = visible_by_depth(amodal, depth)
        ok = all(v.sum() >= 40 and v.sum() >= min_visible * a.sum() for v, a in zip(visible, amodal))
        if ok:
            break
    else:
        raise InputError(f"could not place {n} objects ({layout}) in {max_tries} tries (seed {seed}); "
                         "try a larger `size` or fewer objects")

    image = bg.copy()
    for i in sorted(range(k), key=lambda i: -depth[i]):  # back to front
        image[amodal[i]] = colour[i][amodal[i]]
    order = [int(v) for v in rng.permutation(k)]  # prompt order, independent of depth
    objects = tuple(SceneObject(rgb=quantize8(colour[i] * amodal[i][..., None]), amodal_mask=amodal[i],
                                visible_mask=visible[i], depth=int(depth[i]), source=sprites[i][2]) for i in order)
    meta = {"layout": layout, "similar": bool(similar)}
    if n_small:
        meta["nested"] = {"holder": order.index(0), "resting": sorted(order.index(i) for i in nested)}
    return Scene(image=quantize8(image), background=quantize8(bg), objects=objects, seed=int(seed),
                 background_kind=bg_kind, meta=meta)


__all__ = ["make_crowd_scene", "LAYOUTS"]
