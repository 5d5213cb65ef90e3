"""Seeded synthetic scenes with everything known: background, amodal and visible masks, depth order.

A :class:`Scene` is a composite of 2 to 5 objects over a background. Objects are real cut-outs
(any folder of image/mask pairs, e.g. ``../shared/data/grabcut``) or simple textured shapes;
backgrounds are scikit-image's bundled photographs and textures or procedural ones. Objects are
placed so that they overlap in a controlled way (each occluded object keeps at least
``min_visible`` of its area visible) and are pasted back to front with hard (binary) alpha, so the
visible masks are exact. Object *prompt order* is shuffled independently of depth.

Examples
--------
>>> scene = make_scene(3, size=(128, 96), n_objects=2)
>>> len(scene.objects), scene.image.shape
(2, (96, 128, 3))
>>> [type(p).__name__ for p in scene.prompts("box")]
['BoxPrompt', 'BoxPrompt']
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage as ndi

from paintseg_layers import masks as morph
from paintseg_layers.errors import InputError
from paintseg_layers.layers.model import Decomposition, Layer, quantize8
from paintseg_layers.prompts import BoxPrompt, PointPrompt

log = logging.getLogger(__name__)

SHAPES = ("ellipse", "rectangle", "triangle", "blob")
BACKGROUNDS = ("photo", "texture", "procedural")


@dataclass(frozen=True, eq=False)
class SceneObject:
    """One object of a :class:`Scene` (all arrays full image size).

    Attributes
    ----------
    rgb : (H, W, 3) float32
        The object's full appearance (meaningful inside ``amodal_mask``; 0 elsewhere).
    amodal_mask, visible_mask : (H, W) bool
    depth : int
        0 = front-most.
    source : str
        ``"cutout:<name>"`` or ``"shape:<kind>"``.
    """

    rgb: np.ndarray
    amodal_mask: np.ndarray
    visible_mask: np.ndarray
    depth: int
    source: str

    @property
    def visible_box(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)`` of the visible part (exclusive ends)."""
        ys, xs = np.nonzero(self.visible_mask)
        return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1

    @property
    def visible_point(self) -> tuple[float, float]:
        """``(x, y)`` of the interior-most visible pixel (a user's click)."""
        dist = ndi.distance_transform_edt(np.pad(self.visible_mask, 1))[1:-1, 1:-1]
        y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
        return float(x), float(y)

    @property
    def hidden_fraction(self) -> float:
        a = int(self.amodal_mask.sum())
        return 1.0 - int(self.visible_mask.sum()) / a if a else 0.0

    def to_dict(self) -> dict:
        return {"depth": int(self.depth), "source": self.source, "amodal_area": int(self.amodal_mask.sum()),
                "visible_area": int(self.visible_mask.sum()), "visible_box": list(self.visible_box),
                "hidden_fraction": round(self.hidden_fraction, 4)}


@dataclass(frozen=True, eq=False)
class Scene:
    """A generated composite with its ground truth.

    Attributes
    ----------
    image : (H, W, 3) float32
        The composite (values on the 8-bit grid).
    background : (H, W, 3) float32
        The clean background.
    objects : tuple of SceneObject
        In *prompt order* (shuffled with respect to depth).
    seed : int
    background_kind : str
    """

    image: np.ndarray
    background: np.ndarray
    objects: tuple
    seed: int
    background_kind: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape[:2]

    @property
    def depth_order(self) -> list[int]:
        """Object indices (prompt order) front to back."""
        return sorted(range(len(self.objects)), key=lambda i: self.objects[i].depth)

    def occlusion_pairs(self) -> list[tuple[int, int, int]]:
        """``(front, back, hidden_px)`` for every pair where ``front`` hides part of ``back``."""
        out = []
        for i, a in enumerate(self.objects):
            for j, b in enumerate(self.objects):
                if a.depth < b.depth:
                    px = int((a.amodal_mask & b.amodal_mask).sum())
                    if px:
                        out.append((i, j, px))
        return out

    def prompts(self, kind: str = "box") -> list:
        """The prompts a user would give, one per object in prompt order.

        ``kind="box"``: a box around the visible part; ``"point"``: one click on the visible part's
        interior-most pixel.
        """
        if kind == "box":
            return [BoxPrompt(tuple(float(v) for v in o.visible_box)) for o in self.objects]
        if kind == "point":
            return [PointPrompt((o.visible_point,)) for o in self.objects]
        raise InputError(f"`kind` must be 'box' or 'point', got {kind!r}")

    def to_dict(self) -> dict:
        return {"seed": int(self.seed), "image_size": [int(self.shape[1]), int(self.shape[0])],
                "background": self.background_kind, "depth_order": self.depth_order,
                "objects": [o.to_dict() for o in self.objects], **self.meta}


