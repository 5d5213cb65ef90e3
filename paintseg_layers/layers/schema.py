"""The ``manifest.json`` schema, checked with pydantic before any file the manifest names is opened.

pydantic (v2) gives every rule (types, ranges, required keys, nesting) from one declaration and
reports the failing field's path and received value; hand-written checks missed a dozen cases
(``image_size`` as a string, ``seed`` as a string, ``layers`` as a string, ``null`` everywhere).
File names are confined to the folder: no absolute paths, no ``..``, no symlink leading out.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from paintseg_layers.errors import InputError
from paintseg_layers.imageio import MAX_SIDE

_Side = Annotated[StrictInt, Field(ge=1, le=MAX_SIDE)]
_Count = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
_File = Annotated[StrictStr, Field(min_length=1, max_length=255)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class LayerEntry(_Model):
    """One entry of ``layers``."""

    id: Annotated[StrictStr, Field(min_length=1, max_length=255)]
    prompt_index: _Count
    depth: _Count
    rgba: _File
    visible_mask: _File
    amodal_mask: _File
    prompt: dict[str, Any] = Field(default_factory=dict)
    scores: dict[str, Any] = Field(default_factory=dict)


class Manifest(_Model):
    """The whole ``manifest.json``."""

    image_size: tuple[_Side, _Side]
    image: _File | None = None
    background: _File
    graph: _File
    seed: Annotated[StrictInt, Field(ge=0, lt=2**32)]
    backends: dict[str, Any] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    layers: Annotated[list[LayerEntry], Field(max_length=1000)]


def parse_manifest(data, source) -> Manifest:
    """Validate decoded ``manifest.json`` content.

    Raises
    ------
    InputError
        Naming the first bad field (``layers[0].depth``), what it must be and what it is.
    """
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".") or "manifest"
        got = repr(err.get("input"))
        got = got if len(got) <= 60 else got[:57] + "..."
        raise InputError(f"{source}: field `{where}`: {err['msg'].lower()}, got {got}") from None


def inside(root: Path, name: str, field: str) -> Path:
    """The file ``name`` of the folder ``root``, refused if it would resolve outside the folder."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or PureWindowsPath(name).is_absolute() or ".." in pure.parts or "\\" in name:
        raise InputError(f"{root}: `{field}` must name a file inside the folder, got {name!r}")
    path = root / pure
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        raise InputError(f"{root}: `{field}` {name!r} leads outside the folder (a symlink)") from None
    return path
