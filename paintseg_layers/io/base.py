"""Format-neutral layered images: named RGBA rasters placed on a canvas.

The OpenRaster and PSD backends (:mod:`.ora`, :mod:`.psd`) read and write this one structure, so
the conversion to and from a :class:`~paintseg_layers.layers.model.Decomposition` is written once.
Layers are listed **top first** (front to back), like ``stack.xml`` and like a decomposition; the
PSD backend reverses the order at the file boundary.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

from paintseg_layers.errors import InputError

#: Longest canvas side accepted when reading a layered file.
MAX_SIDE = 20_000
#: A layer may reach this many times the canvas per side (editors keep pixels past the edge).
LAYER_OVERHANG = 2
#: Total decoded RGBA bytes of all layers of one file.
MAX_DECODED_BYTES = 256 << 20


def clean_name(name) -> str:
    """A layer name as editors mean it: trailing NULs and padding dropped, Unicode in NFC form.

    Krita writes a trailing NUL in PSD layer names, Photoshop pads Pascal strings, and macOS
    editors may write decomposed (NFD) accents.
    """
    return unicodedata.normalize("NFC", str(name).rstrip("\x00").strip())


@dataclass(frozen=True)
class RasterLayer:
    """One pixel layer of a layered file.

    Attributes
    ----------
    name : str
        Layer name as shown in the editor.
    rgba : ndarray, shape (h, w, 4), uint8
        Straight (not premultiplied) RGBA pixels of the layer's own rectangle.
    offset : tuple of int
        ``(x, y)`` of the rectangle's top-left corner on the canvas; may be negative or reach
        past the canvas (editors clip when they display).
    visible : bool
        Whether the layer is shown.
    opacity : float
        Layer opacity in [0, 1], applied on top of the alpha channel.
    """

    name: str
    rgba: np.ndarray
    offset: tuple[int, int] = (0, 0)
    visible: bool = True
    opacity: float = 1.0

    def __post_init__(self):
        arr = np.asarray(self.rgba)
        if arr.ndim != 3 or arr.shape[2] != 4 or arr.shape[0] < 1 or arr.shape[1] < 1:
            raise InputError(f"layer {self.name!r} `rgba` must have shape (h, w, 4) with h, w >= 1, got {arr.shape}")
        if arr.dtype != np.uint8:
            raise InputError(f"layer {self.name!r} `rgba` must be uint8, got dtype {arr.dtype}")
        if not 0.0 <= float(self.opacity) <= 1.0:
            raise InputError(f"layer {self.name!r} `opacity` must lie in [0, 1], got {self.opacity}")
        object.__setattr__(self, "offset", (int(self.offset[0]), int(self.offset[1])))
        object.__setattr__(self, "opacity", float(self.opacity))

    @property
    def size(self) -> tuple[int, int]:
        """``(w, h)`` of the layer's rectangle."""
        return int(self.rgba.shape[1]), int(self.rgba.shape[0])

    def on_canvas(self, size: tuple[int, int]) -> np.ndarray:
        """The layer placed on a transparent ``(H, W, 4)`` uint8 canvas of ``size = (W, H)``, clipped."""
        width, height = size
        out = np.zeros((height, width, 4), np.uint8)
        x, y = self.offset
        h, w = self.rgba.shape[:2]
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
        if x1 > x0 and y1 > y0:
            out[y0:y1, x0:x1] = self.rgba[y0 - y:y1 - y, x0 - x:x1 - x]
        return out


@dataclass(frozen=True)
class LayeredImage:
    """A canvas size and its layers, top (front-most) first.

    Attributes
    ----------
    size : tuple of int
        ``(W, H)`` of the canvas.
    layers : tuple of RasterLayer
        Layers from top to bottom.
    """

    size: tuple[int, int]
    layers: tuple[RasterLayer, ...] = field(default_factory=tuple)

    def __post_init__(self):
        w, h = (int(v) for v in self.size)
        if not (1 <= w <= MAX_SIDE and 1 <= h <= MAX_SIDE):
            raise InputError(f"canvas `size` must be 1..{MAX_SIDE} px per side, got {w} x {h}")
        object.__setattr__(self, "size", (w, h))
        object.__setattr__(self, "layers", tuple(self.layers))
        for layer in self.layers:
            if not isinstance(layer, RasterLayer):
                raise InputError(f"`layers` must hold RasterLayer objects, got {type(layer).__name__}")

    def names(self) -> list[str]:
        """Layer names, top first."""
        return [layer.name for layer in self.layers]

    def flatten(self, *, background=None) -> np.ndarray:
        """Composite the visible layers ("normal" blending) into ``(H, W, 4)`` uint8 straight RGBA.

        Parameters
        ----------
        background : sequence of 4 ints, optional
            RGBA colour under all layers; transparent by default.
        """
        width, height = self.size
        color = np.zeros((height, width, 3), np.float64)
        alpha = np.zeros((height, width, 1), np.float64)
        if background is not None:
            bg = np.asarray(background, np.float64) / 255.0
            alpha[:] = bg[3]
            color[:] = bg[:3] * bg[3]
        for layer in reversed(self.layers):  # bottom first
            if not layer.visible or layer.opacity == 0.0:
                continue
            px = layer.on_canvas(self.size).astype(np.float64) / 255.0
            a = px[..., 3:] * layer.opacity
            color = px[..., :3] * a + color * (1.0 - a)  # premultiplied "over"
            alpha = a + alpha * (1.0 - a)
        straight = np.divide(color, alpha, out=np.zeros_like(color), where=alpha > 0)
        out = np.concatenate([straight, alpha], axis=2)
        return (np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def crop_to_content(rgba: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Crop a full-canvas RGBA array to the bounding box of its non-zero alpha.

    Returns the cropped array and its ``(x, y)`` offset. A fully transparent layer keeps one
    transparent pixel at (0, 0), because several editors refuse empty layers.
    """
    alpha = rgba[..., 3]
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:
        return np.zeros((1, 1, 4), np.uint8), (0, 0)
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return np.ascontiguousarray(rgba[y0:y1, x0:x1]), (int(x0), int(y0))
