"""OpenRaster (``.ora``) files: a zip with ``stack.xml`` and one PNG per layer.

Written after the OpenRaster 0.0.5 layout that GIMP, Krita and MyPaint read: ``mimetype``
first and stored uncompressed (``image/openraster``), ``stack.xml`` listing the layers top
first, ``data/*.png`` with straight RGBA, ``mergedimage.png`` (the flattened picture) and
``Thumbnails/thumbnail.png`` (at most 256 px). Writing is atomic.
"""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from paintseg_layers.errors import InputError
from paintseg_layers.imageio import atomic_path, read_rgba8
from paintseg_layers.io.base import (
    LAYER_OVERHANG,
    MAX_DECODED_BYTES,
    MAX_SIDE,
    LayeredImage,
    RasterLayer,
    clean_name,
)

MIMETYPE = "image/openraster"
#: Caps on inflated member sizes: ``mimetype`` and ``stack.xml`` are tiny in every real file.
MAX_MIMETYPE_BYTES = 256
MAX_STACK_BYTES = 1 << 20
#: Fixed member timestamp, so the same layers give byte-identical files.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _png_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def _unique_src(name: str, used: set[str]) -> str:
    stem = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in name)[:40] or "layer"
    src, k = f"data/{stem}.png", 2
    while src in used:
        src, k = f"data/{stem}-{k}.png", k + 1
    used.add(src)
    return src