# -- sources ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def load_cutouts(folder: str, *, max_side: int = 200) -> tuple:
    """Object cut-outs ``(name, rgb, mask)`` from ``folder/images`` + ``folder/masks`` (same stem).

    Each is cropped to its mask's box and shrunk to at most ``max_side`` px. Masks: non-zero = object.
    """
    from paintseg_layers.imageio import read_image, read_mask

    root = Path(folder)
    imgs, masks = root / "images", root / "masks"
    if not imgs.is_dir() or not masks.is_dir():
        raise InputError(f"`cutouts` must be a folder with images/ and masks/ subfolders, got {root}")
    out = []
    for mpath in sorted(masks.iterdir()):
        cands = [p for p in imgs.glob(mpath.stem + ".*")]
        if not cands:
            continue
        rgb = read_image(cands[0])
        m = read_mask(mpath, shape=rgb.shape[:2])
        m = ndi.binary_fill_holes(m)
        if m.sum() < 100:
            continue
        ys, xs = np.nonzero(m)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        rgb, m = rgb[y0:y1, x0:x1], m[y0:y1, x0:x1]
        s = min(1.0, max_side / max(m.shape))
        if s < 1:
            size = (max(2, round(m.shape[1] * s)), max(2, round(m.shape[0] * s)))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            m = morph.shrink(m, size)
        out.append((mpath.stem, rgb.astype(np.float32), m))
    if not out:
        raise InputError(f"no image/mask pairs found under {root}")
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _skimage_backgrounds() -> tuple:
    from skimage import data

    photos, textures = [], []
    for name in ("coffee", "chelsea", "astronaut", "rocket", "immunohistochemistry"):
        try:
            photos.append((name, np.asarray(getattr(data, name)(), np.float32)[..., :3] / 255.0))
        except Exception:  # noqa: BLE001 - a dataset missing from this scikit-image build
            log.debug("skimage.data.%s unavailable", name)
    for name in ("brick", "grass", "gravel"):
        try:
            textures.append((name, np.asarray(getattr(data, name)(), np.float32) / 255.0))
        except Exception:  # noqa: BLE001
            log.debug("skimage.data.%s unavailable", name)
    return tuple(photos), tuple(textures)


def _random_colour(rng) -> np.ndarray:
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(120, 255), rng.uniform(90, 255)]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255.0


def _smooth_noise(shape, rng, scale: float) -> np.ndarray:
    small = rng.standard_normal((max(2, int(shape[0] / scale)), max(2, int(shape[1] / scale)))).astype(np.float32)
    big = cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    return (big - big.mean()) / (big.std() + 1e-6)


def make_background(shape, rng, kind: str | None = None) -> tuple[np.ndarray, str]:
    """A background ``(H, W, 3)`` float32 of ``kind`` ``photo``, ``texture`` or ``procedural``."""
    h, w = shape
    photos, textures = _skimage_backgrounds()
    kinds = [k for k in BACKGROUNDS if (k != "photo" or photos) and (k != "texture" or textures)]
    kind = kind or str(rng.choice(kinds))
    if kind == "photo" and photos:
        name, src = photos[int(rng.integers(len(photos)))]
        return _random_crop(src, shape, rng), f"photo:{name}"
    if kind == "texture" and textures:
        name, src = textures[int(rng.integers(len(textures)))]
        grey = _random_crop(np.repeat(src[..., None], 3, axis=2), shape, rng)
        tint = 0.5 + 0.5 * _random_colour(rng)
        return np.clip(grey * tint * 1.2, 0, 1).astype(np.float32), f"texture:{name}"
    a, b = _random_colour(rng), _random_colour(rng)
    t = np.clip(0.5 + 0.25 * _smooth_noise(shape, rng, 40.0), 0, 1)[..., None]
    img = a * t + b * (1 - t) + 0.03 * _smooth_noise(shape, rng, 2.0)[..., None]
    return np.clip(img, 0, 1).astype(np.float32), "procedural"


def _random_crop(src, shape, rng):
    h, w = shape
    s = max(h / src.shape[0], w / src.shape[1]) * rng.uniform(1.0, 1.8)
    big = cv2.resize(src, (max(w, round(src.shape[1] * s)), max(h, round(src.shape[0] * s))), interpolation=cv2.INTER_AREA)
    y = int(rng.integers(0, big.shape[0] - h + 1))
    x = int(rng.integers(0, big.shape[1] - w + 1))
    return np.ascontiguousarray(big[y : y + h, x : x + w]).astype(np.float32)


