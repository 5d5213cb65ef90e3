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

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from paintseg_layers.errors import InputError
from paintseg_layers.graph import from_json, to_json
from paintseg_layers.image import to_uint8
from paintseg_layers.jsonable import jsonable
from paintseg_layers.viz import contact_sheet_image

#: ``manifest.json`` format tag and version.
FORMAT = "paintseg_layers.decomposition"
VERSION = 1
MANIFEST = "manifest.json"


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
                "scores": jsonable(layer.scores),
            }
            for layer in decomposition.layers
        ],
    }



def write(decomposition, directory, *, overwrite: bool = True, contact_sheet: bool = True) -> Path:
    """Write ``decomposition``'s folder atomically; see :meth:`~paintseg_layers.layers.Decomposition.save`."""
    target = Path(directory)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"output folder's parent does not exist: {parent}")
    if target.exists():
        if not target.is_dir():
            raise InputError(f"`directory` must be a folder path, got an existing file: {target}")
        replaceable = not any(target.iterdir()) or (target / MANIFEST).is_file()
        if not overwrite or not replaceable:
            raise InputError(f"`directory` exists and is not an empty folder or a decomposition: {target}")
    man = manifest(decomposition)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    try:
        _write_png(tmp / man["background"], to_uint8(decomposition.background))
        if decomposition.image is not None:
            _write_png(tmp / man["image"], to_uint8(decomposition.image))
        for layer, entry in zip(decomposition.layers, man["layers"]):
            _write_png(tmp / entry["rgba"], to_uint8(layer.rgba))
            _write_png(tmp / entry["visible_mask"], to_uint8(layer.visible_mask))
            _write_png(tmp / entry["amodal_mask"], to_uint8(layer.amodal_mask))
        (tmp / man["graph"]).write_text(to_json(decomposition.graph))
        if contact_sheet:
            _write_png(tmp / man["contact_sheet"], contact_sheet_image(decomposition))
        else:
            man["contact_sheet"] = None
        (tmp / MANIFEST).write_text(json.dumps(man, indent=1) + "\n")
        os.chmod(tmp, 0o755)
        _swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def read(directory) -> dict:
    """Read a layer folder into the keyword arguments of ``Decomposition`` (``layers``: a list of ``Layer`` kwargs).

    Raises
    ------
    InputError
        If the folder, its manifest or a file it names is missing or malformed.
    """
    root = Path(directory)
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise InputError(f"`directory` must be a decomposition folder holding {MANIFEST}, got {root}")
    try:
        man = json.loads(mpath.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{mpath} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    for key in ("image_size", "background", "graph", "seed", "layers"):
        if key not in man:
            raise InputError(f"{mpath} must have a {key!r} entry; it has {sorted(man)}")
    w, h = (int(v) for v in man["image_size"])
    background = _read_png(root, man["background"], (h, w), 3).astype(np.float32) / np.float32(255)
    image = None
    if man.get("image"):
        image = _read_png(root, man["image"], (h, w), 3).astype(np.float32) / np.float32(255)
    layers = []
    for entry in man["layers"]:
        for key in ("id", "prompt_index", "depth", "rgba", "visible_mask", "amodal_mask"):
            if key not in entry:
                raise InputError(f"{mpath}: every layer needs {key!r}; layer {entry.get('id', '?')!r} lacks it")
        layers.append(dict(
            id=str(entry["id"]),
            prompt_index=int(entry["prompt_index"]),
            depth=int(entry["depth"]),
            rgba=_read_png(root, entry["rgba"], (h, w), 4).astype(np.float32) / np.float32(255),
            visible_mask=_read_png(root, entry["visible_mask"], (h, w), 1) > 127,
            amodal_mask=_read_png(root, entry["amodal_mask"], (h, w), 1) > 127,
            prompt=entry.get("prompt", {}),
            scores=entry.get("scores", {}),
        ))
    layers.sort(key=lambda layer: layer["depth"])
    gpath = root / man["graph"]
    if not gpath.is_file():
        raise InputError(f"{mpath} names graph file {man['graph']!r}, which is missing")
    graph = from_json(gpath.read_text())
    return {"layers": layers, "background": background, "graph": graph, "image_size": (w, h),
            "seed": int(man["seed"]), "backends": man.get("backends", {}), "config": man.get("config", {}),
            "image": image}


def _write_png(path: Path, arr: np.ndarray) -> None:
    Image.fromarray(np.ascontiguousarray(arr)).save(path, format="PNG")


def _read_png(root: Path, name: str, shape, channels: int) -> np.ndarray:
    path = root / name
    if not path.is_file():
        raise InputError(f"decomposition file {name!r} is missing from {root}")
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[channels]
    with Image.open(path) as img:
        arr = np.asarray(img.convert(mode))
    if arr.shape[:2] != tuple(shape):
        raise InputError(f"{path} must be {shape[1]} x {shape[0]} (W x H), got {arr.shape[1]} x {arr.shape[0]}")
    return arr


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an existing ``target`` is moved aside first and deleted after."""
    if not target.exists():
        os.replace(tmp, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=tmp.parent))
    old.rmdir()
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
