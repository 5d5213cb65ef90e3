"""The layer folder: how a :class:`~paintseg_layers.layers.Decomposition` is stored on disk.

:meth:`Decomposition.save` / :meth:`Decomposition.load` write and read a folder::

    manifest.json        the contract other tools read (see below)
    background.png       RGB, the plate with every object removed
    graph.json           networkx node-link JSON (``edges="edges"``)
    image.png            the input (only when the decomposition holds it)
    <id>.rgba.png        one RGBA per layer: completed appearance, alpha = amodal mask
    <id>.visible.png     8-bit masks, 255 = inside
    <id>.amodal.png
    contact_sheet.png    input, each layer on a checkerboard, background, the graph drawn
    timings.json         wall-clock seconds per layer and in all (the only file that differs between runs)

``manifest.json``::

    {"format": "paintseg_layers.decomposition", "version": 1,
     "image_size": [W, H], "image": "image.png" | null, "background": "background.png",
     "graph": "graph.json", "contact_sheet": "contact_sheet.png", "seed": S,
     "backends": {...}, "config": {...},
     "layers": [{"id": ..., "prompt_index": i, "depth": d, "rgba": FILE,
                 "visible_mask": FILE, "amodal_mask": FILE, "prompt": {...}, "scores": {...}}, ...]}

Files are relative to the folder; ``layers`` are listed front to back (``depth`` 0 = front-most).
Images are stored with 8 bits per channel. Pixel values that are already on the 8-bit grid
(``k / 255``, see :func:`~paintseg_layers.layers.quantize8`)
survive a save/load round trip bit for bit, and saving a loaded decomposition rewrites identical
files. The whole folder is written into a temporary folder beside the target and renamed into
place, so a reader never sees a half-written decomposition.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
from PIL import Image

from paintseg_layers.errors import InputError
from paintseg_layers.graph import from_json, to_json
from paintseg_layers.image import to_uint8
from paintseg_layers.imageio import check_writable, make_parent, read_rgba8
from paintseg_layers.jsonable import jsonable
from paintseg_layers.layers.schema import inside, parse_manifest
from paintseg_layers.layers.swap import clean_stale, swap_into_place, temp_folder
from paintseg_layers.viz import contact_sheet_image

#: ``manifest.json`` format tag and version.
FORMAT = "paintseg_layers.decomposition"
VERSION = 1
MANIFEST = "manifest.json"
#: Wall-clock timings live in their own file, so the result files are byte-identical across runs.
TIMINGS = "timings.json"
TIMING = "seconds"
#: Largest ``manifest.json`` / ``graph.json`` read.
MAX_JSON_BYTES = 16 << 20


def manifest(decomposition) -> dict:
    """The ``manifest.json`` content for this decomposition."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "image_size": list(decomposition.image_size),
        "image": "image.png" if decomposition.image is not None else None,
        "background": "background.png",
        "graph": "graph.json",
        "contact_sheet": "contact_sheet.png",
        "seed": int(decomposition.seed),
        "backends": jsonable(dict(decomposition.backends)),
        "config": jsonable(dict(decomposition.config)),
        "layers": [
            {
                "id": layer.id,
                "prompt_index": int(layer.prompt_index),
                "depth": int(layer.depth),
                "rgba": f"{layer.id}.rgba.png",
                "visible_mask": f"{layer.id}.visible.png",
                "amodal_mask": f"{layer.id}.amodal.png",
                "prompt": jsonable(layer.prompt),
                "scores": jsonable({k: v for k, v in layer.scores.items() if k != TIMING}),
            }
            for layer in decomposition.layers
        ],
    }



def write(decomposition, directory, *, overwrite: bool = True, contact_sheet: bool = True) -> Path:
    """Write ``decomposition``'s folder atomically; see :meth:`~paintseg_layers.layers.Decomposition.save`.

    Missing parent folders are created; a symlink at ``directory`` is followed (the folder it
    points to is replaced, the link is kept); the replacement survives a kill (see :mod:`.swap`).
    """
    target = check_target(directory, overwrite=overwrite)
    make_parent(target, "directory")
    clean_stale(target)
    man = manifest(decomposition)
    tmp = temp_folder(target)
    try:
        _write_png(tmp / man["background"], decomposition.background8)
        if decomposition.image is not None:
            _write_png(tmp / man["image"], decomposition.image8)
        for layer, entry in zip(decomposition.layers, man["layers"]):
            _write_png(tmp / entry["rgba"], layer.rgba8)
            _write_png(tmp / entry["visible_mask"], to_uint8(layer.visible_mask))
            _write_png(tmp / entry["amodal_mask"], to_uint8(layer.amodal_mask))
        graph = decomposition.graph.copy()
        timings = _timings(decomposition, graph.graph.pop(TIMING, None))
        (tmp / man["graph"]).write_text(to_json(graph))
        if timings:
            (tmp / TIMINGS).write_text(json.dumps(timings, indent=1) + "\n")
        if contact_sheet:
            _write_png(tmp / man["contact_sheet"], contact_sheet_image(decomposition))
        else:
            man["contact_sheet"] = None
        (tmp / MANIFEST).write_text(json.dumps(man, indent=1) + "\n")
        os.chmod(tmp, 0o755)
        swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def check_target(directory, *, overwrite: bool = True, name: str = "directory") -> Path:
    """The folder a decomposition will be written to, refused up front if it may not be replaced."""
    target = Path(directory)
    if target.is_symlink():
        target = target.resolve()
    if target.exists():
        if not target.is_dir():
            raise InputError(f"`{name}` must be a folder path, got an existing file: {target}")
        replaceable = not any(target.iterdir()) or (target / MANIFEST).is_file()
        if not overwrite or not replaceable:
            raise InputError(f"`{name}` exists and is not an empty folder or a decomposition: {target}")
    check_writable(target, name)
    return target


