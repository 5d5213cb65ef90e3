"""The scene generator: seeded objects placed with controlled overlap over a background."""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi

from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes.model import Scene, SceneObject
from paintseg_layers.eval.scenes.sources import default_cutouts, load_cutouts, make_background, make_shape
from paintseg_layers.layers import quantize8, visible_masks


def make_scene(seed: int, *, size: tuple[int, int] = (160, 120), n_objects: int | tuple[int, int] = (2, 4),
               cutouts=None, cutout_fraction: float = 0.6, background: str | None = None,
               object_scale: tuple[float, float] = (0.4, 0.65), min_visible: float = 0.45,
               hidden: tuple[float, float] = (0.1, 0.5), max_tries: int = 200) -> Scene:
    """Generate one scene.

    Parameters
    ----------
    seed : int
        Everything (objects, placement, background, prompt order) follows from it.
    size : (int, int)
        ``(W, H)`` of the image.
    n_objects : int or (int, int)
        Number of objects, or an inclusive range to draw from (2 to 5).
    cutouts : path, "none" or None
        Folder of ``images/`` + ``masks/`` for real cut-outs; None uses :func:`default_cutouts`
        (shapes only when it is missing); ``"none"`` uses shapes only.
    cutout_fraction : float
        Probability that an object is a cut-out rather than a shape.
    background : {"photo", "texture", "procedural"} or None
        None draws one.
    object_scale : (float, float)
        Range of an object's long side as a fraction of the image's short side.
    min_visible : float
        Every object keeps at least this fraction of its area visible.
    hidden : (float, float)
        Every occluded object has a hidden fraction in this range, and at least one object is occluded.
    max_tries : int
        Placement attempts before giving up.

    Returns
    -------
    Scene

    Raises
    ------
    InputError
        For bad arguments, or when no placement meets the constraints.
    """
    w, h = (int(v) for v in size)
    if w < 32 or h < 32:
        raise InputError(f"`size` must be at least 32 x 32, got {w} x {h}")
    lo, hi = (n_objects, n_objects) if isinstance(n_objects, (int, np.integer)) else n_objects
    if not 1 <= lo <= hi <= 5:
        raise InputError(f"`n_objects` must be in 1..5 (an int or an inclusive (lo, hi) range), got {n_objects!r}")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(lo, hi + 1))
    if cutouts is None:
        cutouts = default_cutouts()
    pool = load_cutouts(str(cutouts)) if cutouts not in (None, "none") else ()
    bg, bg_kind = make_background((h, w), rng, background)

    # appearance of each object at its own size
    sprites = []
    for _ in range(n):
        long_side = int(rng.uniform(*object_scale) * min(w, h))
        if pool and rng.random() < cutout_fraction:
            name, rgb, m = pool[int(rng.integers(len(pool)))]
            s = long_side / max(m.shape)
            sz = (max(4, round(m.shape[1] * s)), max(4, round(m.shape[0] * s)))
            rgb = cv2.resize(rgb, sz, interpolation=cv2.INTER_AREA)
            m = cv2.resize(m.astype(np.float32), sz, interpolation=cv2.INTER_LINEAR) > 0.5
            if rng.random() < 0.5:
                rgb, m = rgb[:, ::-1], m[:, ::-1]
            m = ndi.binary_fill_holes(m)
            sprites.append((rgb, m, f"cutout:{name}"))
        else:
            aspect = rng.uniform(0.6, 1.0)
            hw = (long_side, max(8, int(long_side * aspect)))
            if rng.random() < 0.5:
                hw = hw[::-1]
            sprites.append(make_shape(hw, rng))

    depth = rng.permutation(n)  # depth of sprite k
    for _ in range(max_tries):
        placed = []
        for _rgb, m, _src in sprites:
            sh, sw = m.shape
            if placed and n > 1:
                # anchor next to an already placed object so that they overlap
                ay, ax, ah, aw = placed[int(rng.integers(len(placed)))][:4]
                cy = ay + ah / 2 + rng.uniform(-0.5, 0.5) * (ah + sh) * 0.8
                cx = ax + aw / 2 + rng.uniform(-0.5, 0.5) * (aw + sw) * 0.8
                y, x = int(round(cy - sh / 2)), int(round(cx - sw / 2))
            else:
                y, x = int(rng.integers(0, max(1, h - sh + 1))), int(rng.integers(0, max(1, w - sw + 1)))
            y, x = int(np.clip(y, 0, max(0, h - sh))), int(np.clip(x, 0, max(0, w - sw)))
            placed.append((y, x, sh, sw))
        amodal, full_rgb = [], []
        for (rgb, m, _src), (y, x, sh, sw) in zip(sprites, placed):
            a = np.zeros((h, w), bool)
            c = np.zeros((h, w, 3), np.float32)
            a[y : y + sh, x : x + sw] = m[: h - y, : w - x]
            c[y : y + sh, x : x + sw][m[: h - y, : w - x]] = rgb[: h - y, : w - x][m[: h - y, : w - x]]
            amodal.append(a)
            full_rgb.append(c)
        visible = visible_by_depth(amodal, depth)
        fr = [1 - v.sum() / max(1, a.sum()) for v, a in zip(visible, amodal)]
        ok = all(v.sum() >= 60 and f <= 1 - min_visible for v, f in zip(visible, fr))
        ok &= all(f == 0 or hidden[0] <= f <= hidden[1] for f in fr)
        ok &= n == 1 or any(f > 0 for f in fr)
        if ok:
            break
    else:
        raise InputError(f"could not place {n} objects meeting the overlap constraints in {max_tries} tries "
                         f"(seed {seed}); try a larger `size` or smaller `object_scale`")

    image = bg.copy()
    for k in sorted(range(n), key=lambda k: -depth[k]):  # back to front
        image[amodal[k]] = full_rgb[k][amodal[k]]
    order = rng.permutation(n)  # prompt order, independent of depth
    objects = tuple(
        SceneObject(rgb=quantize8(full_rgb[k] * amodal[k][..., None]), amodal_mask=amodal[k], visible_mask=visible[k],
                    depth=int(depth[k]), source=sprites[k][2])
        for k in order
    )
    return Scene(image=quantize8(image), background=quantize8(bg), objects=objects, seed=int(seed),
                 background_kind=bg_kind)


def visible_by_depth(amodal: list[np.ndarray], depth) -> list[np.ndarray]:
    """Visible masks of ``amodal`` masks (in any order) with ``depth`` (0 = front-most): each less those in front."""
    order = sorted(range(len(amodal)), key=lambda k: depth[k])
    visible = [None] * len(amodal)
    for k, v in zip(order, visible_masks([amodal[k] for k in order])):
        visible[k] = v
    return visible


def scene_set(count: int, *, seed: int = 0, **kwargs) -> list[Scene]:
    """``count`` scenes with seeds ``seed, seed + 1, ...`` (keyword arguments go to :func:`make_scene`)."""
    return [make_scene(seed + i, **kwargs) for i in range(count)]
