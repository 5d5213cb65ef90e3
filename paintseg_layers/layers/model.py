"""Amodal object layers and the :class:`Decomposition` of an image into them: the data model.

A :class:`Decomposition` is what :func:`paintseg_layers.peel.decompose` returns and what the
compositor reads: object layers ordered front to back, a clean background plate, and an occlusion
graph (a :class:`networkx.DiGraph`, edge ``u -> v`` meaning "u occludes v"). Its folder on disk
(:meth:`Decomposition.save` / :meth:`Decomposition.load`) is described in :mod:`paintseg_layers.layers.folder`.

Pixel values on the 8-bit grid (``k / 255``, see :func:`quantize8`; :func:`~paintseg_layers.peel.decompose`
returns such values) survive a save/load round trip bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

from paintseg_layers.errors import InputError
from paintseg_layers.image import to_uint8
from paintseg_layers.jsonable import jsonable
from paintseg_layers.layers import folder
from paintseg_layers.masks import bbox


def quantize8(array: np.ndarray) -> np.ndarray:
    """Round float values in [0, 1] to the 8-bit grid (``k / 255``), as float32.

    Such arrays are stored losslessly by :meth:`Decomposition.save`.
    """
    a = np.clip(np.asarray(array, dtype=np.float32), 0.0, 1.0)
    return (np.floor(a * 255.0 + 0.5).astype(np.uint8)).astype(np.float32) / np.float32(255.0)


class Grid8:
    """Data descriptor for an image field of a frozen dataclass: 8-bit pixels are kept as uint8.

    Setting the field accepts a uint8 array or a float32 array in [0, 1]; float values on the 8-bit grid
    (``k / 255``, what :func:`quantize8` gives) are kept as uint8, losslessly and four times smaller,
    other float values as given. With ``crop``, a uint8 image is kept as the box of its non-zero pixels
    (a layer's RGBA is zero outside its alpha box), so a small object of a large photo costs its own size.
    Reading the field always gives float32 in [0, 1] (a new full-size array unless stored as float32);
    ``<name>8`` gives uint8. A 6000 x 4500 layer covering a tenth of the photo thus holds about 11 MB
    instead of 432 MB. ``optional`` fields accept None.
    """

    def __init__(self, channels: int, *, optional: bool = False, crop: bool = False):
        self.channels = channels
        self.optional = optional
        self.crop = crop

    def __set_name__(self, owner, name):
        self.name = name
        self.slot = f"_{name}_store"

        def as_uint8(obj):
            arr = self._stored(obj)
            return arr if arr is None or arr.dtype == np.uint8 else to_uint8(arr)

        setattr(owner, f"{name}8", property(as_uint8, doc=f"``{name}`` as uint8 (0-255)."))

    def __get__(self, obj, owner=None):
        if obj is None:  # dataclasses look here for the default: None for optional fields, else none
            if self.optional:
                return None
            raise AttributeError(self.name)
        arr = self._stored(obj)
        if arr is None or arr.dtype == np.float32:
            return arr
        return arr.astype(np.float32) / np.float32(255.0)

    def _stored(self, obj):
        arr = obj.__dict__[self.slot]
        if isinstance(arr, _Cropped):
            return arr.full()
        return arr

    def __set__(self, obj, value):
        if value is None and self.optional:
            obj.__dict__[self.slot] = None
            return
        arr = np.asarray(value)
        if arr.ndim != 3 or arr.shape[2] != self.channels or arr.dtype not in (np.float32, np.uint8):
            raise InputError(f"`{self.name}` must be a float32 or uint8 array (H, W, {self.channels}), "
                             f"got {arr.dtype} {arr.shape}")
        if arr.dtype == np.float32:
            q = to_uint8(arr)  # float values already on the 8-bit grid are kept as uint8 (lossless)
            if np.array_equal(q.astype(np.float32) / np.float32(255.0), arr):
                arr = q
        if self.crop and arr.dtype == np.uint8:
            arr = _Cropped.of(arr)
        obj.__dict__[self.slot] = arr

    def shape(self, obj) -> tuple | None:
        arr = obj.__dict__[self.slot]
        return None if arr is None else arr.shape


class _Cropped:
    """A uint8 image stored as its box of non-zero pixels (all else is zero): layers cover a part of the canvas."""

    __slots__ = ("shape", "box", "pixels")

    def __init__(self, shape, box, pixels):
        self.shape, self.box, self.pixels = shape, box, pixels

    @classmethod
    def of(cls, arr: np.ndarray):
        if arr.shape[2] == 4 and arr.flags.c_contiguous:  # one uint32 per pixel: ~10x faster than any(axis=2)
            filled = arr.view(np.uint32)[..., 0] != 0
        else:
            filled = arr.any(axis=2)
        box = bbox(filled) or (0, 0, 0, 0)
        x0, y0, x1, y1 = box
        if (x1 - x0) * (y1 - y0) > 0.75 * arr.shape[0] * arr.shape[1]:
            return arr
        return cls(arr.shape, box, arr[y0:y1, x0:x1].copy())

    @property
    def dtype(self):
        return self.pixels.dtype

    def full(self) -> np.ndarray:
        out = np.zeros(self.shape, self.pixels.dtype)
        x0, y0, x1, y1 = self.box
        out[y0:y1, x0:x1] = self.pixels
        return out


def _check_mask(mask, shape, name) -> np.ndarray:
    m = np.asarray(mask)
    if m.dtype != bool or m.shape != tuple(shape):
        raise InputError(f"`{name}` must be a bool array of shape {tuple(shape)}, got {m.dtype} {m.shape}")
    return m


def is_layer_id(value) -> bool:
    """Whether ``value`` can name a layer: a non-empty string usable as a file name (no '/', '\\', NUL, leading '.')."""
    return isinstance(value, str) and bool(value) and not any(c in value for c in "/\\\0") and not value.startswith(".")


def visible_masks(amodal_masks) -> list[np.ndarray]:
    """Visible masks of layers stacked front to back: each amodal mask minus the amodal masks in front of it."""
    out = []
    covered = None
    for amodal in amodal_masks:
        out.append(amodal.copy() if covered is None else amodal & ~covered)
        covered = amodal.copy() if covered is None else covered | amodal
    return out


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
        May be given as uint8 (the 8-bit grid), which is how :func:`~paintseg_layers.peel.decompose`
        stores it (a quarter of the memory); reading ``rgba`` always gives float32, ``rgba8`` uint8.
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
    rgba: np.ndarray = Grid8(4, crop=True)
    visible_mask: np.ndarray
    amodal_mask: np.ndarray
    prompt: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)

    def __post_init__(self):
        if not is_layer_id(self.id):
            raise InputError(f"`id` must be a non-empty file-name-safe string, got {self.id!r}")
        _check_mask(self.visible_mask, self.shape, "visible_mask")
        _check_mask(self.amodal_mask, self.shape, "amodal_mask")

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)``."""
        return Layer.__dict__["rgba"].shape(self)[:2]

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
        The plate with every object removed (may be given as uint8; ``background8`` reads it as uint8).
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
        The input image (may be given as uint8; ``image8`` reads it as uint8).
    """

    layers: tuple
    background: np.ndarray = Grid8(3)
    graph: nx.DiGraph
    image_size: tuple[int, int]
    seed: int = 0
    backends: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    image: np.ndarray | None = Grid8(3, optional=True)

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "image_size", tuple(int(v) for v in self.image_size))
        w, h = self.image_size
        for name in ("background", "image"):
            got = Decomposition.__dict__[name].shape(self)
            if got is not None and got != (h, w, 3):
                raise InputError(f"`{name}` must be of shape {(h, w, 3)}, got {got}")
        ids = [layer.id for layer in self.layers]
        if len(set(ids)) != len(ids):
            raise InputError(f"layer ids must be unique, got {ids}")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise InputError(f"`layers` must hold Layer objects, got {type(layer).__name__}")
            if layer.shape != (h, w):
                raise InputError(f"layer {layer.id!r} must be {w} x {h} (W x H), "
                                 f"got {layer.shape[1]} x {layer.shape[0]}")
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

    def to_dict(self) -> dict:
        """JSON-ready summary (no arrays)."""
        return {
            "image_size": list(self.image_size),
            "seed": int(self.seed),
            "backends": dict(self.backends),
            "config": dict(self.config),
            "order": self.order,
            "edges": [[u, v, {k: jsonable(x) for k, x in d.items()}] for u, v, d in self.graph.edges(data=True)],
            "layers": [layer.to_dict() for layer in self.layers],
        }

    def save(self, directory, *, overwrite: bool = True, contact_sheet: bool = True) -> Path:
        """Write the decomposition folder atomically (see the module docstring for the layout).

        Parameters
        ----------
        directory : path
            The folder to create (missing parent folders are created).
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
        return folder.write(self, directory, overwrite=overwrite, contact_sheet=contact_sheet)

    @classmethod
    def load(cls, directory) -> Decomposition:
        """Read a folder written by :meth:`save`.

        Raises
        ------
        InputError
            If the folder, its manifest or a file it names is missing or malformed.
        """
        data = folder.read(directory)
        layers = tuple(Layer(**entry) for entry in data.pop("layers"))
        return cls(layers=layers, **data)
