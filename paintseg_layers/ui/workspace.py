"""The editor's workspace on disk: uploaded images, decomposition folders and their edit lists.

Layout under the workspace root::

    images/NAME.png          uploaded or imported images (re-encoded as PNG)
    layers/NAME/             decomposition folders (``Decomposition.save``, written atomically)
    edits/NAME.json          the current edit script of ``layers/NAME`` (``save_edits``, atomic)

Every path a request names goes through :meth:`Workspace.resolve`, which refuses absolute paths,
``..`` parts and symlinks that lead outside the root.
"""

from __future__ import annotations

import io
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from paintseg_layers import (
    Decomposition,
    InputError,
    load_edits,
    save_edits,
    write_image,
)
from paintseg_layers.compose.script import edit_from_dict, edit_to_dict

#: Default cap on an upload's size in bytes.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Default cap on an image's pixel count (width x height); larger ones are refused before decoding.
MAX_PIXELS = 12_000_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def safe_name(text: str, *, what: str = "name") -> str:
    """Check that ``text`` is a plain file name (letters, digits, ``._-``, no path parts).

    Raises
    ------
    InputError
        If it is empty, too long, starts with a dot or holds other characters.
    """
    if not isinstance(text, str) or not _NAME.match(text) or ".." in text:
        raise InputError(
            f"`{what}` must be 1-80 letters, digits, '.', '_' or '-' (not starting with '.'), got {text!r}"
        )
    return text


