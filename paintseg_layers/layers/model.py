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
from paintseg_layers.jsonable import jsonable
from paintseg_layers.layers import folder


def quantize8(array: np.ndarray) -> np.ndarray:
    """Round float values in [0, 1] to the 8-bit grid (``k / 255``), as float32.

    Such arrays are stored losslessly by :meth:`Decomposition.save`.
    """
    a = np.clip(np.asarray(array, dtype=np.float32), 0.0, 1.0)
    return (np.floor(a * 255.0 + 0.5).astype(np.uint8)).astype(np.float32) / np.float32(255.0)


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
        if not is_layer_id(self.id):
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
