"""Image and mask files: the one guarded door through which pictures enter and leave the library.

Inside the library images are ``(H, W, 3)`` float32 RGB in [0, 1] and masks ``(H, W)`` bool.
Everything read from disk is converted here: grayscale, RGBA (composited over white is *not*
done -- alpha is dropped), palette, 16-bit and EXIF-rotated files all come out as RGB.
Writes are atomic: a temporary file in the same folder is renamed over the target.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from paintseg_layers.errors import InputError
from paintseg_layers.image import as_mask, as_rgb, to_uint8

Image.MAX_IMAGE_PIXELS = 200_000_000  # allow big photos, still refuse decompression bombs

#: Largest image side accepted at all (the work itself runs at a working resolution).
MAX_SIDE = 20_000
#: Most pixels in one image (48 MP: a float32 RGB copy is 0.6 GB); checked on the header, before decoding.
MAX_PIXELS = 48_000_000
#: Smallest side and most elongated aspect ratio of an image to segment.
MIN_SIDE = 8
MAX_ASPECT = 20


def _open(source, name: str, max_size: tuple[int, int] | None = None) -> Image.Image:
    """Open, size-check *before* decoding, then decode; every failure is one :class:`InputError`."""
    label = f"`{name}`" if " " not in name else name  # an argument name, or a description of the input
    if isinstance(source, (bytes, bytearray)):
        opener, where = (lambda: Image.open(io.BytesIO(source))), label
    else:
        p = Path(source)
        if not p.exists():
            raise InputError(f"`{name}` file not found: {p}")
        if p.is_dir():
            raise InputError(f"`{name}` must be an image file, got a directory: {p}")
        if not p.is_file():  # a FIFO or a device (/dev/zero) would block or never end
            raise InputError(f"`{name}` must be a regular image file, got a special file: {p}")
        opener, where = (lambda: Image.open(p)), f"{label} {p}"
    try:
        with opener() as src:
            w, h = src.size  # declared in the header; nothing is decoded yet
            check_pixels(w, h, name=where, max_size=max_size)
            src.load()
            img = ImageOps.exif_transpose(src)  # a new, detached image with the orientation applied
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise InputError(f"{where} is too large to read safely (more than {Image.MAX_IMAGE_PIXELS} px)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        reason = "truncated" if "truncated" in str(exc) else exc.__class__.__name__
        raise InputError(f"{where} is not a readable image ({reason})") from None
    return img


def check_pixels(width: int, height: int, *, name: str, max_size: tuple[int, int] | None = None) -> None:
    """Refuse a declared image size before any pixel is decoded.

    Parameters
    ----------
    width, height : int
        Size declared by the file header.
    name : str
        What the image is, for the message.
    max_size : tuple of int, optional
        ``(W, H)`` bound (e.g. the canvas); by default :data:`MAX_SIDE` and :data:`MAX_PIXELS`.

    Raises
    ------
    InputError
        If a side is 0 or the image is larger than allowed.
    """
    if width < 1 or height < 1:
        raise InputError(f"{name} must be at least 1 x 1 px, got {width} x {height}")
    if max_size is not None and (width > max_size[0] or height > max_size[1]):
        raise InputError(f"{name} must be at most {max_size[0]} x {max_size[1]} (W x H), got {width} x {height}")
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise InputError(f"{name} must be at most {MAX_SIDE} px per side and {MAX_PIXELS} px in all, "
                         f"got {width} x {height}")


def read_image(path, *, name: str = "image") -> np.ndarray:
    """Read an image file as ``(H, W, 3)`` float32 RGB in [0, 1], EXIF orientation applied.

    Images smaller than :data:`MIN_SIDE` px on a side or longer than :data:`MAX_ASPECT` : 1 are
    refused: the working-resolution resize would round their short side to nothing.
    """
    img = _open(path, name)
    w, h = img.size
    if min(w, h) < MIN_SIDE or max(w, h) > MAX_ASPECT * min(w, h):
        raise InputError(f"`{name}` must be at least {MIN_SIDE} px per side with an aspect ratio up to "
                         f"{MAX_ASPECT}:1, got {w} x {h}: {path}")
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 or img.mode.startswith("I;16") else 255.0
        return as_rgb(np.clip(arr / top, 0, 1).astype(np.float32), name=name)
    if img.mode == "F":
        return as_rgb(np.asarray(img, dtype=np.float32), name=name)
    arr = np.array(img.convert("RGB"), dtype=np.float32)
    arr /= np.float32(255.0)  # in place: a 24-Mpx photo needs one float copy, not two
    return arr


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


def read_rgba(source, *, name: str = "image", max_size: tuple[int, int] | None = None) -> np.ndarray:
    """Read a picture with transparency as ``(H, W, 4)`` float32 straight RGBA in [0, 1] (opaque when it has none).

    ``source`` is a path or the file's bytes; ``max_size = (W, H)`` bounds the declared size.
    """
    return read_rgba8(source, name=name, max_size=max_size).astype(np.float32) / np.float32(255.0)


def read_rgba8(source, *, name: str = "image", max_size: tuple[int, int] | None = None,
               mode: str = "RGBA") -> np.ndarray:
    """Read a picture (path or bytes) as uint8 in ``mode`` (``"RGBA"``, ``"RGB"`` or ``"L"``), size checked first."""
    return np.asarray(_open(source, name, max_size).convert(mode))


def read_label_map(path, *, shape: tuple[int, int] | None = None, name: str = "scribble") -> np.ndarray:
    """Read an 8-bit label map (e.g. a trimap-style scribble) as uint8 ``(H, W)``."""
    arr = np.asarray(_open(path, name).convert("L"))
    if shape is not None and arr.shape != tuple(shape):
        raise InputError(
            f"`{name}` must match the image size {shape[1]} x {shape[0]} (W x H), got {arr.shape[1]} x {arr.shape[0]}"
        )
    return arr


def make_parent(path, name: str = "-o") -> Path:
    """Create the missing folders above an output ``path`` (as ``save_pretrained`` does); return ``path``."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputError(f"`{name}` cannot be created: a file stands in its folder path {parent}") from None
    except PermissionError:
        raise InputError(f"`{name}` cannot be written: permission denied for {parent}") from None
    return target


def check_writable(path, name: str = "-o") -> Path:
    """Refuse an output location that cannot be written, before any work is done."""
    target = Path(path)
    probe = target.parent if str(target.parent) else Path(".")
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"`{name}` cannot be created: a file stands in its folder path {probe}")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"`{name}` cannot be written: permission denied for {probe}")
    return target


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_siblings(target) -> list[Path]:
    """Hidden temporaries beside ``target`` (``.NAME.PID.*``) whose writing process is gone (it was killed)."""
    target = Path(target)
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.")
    found = []
    with contextlib.suppress(OSError):
        for entry in sorted(target.parent.iterdir()):
            m = pattern.match(entry.name)
            if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
                found.append(entry)
    return found


@contextlib.contextmanager
def atomic_path(path, *, suffix: str | None = None):
    """Yield a temporary path beside ``path``; rename it over ``path`` only if the block succeeds.

    Missing parent folders are created; temporaries left beside ``path`` by killed runs are removed.
    """
    target = make_parent(path)
    for stale in stale_siblings(target):
        if stale.is_file():
            with contextlib.suppress(OSError):
                stale.unlink()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=suffix or target.suffix or ".tmp",
                               dir=target.parent)
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
