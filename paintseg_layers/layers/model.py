"""Amodal object layers and the :class:`Decomposition` of an image into them.

A :class:`Decomposition` is what :func:`paintseg_layers.peel.engine.decompose` returns and what the
compositor reads: object layers ordered front to back, a clean background plate, and an occlusion
graph (a :class:`networkx.DiGraph`, edge ``u -> v`` meaning "u occludes v").

On disk (:meth:`Decomposition.save` / :meth:`Decomposition.load`) it is a folder::

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
(``k / 255``, see :func:`quantize8`; :func:`~paintseg_layers.peel.engine.decompose` returns such values)
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
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import networkx as nx
import numpy as np
from PIL import Image

from paintseg_layers.errors import InputError

#: ``manifest.json`` format tag and version.
FORMAT = "paintseg_layers.decomposition"
VERSION = 1
MANIFEST = "manifest.json"


def quantize8(array: np.ndarray) -> np.ndarray:
    """Round float values in [0, 1] to the 8-bit grid (``k / 255``), as float32.

    Such arrays are stored losslessly by :meth:`Decomposition.save`.
    """
    a = np.clip(np.asarray(array, dtype=np.float32), 0.0, 1.0)
    return (np.floor(a * 255.0 + 0.5).astype(np.uint8)).astype(np.float32) / np.float32(255.0)


def _u8(array: np.ndarray) -> np.ndarray:
    a = np.asarray(array)
    if a.dtype == bool:
        return a.astype(np.uint8) * 255
    return np.floor(np.clip(a.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _check_mask(mask, shape, name) -> np.ndarray:
    m = np.asarray(mask)
    if m.dtype != bool or m.shape != tuple(shape):
        raise InputError(f"`{name}` must be a bool array of shape {tuple(shape)}, got {m.dtype} {m.shape}")
    return m


@dataclass(frozen=True, eq=False)
class Layer:
    """One object of a decomposition.

    Attributes
    ----------
    id : str
        Unique name within the decomposition (used for file names and graph nodes), e.g. ``"obj0"``.
    prompt_index : int
        Position of the object's prompt in the input list (the command line's order), from 0.
    depth : int
        Rank in the front-to-back order, 0 = front-most.
    rgba : (H, W, 4) float32
        The completed appearance at full image size, RGB in [0, 1]; alpha = ``amodal_mask``
        (1 inside, 0 outside). Hidden parts are taken from the painting that uncovered them.
    visible_mask : (H, W) bool
        The pixels of the object that are visible in the input.
    amodal_mask : (H, W) bool
        The object's full extent, hidden parts included (a superset of ``visible_mask``).
    prompt : dict
        The prompt's ``to_dict()``.
    scores : dict
        JSON-ready numbers about the layer (areas, hidden fraction, confidences, seconds).
    """

    id: str
    prompt_index: int
    depth: int
    rgba: np.ndarray
    visible_mask: np.ndarray
    amodal_mask: np.ndarray
    prompt: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.id, str) or not self.id or any(c in self.id for c in "/\\\0") or self.id.startswith("."):
            raise InputError(f"`id` must be a non-empty file-name-safe string, got {self.id!r}")
        rgba = np.asarray(self.rgba)
        if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.float32:
            raise InputError(f"`rgba` must be a float32 array (H, W, 4), got {rgba.dtype} {rgba.shape}")
        _check_mask(self.visible_mask, rgba.shape[:2], "visible_mask")
        _check_mask(self.amodal_mask, rgba.shape[:2], "amodal_mask")

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)``."""
        return self.rgba.shape[:2]

    @property
    def hidden_mask(self) -> np.ndarray:
        """Amodal minus visible: the part that was occluded."""
        return self.amodal_mask & ~self.visible_mask

    def to_dict(self) -> dict:
        """JSON-ready summary (no arrays)."""
        return {
            "id": self.id,
            "prompt_index": int(self.prompt_index),
            "depth": int(self.depth),
            "visible_area": int(self.visible_mask.sum()),
            "amodal_area": int(self.amodal_mask.sum()),
            "prompt": self.prompt,
            "scores": self.scores,
        }


