"""Edits a compositor can apply to a decomposition (frozen dataclasses, checked on construction).

Each edit names the layer it acts on by id. Edits apply in order; an inserted layer can be named by
later edits, a removed one cannot. Geometry uses canvas pixel coordinates with the origin at the
top-left corner of the top-left pixel (x right, y down). Edit scripts that replay them are read
and written by :mod:`paintseg_layers.compose.script`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from paintseg_layers.errors import InputError, is_int
from paintseg_layers.layers import is_layer_id

#: Largest scale factor accepted (larger ones are almost always a typo).
MAX_SCALE = 100.0


def _finite(value, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{where}: `{name}` must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"{where}: `{name}` must be a finite number, got {value!r}")
    return v


def _layer_id(value, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}: `layer` must be a layer id (a non-empty string), got {value!r}")
    return value


def _opt_steps(value, where: str) -> int | None:
    if value is None:
        return None
    if not is_int(value, 1):
        raise InputError(f"{where}: `steps` must be an integer >= 1 (or omitted for all the way), got {value!r}")
    return int(value)


def _depth(value, where: str) -> int:
    if not is_int(value, 0):
        raise InputError(f"{where}: `depth` must be an integer >= 0 (0 = front-most), got {value!r}")
    return int(value)


def _new_id(value, where: str) -> str | None:
    if value is None:
        return None
    if not is_layer_id(value):
        raise InputError(f"{where}: `id` must be a non-empty file-name-safe string, got {value!r}")
    return value


@dataclass(frozen=True)
class Remove:
    """Delete a layer; what it covered shows the layers behind it or the background plate."""

    layer: str
    op = "remove"

    def __post_init__(self):
        _layer_id(self.layer, self.op)


@dataclass(frozen=True)
class Translate:
    """Move a layer by ``(dx, dy)`` pixels; parts leaving the canvas are clipped."""

    layer: str
    dx: float
    dy: float
    op = "translate"

    def __post_init__(self):
        _layer_id(self.layer, self.op)
        object.__setattr__(self, "dx", _finite(self.dx, "dx", self.op))
        object.__setattr__(self, "dy", _finite(self.dy, "dy", self.op))


@dataclass(frozen=True)
class Scale:
    """Scale a layer by ``factor`` about ``center`` (default: the centre of its current box)."""

    layer: str
    factor: float
    center: tuple[float, float] | None = None
    op = "scale"

    def __post_init__(self):
        _layer_id(self.layer, self.op)
        f = _finite(self.factor, "factor", self.op)
        if not 0.0 < f <= MAX_SCALE:
            raise InputError(f"{self.op}: `factor` must lie in (0, {MAX_SCALE:g}], got {self.factor!r}")
        object.__setattr__(self, "factor", f)
        if self.center is not None:
            c = self.center
            if isinstance(c, (str, bytes)) or not hasattr(c, "__len__") or len(c) != 2:
                raise InputError(f"{self.op}: `center` must be [x, y], got {c!r}")
            object.__setattr__(
                self, "center", (_finite(c[0], "center[0]", self.op), _finite(c[1], "center[1]", self.op))
            )


@dataclass(frozen=True)
class Flip:
    """Mirror a layer about its box centre: ``"horizontal"`` (left-right) or ``"vertical"``."""

    layer: str
    axis: str = "horizontal"
    op = "flip"

    def __post_init__(self):
        _layer_id(self.layer, self.op)
        if self.axis not in ("horizontal", "vertical"):
            raise InputError(f"{self.op}: `axis` must be 'horizontal' or 'vertical', got {self.axis!r}")


@dataclass(frozen=True)
class _Reorder:
    layer: str
    steps: int | None = None
    op = ""

    def __post_init__(self):
        _layer_id(self.layer, self.op)
        object.__setattr__(self, "steps", _opt_steps(self.steps, self.op))


@dataclass(frozen=True)
class Raise(_Reorder):
    """Bring a layer ``steps`` places toward the front (``None``: in front of every layer)."""

    op = "raise"


@dataclass(frozen=True)
class Lower(_Reorder):
    """Send a layer ``steps`` places toward the back (``None``: behind every layer)."""

    op = "lower"


@dataclass(frozen=True)
class Insert:
    """Copy layer ``layer`` of another decomposition so that its box's top-left lands at ``(x, y)``.

    Attributes
    ----------
    source : str, Path or Decomposition
        The other decomposition, or its folder.
    layer : str
        Layer id in ``source``.
    x, y : float
        Target of the top-left corner of the layer's amodal box, in this canvas.
    id : str, optional
        Id of the new layer; default ``layer``, or ``layer-2``, ``layer-3``... if that is taken.
    depth : int
        Place in the front-to-back order (0 = front-most).
    """

    source: object
    layer: str
    x: float
    y: float
    id: str | None = None
    depth: int = 0
    op = "insert"

    def __post_init__(self):
        _layer_id(self.layer, self.op)
        if not isinstance(self.source, (str, Path)) and not hasattr(self.source, "layers"):
            raise InputError(
                f"{self.op}: `source` must be a decomposition folder or a Decomposition, got {self.source!r}"
            )
        object.__setattr__(self, "x", _finite(self.x, "x", self.op))
        object.__setattr__(self, "y", _finite(self.y, "y", self.op))
        object.__setattr__(self, "id", _new_id(self.id, self.op))
        object.__setattr__(self, "depth", _depth(self.depth, self.op))


@dataclass(frozen=True, eq=False)
class InsertImage:
    """Insert an RGBA picture as a new layer with its top-left corner at ``(x, y)``.

    Attributes
    ----------
    image : str, Path or ndarray
        A picture file (its alpha channel is the layer's alpha; opaque if it has none) or an
        ``(h, w, 4)`` array, uint8 or float in [0, 1].
    x, y : float
        Target of the picture's top-left corner.
    id : str
        Id of the new layer (``-2``, ``-3``... is appended if taken).
    depth : int
        Place in the front-to-back order (0 = front-most).
    """

    image: object
    x: float
    y: float
    id: str = "inserted"
    depth: int = 0
    op = "insert_image"

    def __post_init__(self):
        if isinstance(self.image, np.ndarray):
            if self.image.ndim != 3 or self.image.shape[2] != 4 or min(self.image.shape[:2]) < 1:
                raise InputError(f"{self.op}: `image` array must have shape (h, w, 4), got {self.image.shape}")
        elif not isinstance(self.image, (str, Path)):
            raise InputError(
                f"{self.op}: `image` must be a file path or an (h, w, 4) array, got {type(self.image).__name__}"
            )
        object.__setattr__(self, "x", _finite(self.x, "x", self.op))
        object.__setattr__(self, "y", _finite(self.y, "y", self.op))
        object.__setattr__(self, "id", _new_id(self.id, self.op) or "inserted")
        object.__setattr__(self, "depth", _depth(self.depth, self.op))


Edit = Remove | Translate | Scale | Flip | Raise | Lower | Insert | InsertImage

#: Operation name -> edit class.
OPERATIONS: dict[str, type] = {
    cls.op: cls for cls in (Remove, Translate, Scale, Flip, Raise, Lower, Insert, InsertImage)
}
