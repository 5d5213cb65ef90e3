"""Photoshop (``.psd``) files through `psd-tools <https://psd-tools.readthedocs.io>`_.

The format is never written by hand: :func:`write_psd` builds an 8-bit RGBA document with
``PSDImage.new`` and ``PixelLayer.frompil`` (alpha stored as the layer transparency channel,
not as a layer mask) and lets psd-tools render the merged preview that viewers without a
compositor show. :func:`read_psd` reads each layer's channels with ``topil()``, which is exact;
``composite()`` is not used because it premultiplies and rounds soft alpha.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image
from psd_tools import PSDImage
from psd_tools.api.layers import PixelLayer

from paintseg_layers.errors import InputError
from paintseg_layers.imageio import atomic_path, check_pixels
from paintseg_layers.io.base import (
    LAYER_OVERHANG,
    MAX_DECODED_BYTES,
    MAX_SIDE,
    LayeredImage,
    RasterLayer,
    clean_name,
)

logger = logging.getLogger(__name__)


def write_psd(path, image: LayeredImage) -> Path:
    """Write ``image`` as a layered 8-bit RGB Photoshop file with transparency.

    Parameters
    ----------
    path : str or Path
        Output file; replaced atomically.
    image : LayeredImage
        Canvas and layers, top first (written bottom first, as PSD stores them).

    Returns
    -------
    Path
        The written file.
    """
    for layer in image.layers:
        if len(layer.name) > 255:
            raise InputError(f"PSD layer names must be at most 255 characters, got {len(layer.name)} for "
                             f"{layer.name[:40]!r}...")
    psd = PSDImage.new("RGBA", image.size)
    for layer in reversed(image.layers):
        x, y = layer.offset
        made = PixelLayer.frompil(Image.fromarray(layer.rgba, "RGBA"), psd, "layer", top=y, left=x)
        made.name = layer.name  # the setter writes the Unicode name block and a MacRoman fallback
        if layer.opacity != 1.0:
            made.opacity = int(round(layer.opacity * 255))
        if not layer.visible:
            made.visible = False
    target = Path(path)
    with atomic_path(target, suffix=".psd") as tmp:
        psd.save(tmp)
    return target


def _layer_rgba(layer) -> np.ndarray:
    """Straight RGBA uint8 of one psd-tools layer, user mask applied; (1, 1, 4) clear if empty."""
    pil = layer.topil()
    if pil is None or layer.width == 0 or layer.height == 0:
        return np.zeros((1, 1, 4), np.uint8)
    rgba = np.array(pil.convert("RGBA"))
    mask = layer.mask if layer.has_mask() else None
    if mask is not None and not getattr(mask, "disabled", False) and mask.width > 0 and mask.height > 0:
        mpil = mask.topil()
        if mpil is not None:
            full = np.full(rgba.shape[:2], int(mask.background_color), np.uint16)
            ml, mt = mask.left - layer.left, mask.top - layer.top
            m = np.asarray(mpil.convert("L"), np.uint16)
            y0, x0 = max(mt, 0), max(ml, 0)
            y1, x1 = min(mt + m.shape[0], full.shape[0]), min(ml + m.shape[1], full.shape[1])
            if y1 > y0 and x1 > x0:
                full[y0:y1, x0:x1] = m[y0 - mt:y1 - mt, x0 - ml:x1 - ml]
            rgba[..., 3] = ((rgba[..., 3].astype(np.uint16) * full + 127) // 255).astype(np.uint8)
    return rgba


def read_psd(path) -> LayeredImage:
    """Read a Photoshop file into a :class:`LayeredImage` (layers top first).

    Pixel, type and shape layers are read through their rasterised pixels; a layer mask is
    multiplied into the alpha. Layer groups are refused (ungroup them first).

    Raises
    ------
    InputError
        If the file is missing, not a PSD, uses an unsupported colour mode, or has groups.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"layered file not found: {p}")
    try:
        psd = PSDImage.open(p)
    except Exception as exc:  # noqa: BLE001 - psd-tools raises many types on corrupt input
        raise InputError(f"not a readable PSD file: {p} ({exc.__class__.__name__})") from None
    width, height = psd.size
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise InputError(f"PSD file {p}: canvas must be 1..{MAX_SIDE} px per side, got {width} x {height}")
    mode = getattr(psd.color_mode, "name", str(psd.color_mode))
    if mode not in ("RGB", "GRAYSCALE"):
        raise InputError(f"PSD file {p}: colour mode must be RGB or grayscale, got {mode}; convert it in the editor")
    layers, budget = [], MAX_DECODED_BYTES
    for layer in reversed(list(psd)):  # psd-tools lists bottom first
        if layer.is_group():
            raise InputError(f"PSD file {p}: layer groups are not supported; ungroup {layer.name!r} and save again")
        if layer.kind not in ("pixel", "type", "shape", "smartobject"):
            logger.warning("PSD layer %r of kind %s read as its rasterised pixels", layer.name, layer.kind)
        blend = getattr(layer.blend_mode, "name", str(layer.blend_mode))
        if blend not in ("NORMAL", "PASS_THROUGH"):
            logger.warning("PSD layer %r uses blend mode %s; read as normal", layer.name, blend)
        name = clean_name(layer.name)
        # declared record sizes are checked before psd-tools decodes a single channel
        check_pixels(int(layer.width), int(layer.height), name=f"PSD file {p}: layer {name!r}",
                     max_size=(LAYER_OVERHANG * width, LAYER_OVERHANG * height))
        if layer.has_mask() and layer.mask is not None:
            check_pixels(max(int(layer.mask.width), 1), max(int(layer.mask.height), 1),
                         name=f"PSD file {p}: mask of layer {name!r}",
                         max_size=(LAYER_OVERHANG * width, LAYER_OVERHANG * height))
        budget -= 4 * int(layer.width) * int(layer.height)
        if budget < 0:
            raise InputError(f"PSD file {p}: its layers decode to more than {MAX_DECODED_BYTES} bytes")
        try:
            rgba = _layer_rgba(layer)
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"PSD file {p}: layer {name!r} cannot be read ({exc.__class__.__name__})") from None
        layers.append(RasterLayer(
            name=name,
            rgba=rgba,
            offset=(int(layer.left), int(layer.top)),
            visible=bool(layer.visible),
            opacity=float(layer.opacity) / 255.0,
        ))
    return LayeredImage((int(width), int(height)), tuple(layers))