@dataclass(frozen=True, eq=False)
class Decomposition:
    """An image split into amodal object layers, a background plate and an occlusion graph.

    Attributes
    ----------
    layers : tuple of Layer
        Front to back (``layers[i].depth == i``).
    background : (H, W, 3) float32
        The plate with every object removed.
    graph : networkx.DiGraph
        Nodes are layer ids (attributes ``prompt_index``, ``depth``, areas); edge ``u -> v`` means
        "u occludes v" with attributes ``overlap`` (px) and ``confidence`` in [0, 1].
    image_size : (int, int)
        ``(W, H)``.
    seed : int
    backends : dict
        ``{"painter": name, "projector": name}`` (or ``"ground_truth"`` for generated scenes).
    config : dict
        Settings used (JSON-ready).
    image : (H, W, 3) float32 or None
        The input image.
    """

    layers: tuple
    background: np.ndarray
    graph: nx.DiGraph
    image_size: tuple[int, int]
    seed: int = 0
    backends: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    image: np.ndarray | None = None

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "image_size", tuple(int(v) for v in self.image_size))
        w, h = self.image_size
        bg = np.asarray(self.background)
        if bg.shape != (h, w, 3) or bg.dtype != np.float32:
            raise InputError(f"`background` must be float32 of shape {(h, w, 3)}, got {bg.dtype} {bg.shape}")
        if self.image is not None and (self.image.shape != (h, w, 3) or self.image.dtype != np.float32):
            raise InputError(f"`image` must be float32 of shape {(h, w, 3)}, got {self.image.dtype} {self.image.shape}")
        ids = [layer.id for layer in self.layers]
        if len(set(ids)) != len(ids):
            raise InputError(f"layer ids must be unique, got {ids}")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise InputError(f"`layers` must hold Layer objects, got {type(layer).__name__}")
            if layer.shape != (h, w):
                raise InputError(f"layer {layer.id!r} must be {w} x {h} (W x H), got {layer.shape[1]} x {layer.shape[0]}")
            if layer.depth != i:
                raise InputError(f"`layers` must be ordered front to back with depth == position, "
                                 f"got depth {layer.depth} at position {i} ({layer.id!r})")
        if not isinstance(self.graph, nx.DiGraph):
            raise InputError(f"`graph` must be a networkx.DiGraph, got {type(self.graph).__name__}")
        missing = sorted(set(self.graph.nodes) ^ set(ids))
        if missing:
            raise InputError(f"`graph` nodes must be exactly the layer ids {ids}, differing in {missing}")

    # -- access ---------------------------------------------------------------------------------
    @property
    def order(self) -> list[str]:
        """Layer ids front to back."""
        return [layer.id for layer in self.layers]

    def layer(self, key) -> Layer:
        """The layer with id ``key`` (str) or prompt index ``key`` (int)."""
        for layer in self.layers:
            if (isinstance(key, str) and layer.id == key) or (not isinstance(key, str) and layer.prompt_index == key):
                return layer
        raise KeyError(f"no layer {key!r}; ids: {self.order}")

    def composite(self) -> np.ndarray:
        """Re-render: the layers over the background, back to front, ``(H, W, 3)`` float32."""
        out = self.background.copy()
        for layer in reversed(self.layers):
            a = layer.rgba[..., 3:4]
            out = layer.rgba[..., :3] * a + out * (1.0 - a)
        return out.astype(np.float32)

    def to_dict(self) -> dict:
        """JSON-ready summary (no arrays)."""
        return {
            "image_size": list(self.image_size),
            "seed": int(self.seed),
            "backends": dict(self.backends),
            "config": dict(self.config),
            "order": self.order,
            "edges": [[u, v, {k: _jsonable(x) for k, x in d.items()}] for u, v, d in self.graph.edges(data=True)],
            "layers": [layer.to_dict() for layer in self.layers],
        }

    @classmethod
    def from_scene(cls, scene, *, with_image: bool = True) -> Decomposition:
        """The ground-truth decomposition of a generated :class:`~paintseg_layers.eval.scenes.Scene`."""
        from paintseg_layers.eval.scenes import ground_truth_decomposition

        return ground_truth_decomposition(scene, with_image=with_image)

    # -- files -------------------------------------------------------------------------------------
    def manifest(self) -> dict:
        """The ``manifest.json`` content for this decomposition."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "image_size": list(self.image_size),
            "image": "image.png" if self.image is not None else None,
            "background": "background.png",
            "graph": "graph.json",
            "contact_sheet": "contact_sheet.png",
            "seed": int(self.seed),
            "backends": _jsonable(dict(self.backends)),
            "config": _jsonable(dict(self.config)),
            "layers": [
                {
                    "id": layer.id,
                    "prompt_index": int(layer.prompt_index),
                    "depth": int(layer.depth),
                    "rgba": f"{layer.id}.rgba.png",
                    "visible_mask": f"{layer.id}.visible.png",
                    "amodal_mask": f"{layer.id}.amodal.png",
                    "prompt": _jsonable(layer.prompt),
                    "scores": _jsonable(layer.scores),
                }
                for layer in self.layers
            ],
        }

    def save(self, directory, *, overwrite: bool = True, contact_sheet: bool = True) -> Path:
        """Write the decomposition folder atomically (see the module docstring for the layout).

        Parameters
        ----------
        directory : path
            The folder to create. Its parent must exist.
        overwrite : bool
            Replace an existing decomposition folder (one holding ``manifest.json``) or an empty
            folder. Any other existing path is refused.
        contact_sheet : bool
            Also draw ``contact_sheet.png``.

        Raises
        ------
        InputError
            If the parent folder is missing or ``directory`` exists and may not be replaced.
        """
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
        man = self.manifest()
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
        try:
            _write_png(tmp / man["background"], _u8(self.background))
            if self.image is not None:
                _write_png(tmp / man["image"], _u8(self.image))
            for layer, entry in zip(self.layers, man["layers"]):
                _write_png(tmp / entry["rgba"], _u8(layer.rgba))
                _write_png(tmp / entry["visible_mask"], _u8(layer.visible_mask))
                _write_png(tmp / entry["amodal_mask"], _u8(layer.amodal_mask))
            graph_data = nx.node_link_data(self.graph, edges="edges")
            (tmp / man["graph"]).write_text(json.dumps(_jsonable(graph_data), indent=1, sort_keys=True) + "\n")
            if contact_sheet:
                _write_png(tmp / man["contact_sheet"], contact_sheet_image(self))
            else:
                man["contact_sheet"] = None
            (tmp / MANIFEST).write_text(json.dumps(man, indent=1) + "\n")
            os.chmod(tmp, 0o755)
            _swap_into_place(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    @classmethod
    def load(cls, directory) -> Decomposition:
        """Read a folder written by :meth:`save`.

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
            layers.append(Layer(
                id=str(entry["id"]),
                prompt_index=int(entry["prompt_index"]),
                depth=int(entry["depth"]),
                rgba=_read_png(root, entry["rgba"], (h, w), 4).astype(np.float32) / np.float32(255),
                visible_mask=_read_png(root, entry["visible_mask"], (h, w), 1) > 127,
                amodal_mask=_read_png(root, entry["amodal_mask"], (h, w), 1) > 127,
                prompt=entry.get("prompt", {}),
                scores=entry.get("scores", {}),
            ))
        layers.sort(key=lambda layer: layer.depth)
        gpath = root / man["graph"]
        if not gpath.is_file():
            raise InputError(f"{mpath} names graph file {man['graph']!r}, which is missing")
        graph = nx.node_link_graph(json.loads(gpath.read_text()), directed=True, multigraph=False, edges="edges")
        return cls(layers=tuple(layers), background=background, graph=graph, image_size=(w, h),
                   seed=int(man["seed"]), backends=man.get("backends", {}), config=man.get("config", {}), image=image)