def write_ora(path, image: LayeredImage, *, merged: np.ndarray | None = None) -> Path:
    """Write ``image`` as an OpenRaster file.

    Parameters
    ----------
    path : str or Path
        Output file; replaced atomically.
    image : LayeredImage
        Canvas and layers, top first.
    merged : ndarray, shape (H, W, 3) or (H, W, 4), uint8, optional
        The flattened picture for ``mergedimage.png``; by default ``image.flatten()``.

    Returns
    -------
    Path
        The written file.
    """
    width, height = image.size
    if merged is None:
        merged = image.flatten()
    merged = np.asarray(merged)
    if merged.shape[:2] != (height, width) or merged.dtype != np.uint8:
        raise InputError(f"`merged` must be ({height}, {width}, 3|4) uint8, got {merged.shape} {merged.dtype}")
    root = ET.Element("image", {"version": "0.0.5", "w": str(width), "h": str(height), "xres": "72", "yres": "72"})
    stack = ET.SubElement(root, "stack")
    used: set[str] = set()
    members = []
    for layer in image.layers:
        src = _unique_src(layer.name, used)
        x, y = layer.offset
        ET.SubElement(stack, "layer", {
            "name": layer.name, "src": src, "x": str(x), "y": str(y),
            "opacity": repr(layer.opacity), "visibility": "visible" if layer.visible else "hidden",
            "composite-op": "svg:src-over",
        })
        members.append((src, _png_bytes(layer.rgba)))
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    thumb = Image.fromarray(merged)
    thumb.thumbnail((256, 256))
    target = Path(path)
    with atomic_path(target, suffix=".ora") as tmp, zipfile.ZipFile(tmp, "w") as zf:
        zf.writestr(_member("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        zf.writestr(_member("stack.xml"), xml, compress_type=zipfile.ZIP_DEFLATED)
        for src, data in members:
            zf.writestr(_member(src), data, compress_type=zipfile.ZIP_STORED)  # PNG is compressed already
        zf.writestr(_member("mergedimage.png"), _png_bytes(merged), compress_type=zipfile.ZIP_STORED)
        zf.writestr(_member("Thumbnails/thumbnail.png"), _png_bytes(np.asarray(thumb)),
                    compress_type=zipfile.ZIP_STORED)
    return target


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.external_attr = 0o644 << 16
    return info


def _read_member(zf: zipfile.ZipFile, name: str, path: Path, cap: int) -> bytes:
    """Inflate one member as a stream, stopping at ``cap`` bytes whatever its header claims."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise InputError(f"OpenRaster file {path} lacks {name!r}") from None
    if info.file_size > cap:
        raise InputError(f"OpenRaster file {path}: member {name!r} declares {info.file_size} bytes, "
                         f"more than the {cap} allowed")
    try:
        with zf.open(info) as stream:
            data = stream.read(cap + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise InputError(f"OpenRaster file {path}: member {name!r} is damaged ({exc.__class__.__name__})") from None
    if len(data) > cap:
        raise InputError(f"OpenRaster file {path}: member {name!r} inflates past the {cap} bytes allowed")
    return data


def _number(elem, key: str, default, kind, path: Path):
    text = elem.get(key)
    if text is None:
        return default
    try:
        value = float(text)
        if kind is int:
            if not value.is_integer():
                raise ValueError(text)
            value = int(value)
    except (ValueError, OverflowError):
        raise InputError(f"OpenRaster file {path}: layer attribute {key}={text!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"OpenRaster file {path}: layer attribute {key}={text!r} is not finite")
    return value


def read_ora(path) -> LayeredImage:
    """Read an OpenRaster file into a :class:`LayeredImage` (layers top first).

    Nested stacks (layer groups) are refused with an :class:`InputError`; ungroup them in the
    editor first. Layers whose ``composite-op`` is not normal blending are read as normal.

    Raises
    ------
    InputError
        If the file is missing, not an OpenRaster zip, or malformed.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"layered file not found: {p}")
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError):
        raise InputError(f"not a readable OpenRaster file (not a zip archive): {p}") from None
    with zf:
        mime = _read_member(zf, "mimetype", p, MAX_MIMETYPE_BYTES).decode("ascii", "replace").strip()
        if mime != MIMETYPE:  # the member's content is never echoed
            raise InputError(f"not an OpenRaster file: {p} has a mimetype other than {MIMETYPE!r}")
        try:
            root = ET.fromstring(_read_member(zf, "stack.xml", p, MAX_STACK_BYTES))
        except (ET.ParseError, RecursionError) as exc:
            raise InputError(f"OpenRaster file {p}: stack.xml is not valid XML ({exc.__class__.__name__})") from None
        if root.tag != "image":
            raise InputError(f"OpenRaster file {p}: stack.xml root must be <image>, got <{root.tag}>")
        width = _number(root, "w", None, int, p)
        height = _number(root, "h", None, int, p)
        if width is None or height is None:
            raise InputError(f"OpenRaster file {p}: <image> lacks its w/h size")
        if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
            raise InputError(f"OpenRaster file {p}: canvas must be 1..{MAX_SIDE} px per side, got {width} x {height}")
        stack = root.find("stack")
        if stack is None:
            raise InputError(f"OpenRaster file {p}: stack.xml has no <stack>")
        layers, budget = [], MAX_DECODED_BYTES
        for elem in stack:
            if elem.tag == "stack":
                raise InputError(f"OpenRaster file {p}: layer groups are not supported; "
                                 f"ungroup {elem.get('name', 'the group')!r} and save again")
            if elem.tag != "layer":
                continue  # <text>, <filter> and future elements carry no pixels we can use
            src = elem.get("src")
            if not src:
                raise InputError(f"OpenRaster file {p}: layer {elem.get('name')!r} has no src")
            bound = (LAYER_OVERHANG * width, LAYER_OVERHANG * height)
            data = _read_member(zf, src, p, 4 * bound[0] * bound[1] + (1 << 20))
            rgba = read_rgba8(data, name=f"OpenRaster file {p}: layer {src!r}", max_size=bound)
            budget -= rgba.nbytes
            if budget < 0:
                raise InputError(f"OpenRaster file {p}: its layers decode to more than {MAX_DECODED_BYTES} bytes")
            opacity = _number(elem, "opacity", 1.0, float, p)
            layers.append(RasterLayer(
                name=clean_name(elem.get("name", Path(src).stem)),
                rgba=rgba,
                offset=(_number(elem, "x", 0, int, p), _number(elem, "y", 0, int, p)),
                visible=elem.get("visibility", "visible") != "hidden",
                opacity=min(max(opacity, 0.0), 1.0),
            ))
    return LayeredImage((width, height), tuple(layers))
