"""Edit scripts (JSON or TOML) that replay a list of :mod:`~paintseg_layers.compose.edits`.

An edit script holds the edits in order::

    # TOML                                  // JSON
    version = 1                             {"version": 1, "edits": [
    [[edits]]                                 {"op": "translate", "layer": "obj0", "dx": 30, "dy": -4},
    op = "translate"                          {"op": "raise", "layer": "obj1"}]}
    layer = "obj0"
    dx = 30
    dy = -4

Operations and their keys (``layer`` is always a layer id):

==============  ================================================================================
``remove``      ``layer``
``translate``   ``layer``, ``dx``, ``dy`` (pixels, may be fractional)
``scale``       ``layer``, ``factor`` (> 0), optional ``center`` [x, y] (default: the layer's box centre)
``flip``        ``layer``, ``axis`` (``"horizontal"`` mirrors left-right, ``"vertical"`` top-bottom)
``raise``       ``layer``, optional ``steps`` (places toward the front; default: to the very front)
``lower``       ``layer``, optional ``steps`` (places toward the back; default: to the very back)
``insert``      ``source`` (decomposition folder), ``layer``, ``x``, ``y`` (where the layer's box
                top-left lands), optional ``id`` (new id), ``depth`` (0 = front-most, the default)
``insert_image`` ``image`` (RGBA picture file), ``x``, ``y`` (its top-left), optional ``id``
                (default ``"inserted"``), ``depth``
==============  ================================================================================

Unknown operations, unknown or missing keys and bad values raise :class:`InputError` naming the
edit's position. Relative paths in a script file are taken relative to the script's folder.
"""


from __future__ import annotations

import json
from dataclasses import MISSING, fields
from pathlib import Path

import tomllib

from paintseg_layers.compose.edits import OPERATIONS
from paintseg_layers.errors import InputError
from paintseg_layers.imageio import write_text

#: Edit-script format version.
SCRIPT_VERSION = 1
# keys that hold file paths, taken relative to the script's folder
_PATH_KEYS = {"insert": "source", "insert_image": "image"}


def _keys(cls) -> tuple[list[str], list[str]]:
    required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    optional = [f.name for f in fields(cls) if f.name not in required]
    return required, optional


def edit_from_dict(data, *, base_dir=None, index: int | None = None):
    """Build one edit from a mapping such as ``{"op": "remove", "layer": "obj1"}``.

    Parameters
    ----------
    data : dict
        ``op`` plus that operation's keys (see the module docstring).
    base_dir : path, optional
        Folder that relative ``source`` / ``image`` paths are taken from.
    index : int, optional
        Position in a script, used in error messages.

    Raises
    ------
    InputError
        On an unknown operation, an unknown or missing key, or a bad value.
    """
    where = "edit" if index is None else f"edit #{index + 1}"
    if not isinstance(data, dict):
        raise InputError(f"{where} must be a table/object with an `op` key, got {type(data).__name__}: {data!r}")
    op = data.get("op")
    if op not in OPERATIONS:
        raise InputError(f"{where}: `op` must be one of {', '.join(OPERATIONS)}, got {op!r}")
    cls = OPERATIONS[op]
    required, optional = _keys(cls)
    where = f"{where} ({op})"
    unknown = sorted(set(data) - {"op"} - set(required) - set(optional))
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
                         f"allowed: {', '.join(required + optional)}")
    missing = [k for k in required if k not in data]
    if missing:
        raise InputError(f"{where}: missing key(s) {', '.join(map(repr, missing))}; required: {', '.join(required)}")
    kwargs = {k: v for k, v in data.items() if k != "op"}
    path_key = _PATH_KEYS.get(op)
    if path_key is not None:
        value = kwargs[path_key]
        if not isinstance(value, str) or not value:
            raise InputError(f"{where}: `{path_key}` must be a file path string, got {value!r}")
        p = Path(value).expanduser()
        if base_dir is not None and not p.is_absolute():
            p = Path(base_dir) / p
        kwargs[path_key] = str(p)
    try:
        return cls(**kwargs)
    except InputError as exc:
        raise InputError(f"{where}: {str(exc).split(': ', 1)[-1]}") from None