# -- helpers ----------------------------------------------------------------------------------------
def _jsonable(x):
    """Convert numpy scalars / tuples inside ``x`` to plain JSON types."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


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


# -- contact sheet ------------------------------------------------------------------------------------
def checkerboard(shape: tuple[int, int], *, square: int = 8) -> np.ndarray:
    """A grey checkerboard ``(H, W, 3)`` float32 to show transparency."""
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    c = (((yy // square) + (xx // square)) % 2).astype(np.float32)
    return np.repeat((0.62 + 0.2 * c)[..., None], 3, axis=2)


def _fit(img: np.ndarray, tile: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = tile / max(h, w)
    small = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    out = np.full((tile, tile, 3), 255, np.uint8)
    y0, x0 = (tile - small.shape[0]) // 2, (tile - small.shape[1]) // 2
    out[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = _u8(small)
    return out


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((18, tile.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text[:40], (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, tile], axis=0)


def draw_graph(graph: nx.DiGraph, order: list[str], *, size: int = 256) -> np.ndarray:
    """Draw the occlusion graph as ``(size, size, 3)`` uint8 (OpenCV, no plotting library).

    Nodes run top (front) to bottom (back); arrows mean "occludes", coloured by confidence.
    """
    img = np.full((size, size, 3), 255, np.uint8)
    n = max(1, len(order))
    pos = {}
    for i, node in enumerate(order):
        # front-most on top; alternate sides so that long edges do not run through nodes
        x = size // 2 + (size // 5) * (1 if i % 2 else -1) * (1 if n > 2 else 0)
        y = int(size * (i + 0.5) / n)
        pos[node] = (x, y)
    r = max(8, min(22, size // (3 * n)))
    for u, v, d in graph.edges(data=True):
        if u not in pos or v not in pos:
            continue
        p, q = np.array(pos[u], float), np.array(pos[v], float)
        vec = q - p
        length = np.linalg.norm(vec) or 1.0
        a = tuple(int(t) for t in p + vec / length * r)
        b = tuple(int(t) for t in q - vec / length * r)
        conf = float(d.get("confidence", 1.0))
        colour = (int(200 * (1 - conf)), 50, int(200 * conf))
        cv2.arrowedLine(img, a, b, colour, 2, cv2.LINE_AA, tipLength=0.15)
        mid = ((a[0] + b[0]) // 2 + 4, (a[1] + b[1]) // 2)
        cv2.putText(img, f"{conf:.2f}", mid, cv2.FONT_HERSHEY_SIMPLEX, 0.35, (50, 50, 50), 1, cv2.LINE_AA)
    for node, (x, y) in pos.items():
        cv2.circle(img, (x, y), r, (242, 217, 140), -1, cv2.LINE_AA)
        cv2.circle(img, (x, y), r, (50, 50, 50), 1, cv2.LINE_AA)
        cv2.putText(img, str(node)[:6], (x - r + 2, y + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
    return img


def contact_sheet_image(decomposition: Decomposition, *, tile: int = 192) -> np.ndarray:
    """One picture: input, each layer on a checkerboard (front to back), background, the graph.

    Returns
    -------
    (H, W, 3) uint8
    """
    d = decomposition
    w, h = d.image_size
    tiles = []
    if d.image is not None:
        tiles.append(_label(_fit(d.image, tile), "input"))
    board = checkerboard((h, w), square=max(4, max(h, w) // 24))
    for layer in d.layers:
        a = layer.rgba[..., 3:4]
        pic = layer.rgba[..., :3] * a + board * (1 - a)
        # outline the visible part so that the hidden (completed) part stands out
        edge = layer.visible_mask & ~(cv2.erode(layer.visible_mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
        pic = pic.copy()
        pic[edge] = (1.0, 0.1, 0.6)
        tiles.append(_label(_fit(pic.astype(np.float32), tile), f"{layer.depth}: {layer.id} (p{layer.prompt_index})"))
    tiles.append(_label(_fit(d.background, tile), "background"))
    tiles.append(_label(draw_graph(d.graph, d.order, size=tile), "occludes ->"))
    cols = min(4, len(tiles))
    rows = -(-len(tiles) // cols)
    th, tw = tiles[0].shape[:2]
    sheet = np.full((rows * (th + 4) + 4, cols * (tw + 4) + 4, 3), 217, np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        sheet[4 + r * (th + 4) : 4 + r * (th + 4) + th, 4 + c * (tw + 4) : 4 + c * (tw + 4) + tw] = t
    return sheet


__all__ = ["Layer", "Decomposition", "quantize8", "contact_sheet_image", "draw_graph", "checkerboard", "FORMAT",
           "VERSION", "MANIFEST"]