def read(directory) -> dict:
    """Read a layer folder into the keyword arguments of ``Decomposition`` (``layers``: a list of ``Layer`` kwargs).

    The manifest is validated (:mod:`.schema`) before any file it names is opened; every file
    must lie inside the folder and match the declared size before it is decoded.

    Raises
    ------
    InputError
        If the folder, its manifest or a file it names is missing, malformed or outside the folder.
    """
    root = Path(directory)
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise InputError(f"`directory` must be a decomposition folder holding {MANIFEST}, got {root}")
    man = parse_manifest(_read_json(mpath), mpath)
    w, h = man.image_size
    background = _read_png(root, man.background, "background", (w, h), "RGB")  # uint8: see layers.model.Grid8
    image = None
    if man.image:
        image = _read_png(root, man.image, "image", (w, h), "RGB")
    layers = []
    for k, entry in enumerate(man.layers):
        layers.append(dict(
            id=entry.id,
            prompt_index=entry.prompt_index,
            depth=entry.depth,
            rgba=_read_png(root, entry.rgba, f"layers[{k}].rgba", (w, h), "RGBA"),
            visible_mask=_read_png(root, entry.visible_mask, f"layers[{k}].visible_mask", (w, h), "L") > 127,
            amodal_mask=_read_png(root, entry.amodal_mask, f"layers[{k}].amodal_mask", (w, h), "L") > 127,
            prompt=entry.prompt,
            scores=entry.scores,
        ))
    layers.sort(key=lambda layer: layer["depth"])
    gpath = inside(root, man.graph, "graph")
    if not gpath.is_file():
        raise InputError(f"{mpath} names graph file {man.graph!r}, which is missing")
    try:
        graph = from_json(json.dumps(_read_json(gpath)))
    except (KeyError, TypeError, ValueError, AttributeError, nx.NetworkXError) as exc:
        raise InputError(f"{gpath} is not a node-link occlusion graph ({exc.__class__.__name__})") from None
    _merge_timings(root, layers, graph)
    return {"layers": layers, "background": background, "graph": graph, "image_size": (w, h),
            "seed": man.seed, "backends": man.backends, "config": man.config, "image": image}


def _timings(decomposition, total) -> dict:
    """Wall-clock seconds, kept out of the files that define the result (same seed, same bytes)."""
    per_layer = {layer.id: layer.scores[TIMING] for layer in decomposition.layers if TIMING in layer.scores}
    out = {"layers": jsonable(per_layer)} if per_layer else {}
    if total is not None:
        out["total"] = jsonable(total)
    return out


def _merge_timings(root: Path, layers: list, graph) -> None:
    path = root / TIMINGS
    if not path.is_file() or path.is_symlink():
        return
    data = _read_json(path)
    if not isinstance(data, dict):
        return
    per_layer = data.get("layers") if isinstance(data.get("layers"), dict) else {}
    for entry in layers:
        value = per_layer.get(entry["id"])
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            entry["scores"] = {**entry["scores"], TIMING: value}
    if isinstance(data.get("total"), (int, float)) and not isinstance(data.get("total"), bool):
        graph.graph[TIMING] = data["total"]


def _read_json(path: Path):
    if path.stat().st_size > MAX_JSON_BYTES:
        raise InputError(f"{path} must be at most {MAX_JSON_BYTES} bytes, got {path.stat().st_size}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"{path} is not valid JSON ({exc.__class__.__name__})") from None


#: zlib level of the PNGs: 1 encodes a 640 x 480 decomposition's 15 images with 0.28x the CPU time of
#: Pillow's default 6, for files about 20 % larger (lossless either way)
PNG_LEVEL = 1


def _write_png(path: Path, arr: np.ndarray) -> None:
    Image.fromarray(np.ascontiguousarray(arr)).save(path, format="PNG", compress_level=PNG_LEVEL)


def _read_png(root: Path, name: str, field: str, size, mode: str) -> np.ndarray:
    path = inside(root, name, field)
    if not path.is_file():
        raise InputError(f"decomposition file {name!r} is missing from {root}")
    arr = read_rgba8(path, name=f"decomposition file {name!r}", max_size=size, mode=mode)
    if arr.shape[:2] != (size[1], size[0]):
        raise InputError(f"{path} must be {size[0]} x {size[1]} (W x H), got {arr.shape[1]} x {arr.shape[0]}")
    return arr
