"""Where scene content comes from: real cut-outs, scikit-image backgrounds, textured shapes."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage import data as skimage_data

from paintseg_layers import masks as morph
from paintseg_layers.errors import InputError
from paintseg_layers.imageio import read_image, read_mask

log = logging.getLogger(__name__)

SHAPES = ("ellipse", "rectangle", "triangle", "blob")
BACKGROUNDS = ("photo", "texture", "procedural")


def default_cutouts() -> Path | None:
    """``../shared/data/grabcut`` relative to the repository root, when it exists."""
    p = Path(__file__).resolve().parents[4] / "shared" / "data" / "grabcut"
    return p if (p / "images").is_dir() else None


@functools.lru_cache(maxsize=4)
def load_cutouts(folder: str, *, max_side: int = 200) -> tuple:
    """Object cut-outs ``(name, rgb, mask)`` from ``folder/images`` + ``folder/masks`` (same stem).

    Each is cropped to its mask's box and shrunk to at most ``max_side`` px. Masks: non-zero = object.
    """
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
    photos, textures = [], []
    for name in ("coffee", "chelsea", "astronaut", "rocket", "immunohistochemistry"):
        try:
            photos.append((name, np.asarray(getattr(skimage_data, name)(), np.float32)[..., :3] / 255.0))
        except Exception:  # noqa: BLE001 - a dataset missing from this scikit-image build
            log.debug("skimage.data.%s unavailable", name)
    for name in ("brick", "grass", "gravel"):
        try:
            textures.append((name, np.asarray(getattr(skimage_data, name)(), np.float32) / 255.0))
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
    size = (max(w, round(src.shape[1] * s)), max(h, round(src.shape[0] * s)))
    big = cv2.resize(src, size, interpolation=cv2.INTER_AREA)
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