def edit_to_dict(edit) -> dict:
    """The JSON/TOML-ready mapping of one edit (``op`` first; defaults left out).

    Raises
    ------
    InputError
        If the edit holds in-memory data (a Decomposition or an array) instead of a path.
    """
    out = {"op": edit.op}
    for f in fields(edit):
        value = getattr(edit, f.name)
        if value is None or (f.name == "depth" and value == 0) or (f.name == "id" and value == "inserted"):
            continue
        if isinstance(value, Path):
            value = str(value)
        if f.name in ("source", "image") and not isinstance(value, str):
            raise InputError(f"{edit.op}: `{f.name}` holds in-memory data; give a path to save it in a script")
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, float) and value.is_integer() and f.name in ("dx", "dy", "x", "y"):
            value = int(value)
        out[f.name] = value
    return out


def parse_edits(data, *, base_dir=None) -> tuple:
    """Validate an edit-script document (``{"version": 1, "edits": [...]}``) into edits.

    Raises
    ------
    InputError
        On an unknown top-level key, a wrong version, or any bad edit.
    """
    if not isinstance(data, dict):
        raise InputError(f"edit script must be a table/object with an `edits` list, got {type(data).__name__}")
    unknown = sorted(set(data) - {"version", "edits"})
    if unknown:
        raise InputError(f"edit script: unknown top-level key(s) {', '.join(map(repr, unknown))}; "
                         "allowed: version, edits")
    version = data.get("version", SCRIPT_VERSION)
    if version != SCRIPT_VERSION:
        raise InputError(f"edit script: `version` must be {SCRIPT_VERSION}, got {version!r}")
    edits = data.get("edits", [])
    if not isinstance(edits, list):
        raise InputError(f"edit script: `edits` must be a list, got {type(edits).__name__}")
    return tuple(edit_from_dict(e, base_dir=base_dir, index=i) for i, e in enumerate(edits))


#: Largest edit script read.
MAX_SCRIPT_BYTES = 4 << 20


def load_edits(path) -> tuple:
    """Read an edit script (``.json`` or ``.toml``); relative paths inside are taken from its folder.

    Raises
    ------
    InputError
        If the file is missing, not valid JSON/TOML, or holds a bad edit.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"`--edits` file not found: {p}")
    suffix = p.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise InputError(f"`--edits` file must end in .json or .toml, got {p.name!r}")
    if p.stat().st_size > MAX_SCRIPT_BYTES:
        raise InputError(f"`--edits` file must be at most {MAX_SCRIPT_BYTES} bytes, got {p.stat().st_size}: {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"`--edits` file is not UTF-8 text: {p}") from None
    try:
        data = json.loads(text) if suffix == ".json" else tomllib.loads(text)
    except RecursionError:
        raise InputError(f"`--edits` file {p} is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"`--edits` file {p} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"`--edits` file {p} is not valid TOML ({exc})") from None
    try:
        return parse_edits(data, base_dir=p.parent)
    except InputError as exc:
        raise InputError(f"{p.name}: {exc}") from None


def _toml_value(value) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def dumps_edits(edits, *, fmt: str = "json") -> str:
    """Serialise edits as an edit-script document in ``"json"`` or ``"toml"``."""
    items = [edit_to_dict(e) for e in edits]
    if fmt == "json":
        return json.dumps({"version": SCRIPT_VERSION, "edits": items}, indent=1) + "\n"
    if fmt == "toml":
        lines = [f"version = {SCRIPT_VERSION}"]
        for item in items:
            lines += ["", "[[edits]]"] + [f"{k} = {_toml_value(v)}" for k, v in item.items()]
        return "\n".join(lines) + "\n"
    raise InputError(f"`fmt` must be 'json' or 'toml', got {fmt!r}")


def save_edits(path, edits) -> Path:
    """Write an edit script atomically; the format follows the suffix (``.json`` or ``.toml``)."""

    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in ("json", "toml"):
        raise InputError(f"edit script file must end in .json or .toml, got {p.name!r}")
    return write_text(p, dumps_edits(edits, fmt=fmt))


__all__ = ["SCRIPT_VERSION", "edit_from_dict", "edit_to_dict", "parse_edits", "load_edits", "dumps_edits", "save_edits"]
