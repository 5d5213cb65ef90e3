"""Layered files: OpenRaster (``.ora``) and Photoshop (``.psd``), to and from decompositions.

A decomposition is written as one named layer per object, in depth order (front-most on top),
above an opaque layer named ``background`` that holds the plate; each object layer is its full
RGBA (alpha = amodal mask) at its original position. Reading such a file back
(:func:`import_decomposition`) gives a decomposition whose layer pixels, names (= ids) and order
are those of the file, so a layer can be fixed by hand in an editor and re-composed.

What a layered file cannot carry is rebuilt on import and documented there: the visible masks,
the occlusion graph and the prompt indices.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from paintseg_layers.compose.render import render
from paintseg_layers.errors import InputError
from paintseg_layers.graph import occlusion_graph
from paintseg_layers.image import to_uint8
from paintseg_layers.io.base import LayeredImage, RasterLayer, crop_to_content
from paintseg_layers.io.ora import read_ora, write_ora
from paintseg_layers.io.psd import read_psd, write_psd
from paintseg_layers.layers import Decomposition, Layer, is_layer_id, visible_masks

logger = logging.getLogger(__name__)

#: Format name -> (reader, writer, file suffix).
FORMATS = {"ora": (read_ora, write_ora, ".ora"), "psd": (read_psd, write_psd, ".psd")}
#: Name of the bottom layer holding the background plate.
BACKGROUND_NAME = "background"


def detect_format(path) -> str:
    """``"ora"`` or ``"psd"`` from the file's first bytes (not its name).

    Raises
    ------
    InputError
        If the file is missing or is neither.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"layered file must be a .ora or .psd file, got a directory: {p}")
    if not p.is_file():
        raise InputError(f"layered file not found: {p}")
    with open(p, "rb") as fh:
        head = fh.read(64)
    if head.startswith(b"8BPS"):
        return "psd"
    if head.startswith(b"PK\x03\x04"):
        return "ora"
    raise InputError(f"not a readable layered file: {p} is neither OpenRaster (.ora) nor Photoshop (.psd)")


def read_layered(path, *, format: str | None = None) -> LayeredImage:
    """Read an ``.ora`` or ``.psd`` file (the format is detected from its content by default)."""
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"`format` must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return FORMATS[fmt][0](path)


def decomposition_to_layered(decomposition, *, crop: bool = False) -> LayeredImage:
    """The layered image of a decomposition: object layers front to back, then ``background``.

    Parameters
    ----------
    decomposition : Decomposition
    crop : bool
        Store each object layer cropped to its alpha box (smaller files) instead of canvas-sized.
        Colour under zero alpha outside that box is then not kept.
    """
    layers = []
    for layer in decomposition.layers:
        rgba = layer.rgba8
        offset = (0, 0)
        if crop:
            rgba, offset = crop_to_content(rgba)
        layers.append(RasterLayer(name=layer.id, rgba=rgba, offset=offset))
    bg = decomposition.background8
    bg = np.concatenate([bg, np.full(bg.shape[:2] + (1,), 255, np.uint8)], axis=2)
    layers.append(RasterLayer(name=BACKGROUND_NAME, rgba=bg))
    return LayeredImage(decomposition.image_size, tuple(layers))


def export_decomposition(decomposition, path, *, format: str | None = None, crop: bool = False) -> Path:
    """Write a decomposition as a layered ``.ora`` or ``.psd`` file (see the module docstring).

    Parameters
    ----------
    decomposition : Decomposition
    path : str or Path
        Output file, replaced atomically.
    format : {"ora", "psd"}, optional
        Default: from the suffix of ``path``.
    crop : bool
        Crop object layers to their content (see :func:`decomposition_to_layered`).

    Returns
    -------
    Path
    """
    fmt = format or Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputError(f"`format` must be one of {', '.join(FORMATS)}, got {fmt!r}")
    image = decomposition_to_layered(decomposition, crop=crop)
    if fmt == "ora":

        return write_ora(path, image, merged=to_uint8(render(decomposition)))
    return write_psd(path, image)