def slug(text: str) -> str:
    """A :func:`safe_name` made from any text (e.g. an uploaded file's stem)."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(str(text)).stem).strip(".-_")[:60]
    return s or "image"


class Workspace:
    """A folder holding the editor's images, decompositions and edit lists.

    Parameters
    ----------
    root : path
        Created if missing.
    max_upload_bytes, max_pixels : int
        Limits on uploaded images.
    """

    def __init__(self, root, *, max_upload_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS):
        self.root = Path(root).expanduser().resolve()
        for sub in ("images", "layers", "edits"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.max_upload_bytes = int(max_upload_bytes)
        self.max_pixels = int(max_pixels)

    # -- paths ---------------------------------------------------------------------------------------
    def resolve(self, relative: str) -> Path:
        """The real path of ``relative`` inside the workspace.

        Raises
        ------
        InputError
            On an absolute path, a ``..`` part, or a path (symlinks followed) outside the root.
        """
        text = str(relative)
        p = Path(text)
        if not text or p.is_absolute() or text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", text):
            raise InputError(f"`path` must be relative to the workspace, got {text!r}")
        if any(part == ".." for part in re.split(r"[\\/]", text)):
            raise InputError(f"`path` must not contain '..', got {text!r}")
        real = (self.root / p).resolve()
        if real != self.root and self.root not in real.parents:
            raise InputError(f"`path` leads outside the workspace (through a symlink?), got {text!r}")
        return real

    def image_path(self, name: str) -> Path:
        p = self.resolve(f"images/{safe_name(name, what='image')}")
        if not p.is_file():
            raise InputError(f"`image` {name!r} is not in the workspace; images: {', '.join(self.images()) or 'none'}")
        return p

    def layers_path(self, name: str, *, exists: bool = True) -> Path:
        p = self.resolve(f"layers/{safe_name(name, what='decomposition')}")
        if exists and not (p / "manifest.json").is_file():
            raise InputError(f"`decomposition` {name!r} is not in the workspace; "
                             f"decompositions: {', '.join(self.decompositions()) or 'none'}")
        return p

    # -- listing -------------------------------------------------------------------------------------
    def images(self) -> list[str]:
        return sorted(
            p.name for p in (self.root / "images").glob("*.png") if p.is_file() and not p.name.startswith(".")
        )

    def decompositions(self) -> list[str]:
        return sorted(p.name for p in (self.root / "layers").iterdir()
                      if (p / "manifest.json").is_file() and not p.name.startswith("."))

    def unique(self, folder: str, stem: str, suffix: str = "") -> str:
        """A name ``stem``, ``stem-2``, ``stem-3``... not yet taken in ``folder``."""
        stem = safe_name(slug(stem))
        name, k = f"{stem}{suffix}", 1
        while (self.root / folder / name).exists():
            k += 1
            name = f"{stem}-{k}{suffix}"
        return name

    # -- images --------------------------------------------------------------------------------------
    def check_image_bytes(self, data: bytes) -> np.ndarray:
        """Decode an uploaded image after checking its byte size and its pixel count (from the header).

        Returns
        -------
        ndarray, shape (H, W, 3), uint8

        Raises
        ------
        InputError
            Too many bytes, too many pixels (checked before decoding: a decompression bomb is refused
            unread), or not an image.
        """
        if len(data) > self.max_upload_bytes:
            raise InputError(f"upload must be at most {self.max_upload_bytes} bytes, got {len(data)}")
        if not data:
            raise InputError("upload is empty (0 bytes)")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit decides below
                img = Image.open(io.BytesIO(data))
            with img:
                w, h = img.size
                if w * h > self.max_pixels:
                    raise InputError(f"image must have at most {self.max_pixels} pixels, got {w} x {h} = {w * h}")
                img.load()
                rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
        except InputError:
            raise
        except Image.DecompressionBombError:
            raise InputError(f"image must have at most {self.max_pixels} pixels (decompression bomb refused)") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise InputError(
                f"upload is not a readable image (PNG, JPEG, WebP, TIFF...): {exc.__class__.__name__}"
            ) from None
        return rgb

    def add_image(self, data: bytes, filename: str) -> str:
        """Store an uploaded image as ``images/NAME.png`` (atomic; NAME from the file name, made safe);
        returns NAME.png. An identical picture already stored under that name is reused."""
        rgb = self.check_image_bytes(data)
        same = self.root / "images" / f"{slug(filename)}.png"
        if same.is_file():  # the same picture again (e.g. `paintseg ui IMAGE` run twice) keeps its name
            with Image.open(same) as old:
                if old.size == (rgb.shape[1], rgb.shape[0]) and np.array_equal(np.asarray(old.convert("RGB")), rgb):
                    return same.name
        name = self.unique("images", slug(filename), ".png")
        write_image(self.root / "images" / name, rgb)
        return name

    def import_image(self, path) -> str:
        """Copy an image file from anywhere into the workspace (used by ``paintseg ui IMAGE``)."""
        return self.add_image(Path(path).read_bytes(), Path(path).name)

    def import_layers(self, folder) -> str:
        """Copy a decomposition folder into the workspace (used by ``paintseg ui LAYER_DIR``)."""
        dec = Decomposition.load(folder)
        name = self.unique("layers", Path(folder).resolve().name)
        dec.save(self.root / "layers" / name)
        src = Path(folder) / "edits.json"
        if src.is_file():
            shutil.copyfile(src, self.root / "edits" / f"{name}.json")
        return name

    # -- edits ---------------------------------------------------------------------------------------
    def edits_path(self, name: str) -> Path:
        return self.resolve(f"edits/{safe_name(name, what='decomposition')}.json")

    def save_edits(self, name: str, edits) -> None:
        save_edits(self.edits_path(name), edits)

    def load_edits(self, name: str) -> tuple:
        p = self.edits_path(name)
        return load_edits(p) if p.is_file() else ()

    # -- edits as the page sends them: ``insert`` names a decomposition of the workspace -------------
    def edits_from_page(self, items) -> tuple:
        """Edits from the page's JSON list; an ``insert``'s ``source`` is a workspace decomposition name.

        Raises
        ------
        InputError
            On a malformed list or edit, or a ``source`` that is not in the workspace.
        """
        if not isinstance(items, list):
            raise InputError(f"`edits` must be a list of edits, got {type(items).__name__}")
        out = []
        for i, item in enumerate(items):
            if isinstance(item, dict) and item.get("op") == "insert":
                item = dict(item)
                item["source"] = str(self.layers_path(item.get("source")))
            out.append(edit_from_dict(item, index=i))
        return tuple(out)

    def edits_to_page(self, edits) -> list[dict]:
        """The inverse of :meth:`edits_from_page`."""
        out = []
        for e in edits:
            d = edit_to_dict(e)
            if "source" in d and e.op == "insert":
                d["source"] = Path(d["source"]).name
            out.append(d)
        return out
