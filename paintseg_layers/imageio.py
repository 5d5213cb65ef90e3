"""Image and mask files: the one guarded door through which pictures enter and leave the library.

Inside the library images are ``(H, W, 3)`` float32 RGB in [0, 1] and masks ``(H, W)`` bool.
Everything read from disk is converted here: grayscale, RGBA (composited over white is *not*
done -- alpha is dropped), palette, 16-bit and EXIF-rotated files all come out as RGB.
Writes are atomic: a temporary file in the same folder is renamed over the target.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from paintseg_layers.errors import InputError
from paintseg_layers.image import as_mask, as_rgb, to_uint8

Image.MAX_IMAGE_PIXELS = 200_000_000  # allow big photos, still refuse decompression bombs

#: Largest image side accepted at all (the work itself runs at a working resolution).
MAX_SIDE = 20_000


def _open(path, name: str) -> Image.Image:
    p = Path(path)
    if not p.exists():
        raise InputError(f"`{name}` file not found: {p}")
    if p.is_dir():
        raise InputError(f"`{name}` must be an image file, got a directory: {p}")
    try:
        with Image.open(p) as src:
            src.load()
            if max(src.size) > MAX_SIDE:
                raise InputError(
                    f"`{name}` must be at most {MAX_SIDE} px on its long side, got {src.size[0]} x {src.size[1]}"
                )
            img = ImageOps.exif_transpose(src)  # a new, detached image with the orientation applied
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"`{name}` is not a readable image: {p} ({exc.__class__.__name__})") from None
    except Image.DecompressionBombError:
        raise InputError(f"`{name}` is too large to read safely: {p}") from None
    return img


def read_image(path, *, name: str = "image") -> np.ndarray:
    """Read an image file as ``(H, W, 3)`` float32 RGB in [0, 1], EXIF orientation applied."""
    img = _open(path, name)
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 or img.mode.startswith("I;16") else 255.0
        return as_rgb(np.clip(arr / top, 0, 1).astype(np.float32), name=name)
    if img.mode == "F":
        return as_rgb(np.asarray(img, dtype=np.float32), name=name)
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


def read_mask(path, *, shape: tuple[int, int] | None = None, name: str = "mask") -> np.ndarray:
    """Read a mask file (any non-zero pixel = inside; RGBA masks use alpha when the RGB is empty)."""
    img = _open(path, name)
    if img.mode in ("RGBA", "LA", "PA"):
        arr = np.asarray(img.convert("RGBA"))
        grey = arr[..., :3].max(axis=2)
        arr = grey if grey.any() else arr[..., 3]
    elif img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img)
    else:
        arr = np.asarray(img.convert("L"))
    return as_mask(arr, shape=shape, name=name)


def read_rgba(path, *, name: str = "image") -> np.ndarray:
    """Read a picture with transparency as ``(H, W, 4)`` float32 straight RGBA in [0, 1] (opaque when it has none)."""
    return np.asarray(_open(path, name).convert("RGBA"), dtype=np.float32) / np.float32(255.0)


def read_label_map(path, *, shape: tuple[int, int] | None = None, name: str = "scribble") -> np.ndarray:
    """Read an 8-bit label map (e.g. a trimap-style scribble) as uint8 ``(H, W)``."""
    arr = np.asarray(_open(path, name).convert("L"))
    if shape is not None and arr.shape != tuple(shape):
        raise InputError(
            f"`{name}` must match the image size {shape[1]} x {shape[0]} (W x H), got {arr.shape[1]} x {arr.shape[0]}"
        )
    return arr


@contextlib.contextmanager
def atomic_path(path, *, suffix: str | None = None):
    """Yield a temporary path beside ``path``; rename it over ``path`` only if the block succeeds."""
    target = Path(path)
    if target.parent and not target.parent.exists():
        raise InputError(f"output folder does not exist: {target.parent}")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix or ".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_image(path, image: np.ndarray, *, quality: int | None = None) -> Path:
    """Write an RGB(A) float/uint8 image or a bool mask as PNG/JPEG, atomically (``quality``: JPEG/WebP only)."""
    arr = to_uint8(image)
    target = Path(path)
    fmt = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}.get(
        target.suffix.lower()
    )
    if fmt is None:
        raise InputError(f"output file must end in .png, .jpg, .tif or .webp, got {target.name!r}")
    if fmt == "JPEG" and arr.ndim == 3 and arr.shape[2] == 4:
        raise InputError(f"JPEG cannot store transparency; write {target.with_suffix('.png').name} instead")
    with atomic_path(target) as tmp:
        Image.fromarray(arr).save(tmp, format=fmt, **({"quality": int(quality)} if quality is not None else {}))
    return target


def write_text(path, text: str) -> Path:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)
    return Path(path)
