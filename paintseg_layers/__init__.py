"""paintseg_layers: training-free segmentation by painting, layer peeling and compositing.

The package reads as the data path; each stage imports only the stages below it:

``prompts`` -> ``amcp`` (segment one object) -> ``discovery`` (find objects without prompts) ->
``peel`` (amodal layers, occlusion graph, background plate) -> ``layers`` (the data model and its
folder) -> ``compose`` (edits and rendering) -> ``io`` (ORA / PSD) -> ``eval`` -> ``ui`` / ``cli``;
beside them the backends (``painters``, ``projectors``) and the core helpers (``image``, ``masks``,
``imageio``, ``viz``, ``errors``).

Quick start::

    from paintseg_layers import segment, BoxPrompt, read_image
    image = read_image("photo.jpg")
    result = segment(image, BoxPrompt((40, 30, 200, 220)), seed=0)
    result.mask        # (H, W) bool
    result.painting    # the image with the object painted out
"""

from paintseg_layers.amcp import AMCPConfig, SegmentationResult, Segmenter, paint_out, remove_object, segment
from paintseg_layers.compose import (
    Flip,
    Insert,
    InsertImage,
    Lower,
    Raise,
    Remove,
    Scale,
    Translate,
    apply_edits,
    compose,
    load_edits,
    render,
    save_edits,
)
from paintseg_layers.discovery import DiscoverConfig, discover
from paintseg_layers.errors import BackendError, InputError
from paintseg_layers.eval.scenes import Scene, make_scene
from paintseg_layers.imageio import read_image, read_mask, write_image
from paintseg_layers.io import export_decomposition, import_decomposition
from paintseg_layers.layers import Decomposition, Layer
from paintseg_layers.painters import PAINTERS, get_painter
from paintseg_layers.peel import PeelConfig, decompose
from paintseg_layers.projectors import PROJECTORS, get_projector
from paintseg_layers.prompts import BoxPrompt, MaskPrompt, PointPrompt, ScribblePrompt
from paintseg_layers.version import __version__

__all__ = [
    "__version__",
    "AMCPConfig", "Segmenter", "SegmentationResult", "segment", "remove_object", "paint_out",
    "BoxPrompt", "PointPrompt", "MaskPrompt", "ScribblePrompt",
    "InputError", "BackendError", "read_image", "read_mask", "write_image",
    "PAINTERS", "PROJECTORS", "get_painter", "get_projector",
    "compose", "apply_edits", "render", "Remove", "Translate", "Scale", "Flip", "Raise", "Lower", "Insert",
    "InsertImage", "load_edits", "save_edits", "export_decomposition", "import_decomposition",
    "Decomposition", "Layer", "PeelConfig", "decompose", "DiscoverConfig", "discover", "Scene", "make_scene",
]
