"""What a batch works on: the list of images and the prompts file.

``INPUT`` is a folder (its image files, sorted by name, not recursive) or a text file of image
paths, one per line (``#`` starts a comment; relative paths are relative to the text file's folder).

The prompts file is JSON Lines, one image per line (blank lines and lines starting with ``#`` are
ignored)::

    {"image": "flower.jpg", "objects": [{"box": [x0, y0, x1, y1]},
                                        {"points": [[x, y], ...], "neg_points": [[x, y], ...]},
                                        {"mask": "masks/flower_obj2.png"}]}

``image`` is the image's file name (or a path relative to the prompts file's folder); each entry
of ``objects`` is one object: a box (pixels, ``x1, y1`` exclusive), clicks on it (and optionally
off it), or a coarse mask file (non-zero = object; relative to the prompts file's folder).
``segment`` and ``remove`` use exactly one object per image, ``decompose`` one layer per object.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from paintseg_layers.errors import InputError
from paintseg_layers.prompts import json_box, json_points

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

#: Keys an object entry may hold (exactly one of the first three).
OBJECT_KINDS = ("box", "points", "mask")


@dataclass(frozen=True)
class Item:
    """One image of a batch.

    Attributes
    ----------
    name : str
        The image's file stem: names its outputs and its record.
    path : Path
        The image file.
    objects : tuple of dict or None
        Its prompts as read from the prompts file (mask paths made absolute); None when the file
        has no line for it.
    """

    name: str
    path: Path
    objects: tuple | None = None

    def to_dict(self) -> dict:
        """JSON-ready form (what is sent to a worker)."""
        return {
            "name": self.name,
            "path": str(self.path),
            "objects": None if self.objects is None else list(self.objects),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Item:
        objects = data.get("objects")
        return cls(data["name"], Path(data["path"]), None if objects is None else tuple(objects))


def list_images(source) -> list[Path]:
    """The image files named by ``source``: a folder, or a text file of paths.

    Raises
    ------
    InputError
        If ``source`` is missing, is an image itself, or names no image.
    """
    src = Path(source)
    if src.is_dir():
        paths = sorted(p for p in src.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    elif src.is_file():
        if src.suffix.lower() in IMAGE_SUFFIXES:
            raise InputError(f"`INPUT` must be a folder of images or a text file of paths, got an image: {src}")
        try:
            lines = src.read_text().splitlines()
        except UnicodeDecodeError:
            raise InputError(
                f"`INPUT` must be a folder or a text file of image paths, got a binary file: {src}"
            ) from None
        paths = []
        for line in lines:
            text = line.split("#", 1)[0].strip()
            if text:
                p = Path(text).expanduser()
                paths.append(p if p.is_absolute() else src.parent / p)
    else:
        raise InputError(f"`INPUT` must be a folder of images or a text file of paths, got a missing path: {src}")
    if not paths:
        raise InputError(f"`INPUT` names no image files ({', '.join(IMAGE_SUFFIXES)}): {src}")
    return paths


def _check_object(obj, where: str, root: Path) -> dict:
    if not isinstance(obj, dict):
        raise InputError(f'{where}: each object must be a JSON object such as {{"box": [x0, y0, x1, y1]}}, got {obj!r}')
    kinds = [k for k in OBJECT_KINDS if k in obj]
    unknown = sorted(set(obj) - set(OBJECT_KINDS) - {"neg_points"})
    if len(kinds) != 1 or unknown:
        raise InputError(f"{where}: each object needs exactly one of {list(OBJECT_KINDS)} (plus optional "
                         f"'neg_points'), got keys {sorted(obj)}")
    kind = kinds[0]
    try:
        if kind == "box":
            return {"box": list(json_box(obj["box"]))}
        if kind == "points":
            return {"points": [list(p) for p in json_points(obj["points"], at_least=1)],
                    "neg_points": [list(p) for p in json_points(obj.get("neg_points", []), "neg_points")]}
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    if "neg_points" in obj:
        raise InputError(f"{where}: `neg_points` goes with `points` only, got it beside `{kind}`")
    mask = obj["mask"]
    if not isinstance(mask, str) or not mask:
        raise InputError(f"{where}: `mask` must be a file path, got {mask!r}")
    p = Path(mask).expanduser()
    return {"mask": str(p if p.is_absolute() else (root / p).resolve())}


def read_prompts(path) -> dict:
    """Read a prompts file; returns ``{image key: objects}`` (see the module docstring).

    Keys are the ``image`` values: a file name, or a resolved path when it holds a folder part.

    Raises
    ------
    InputError
        On a malformed line (naming the file and the line), or an image listed twice.
    """
    src = Path(path)
    if not src.is_file():
        raise InputError(f"`--prompts` must be a JSON Lines file, got a missing path: {src}")
    table: dict = {}
    for n, line in enumerate(src.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{src}:{n}"
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg}); expected "
                             '{"image": NAME, "objects": [{"box": [x0, y0, x1, y1]}, ...]}') from None
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("image"), str)
            or not isinstance(entry.get("objects"), list)
        ):
            raise InputError(
                f'{where}: each line must be {{"image": NAME, "objects": [...]}}, got {line.strip()[:80]!r}'
            )
        unknown = sorted(set(entry) - {"image", "objects"})
        if unknown:
            raise InputError(f"{where}: unknown key(s) {unknown}; known: ['image', 'objects']")
        key = entry["image"]
        if "/" in key or "\\" in key:
            key = str((src.parent / key).resolve())
        if key in table:
            raise InputError(f"{where}: image {entry['image']!r} is listed twice")
        table[key] = tuple(_check_object(o, f"{where} object {i}", src.parent) for i, o in enumerate(entry["objects"]))
    return table


def make_items(source, prompts_file=None) -> list[Item]:
    """The batch's items: every image of ``source`` with its prompts from ``prompts_file``.

    Raises
    ------
    InputError
        If two images share a file stem (their outputs would collide).
    """
    paths = list_images(source)
    seen: dict = {}
    for p in paths:
        if p.stem in seen:
            raise InputError(
                f"two images share the name {p.stem!r} (their outputs would collide): {seen[p.stem]} and {p}"
            )
        seen[p.stem] = p
    table = read_prompts(prompts_file) if prompts_file is not None else {}
    items = []
    for p in paths:
        objects = table.get(p.name, table.get(str(p.resolve())))
        items.append(Item(p.stem, p.absolute(), objects))  # absolute: workers may run elsewhere
    return items


def file_sha256(path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def prompts_sha256(objects) -> str:
    """Hash of an item's prompts, mask files by content (so an edited mask file counts as new)."""
    if objects is None:
        return "none"
    canon = []
    for obj in objects:
        if "mask" in obj:
            p = Path(obj["mask"])
            canon.append({"mask": file_sha256(p) if p.is_file() else f"missing:{p}"})
        else:
            canon.append(obj)
    return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()[:16]