def make_shape(size: tuple[int, int], rng, kind: str | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """A textured shape ``(rgb, mask)`` of ``size`` ``(h, w)``; ``kind`` from :data:`SHAPES`."""
    h, w = size
    kind = kind or str(rng.choice(SHAPES))
    m = np.zeros((h, w), np.uint8)
    if kind == "ellipse":
        cv2.ellipse(m, (w // 2, h // 2), (max(2, w // 2 - 1), max(2, h // 2 - 1)), 0, 0, 360, 1, -1)
    elif kind == "rectangle":
        m[1:-1, 1:-1] = 1
    elif kind == "triangle":
        apex = int(rng.integers(0, w))
        cv2.fillPoly(m, [np.array([[apex, 0], [0, h - 1], [w - 1, h - 1]], np.int32)], 1)
    else:  # a star-convex blob with a smooth random radius
        ang = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        r = 1 + 0.25 * np.convolve(np.tile(rng.standard_normal(64), 3), np.ones(9) / 9, "same")[64:128]
        r = r / r.max()
        pts = np.stack([w / 2 + (w / 2 - 1) * r * np.cos(ang), h / 2 + (h / 2 - 1) * r * np.sin(ang)], 1)
        cv2.fillPoly(m, [pts.astype(np.int32)], 1)
    a, b = _random_colour(rng), _random_colour(rng)
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    tex = str(rng.choice(["solid", "stripes", "checker", "gradient"]))
    if tex == "stripes":
        th = rng.uniform(0, np.pi)
        t = (np.sin((xx * np.cos(th) + yy * np.sin(th)) * 2 * np.pi / rng.uniform(6, 14)) > 0).astype(np.float32)
    elif tex == "checker":
        c = int(rng.integers(5, 12))
        t = (((yy // c) + (xx // c)) % 2).astype(np.float32)
    elif tex == "gradient":
        t = xx / max(1, w - 1)
    else:
        t = np.zeros((h, w), np.float32)
    rgb = a * (1 - t[..., None]) + b * t[..., None]
    rgb = np.clip(rgb + 0.02 * rng.standard_normal((h, w, 1)).astype(np.float32), 0, 1)
    return rgb.astype(np.float32), m > 0, f"shape:{kind}/{tex}"


# -- the generator -----------------------------------------------------------------------------------
def default_cutouts() -> Path | None:
    """``../shared/data/grabcut`` relative to the repository root, when it exists."""
    p = Path(__file__).resolve().parents[3] / "shared" / "data" / "grabcut"
    return p if (p / "images").is_dir() else None


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
        for k, (rgb, m, _src) in enumerate(sprites):
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
        visible = []
        for k in range(n):
            front = np.zeros((h, w), bool)
            for j in range(n):
                if depth[j] < depth[k]:
                    front |= amodal[j]
            visible.append(amodal[k] & ~front)
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


def scene_set(count: int, *, seed: int = 0, **kwargs) -> list[Scene]:
    """``count`` scenes with seeds ``seed, seed + 1, ...`` (keyword arguments go to :func:`make_scene`)."""
    return [make_scene(seed + i, **kwargs) for i in range(count)]


def ground_truth_decomposition(scene: Scene, *, with_image: bool = True) -> Decomposition:
    """The true :class:`~paintseg_layers.layers.model.Decomposition` of ``scene``.

    Layer ``obj<i>`` is object ``i`` in prompt order; edges ``u -> v`` wherever ``u`` hides part of
    ``v`` (``overlap`` = hidden px, ``confidence`` 1).
    """
    from paintseg_layers.graph import occlusion_graph

    h, w = scene.shape
    ids = [f"obj{i}" for i in range(len(scene.objects))]
    layers = []
    for rank, i in enumerate(scene.depth_order):
        o = scene.objects[i]
        rgba = np.concatenate([o.rgb, o.amodal_mask[..., None].astype(np.float32)], axis=2)
        layers.append(Layer(id=ids[i], prompt_index=i, depth=rank, rgba=rgba.astype(np.float32),
                            visible_mask=o.visible_mask.copy(), amodal_mask=o.amodal_mask.copy(),
                            prompt=scene.prompts("box")[i].to_dict(),
                            scores={"hidden_fraction": round(o.hidden_fraction, 6), "source": o.source}))
    nodes = {ids[i]: {"prompt_index": i, "depth": rank} for rank, i in enumerate(scene.depth_order)}
    graph = occlusion_graph(nodes, [(ids[a], ids[b], {"overlap": px, "confidence": 1.0})
                                    for a, b, px in scene.occlusion_pairs()])
    return Decomposition(layers=tuple(layers), background=scene.background.copy(), graph=graph, image_size=(w, h),
                         seed=scene.seed, backends={"painter": "ground_truth", "projector": "ground_truth"},
                         config={"scene": scene.to_dict()}, image=scene.image.copy() if with_image else None)


__all__ = ["Scene", "SceneObject", "make_scene", "scene_set", "ground_truth_decomposition", "load_cutouts",
           "make_background", "make_shape", "default_cutouts", "SHAPES", "BACKGROUNDS"]