def layered_to_decomposition(image: LayeredImage, *, source: str = "layered file"):
    """Build a decomposition from a layered image (top first; the bottom layer is the background).

    Rules:

    * Hidden layers are skipped (hiding a layer in the editor removes the object).
    * The bottom visible layer is the background plate: it must be opaque over the whole canvas.
    * Every other visible layer is an object whose id is its name (names must be unique and usable
      as file names); its opacity is multiplied into its alpha; ``amodal_mask`` is
      ``alpha >= 0.5`` and ``visible_mask`` is the amodal mask minus those of the layers above.
    * ``prompt_index`` is the position from the top; the graph gets an edge ``upper -> lower``
      for every pair of overlapping amodal masks, ``overlap`` in px and ``confidence`` 1.0.

    Raises
    ------
    InputError
        If there is no background layer, it is not opaque, or names are missing or repeated.
    """

    width, height = image.size
    shown = [layer for layer in image.layers if layer.visible]
    hidden = [layer.name for layer in image.layers if not layer.visible]
    if hidden:
        logger.info("%s: skipping hidden layers %s", source, hidden)
    if not shown:
        raise InputError(f"{source} has no visible layer; expected objects above a '{BACKGROUND_NAME}' layer")
    bottom = shown[-1]
    bg = bottom.on_canvas(image.size)
    if bottom.opacity < 1.0 or (bg[..., 3] < 255).any():
        raise InputError(f"{source}: the bottom layer {bottom.name!r} must be an opaque background covering the "
                         f"whole {width} x {height} canvas, got {int((bg[..., 3] < 255).sum())} transparent pixels"
                         + (f" and opacity {bottom.opacity:.2f}" if bottom.opacity < 1.0 else ""))
    objects = shown[:-1]
    names = [layer.name for layer in objects]
    seen = set()
    for name in names:
        if not is_layer_id(name):
            raise InputError(f"{source}: layer name {name!r} cannot be a layer id (no '/', '\\', leading '.'); "
                             f"rename it in the editor")
        if name in seen:
            raise InputError(f"{source}: layer names must be unique, {name!r} appears twice; rename one in the editor")
        seen.add(name)
    rgbas = []
    for raster in objects:
        rgba = raster.on_canvas(image.size).astype(np.float32) / np.float32(255.0)
        if raster.opacity < 1.0:
            rgba[..., 3] = np.floor(rgba[..., 3] * raster.opacity * 255.0 + 0.5) / 255.0
        rgbas.append(rgba)
    amodals = [rgba[..., 3] >= 0.5 for rgba in rgbas]
    layers = [Layer(id=raster.name, prompt_index=depth, depth=depth, rgba=rgba, visible_mask=visible,
                    amodal_mask=amodal, prompt={}, scores={"source": source})
              for depth, (raster, rgba, amodal, visible)
              in enumerate(zip(objects, rgbas, amodals, visible_masks(amodals)))]
    edges = []
    for i in range(len(layers)):
        for j in range(i + 1, len(layers)):
            overlap = int(np.count_nonzero(amodals[i] & amodals[j]))
            if overlap:
                edges.append((layers[i].id, layers[j].id, {"overlap": overlap, "confidence": 1.0}))
    nodes = {layer.id: {"prompt_index": layer.prompt_index, "depth": layer.depth,
                        "visible_area": int(layer.visible_mask.sum()), "amodal_area": int(layer.amodal_mask.sum())}
             for layer in layers}
    graph = occlusion_graph(nodes, edges)
    background = bg[..., :3].astype(np.float32) / np.float32(255.0)
    return Decomposition(layers=tuple(layers), background=background, graph=graph, image_size=(width, height),
                         seed=0, backends={"import": Path(source).suffix.lstrip(".") or "layered"},
                         config={"imported_from": source}, image=None)


def import_decomposition(path, *, format: str | None = None):
    """Read an ``.ora`` or ``.psd`` file into a decomposition (see :func:`layered_to_decomposition`).

    Raises
    ------
    InputError
        If the file is unreadable or does not have the expected layout.
    """
    image = read_layered(path, format=format)
    return layered_to_decomposition(image, source=str(path))


__all__ = ["LayeredImage", "RasterLayer", "read_ora", "write_ora", "read_psd", "write_psd", "read_layered",
           "detect_format", "decomposition_to_layered", "layered_to_decomposition",
           "export_decomposition", "import_decomposition", "FORMATS", "BACKGROUND_NAME"]
