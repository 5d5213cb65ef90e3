"""Array helpers for images: the library's one pixel convention and its working resolution.

Inside the library images are ``(H, W, 3)`` float32 RGB in [0, 1] and masks ``(H, W)`` bool; these
functions convert to and from that convention and resize images.
"""

from __future__ import annotations

import cv2
import numpy as np

from paintseg_layers.errors import InputError


def as_rgb(image, *, name: str = "image") -> np.ndarray:
    """Convert an array to ``(H, W, 3)`` float32 RGB in [0, 1].

    Accepts uint8, uint16 and float arrays, ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or
    ``(H, W, 4)`` (alpha dropped).

    Raises
    ------
    InputError
        If the shape or dtype cannot be an image.
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.shape[0] < 2 or arr.shape[1] < 2:
        raise InputError(f"`{name}` must have shape (H, W), (H, W, 3) or (H, W, 4) with H, W >= 2, got {arr.shape}")
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    arr = arr[..., :3]
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    if arr.dtype == np.uint16:
        return arr.astype(np.float32) / 65535.0
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"`{name}` must be uint8, uint16 or float, got dtype {arr.dtype}")
    out = arr.astype(np.float32)  # a copy: the caller's array is never changed
    if not np.isfinite(out).all():
        raise InputError(f"`{name}` must be finite, got NaN or inf values")
    return np.clip(out, 0.0, 1.0, out=out)


def as_mask(mask, *, shape: tuple[int, int] | None = None, name: str = "mask") -> np.ndarray:
    """Convert an array to a ``(H, W)`` bool mask (non-zero = inside), checking its size."""
    arr = np.asarray(mask)
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise InputError(f"`{name}` must be a 2-D mask (H, W), got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise InputError(
            f"`{name}` must match the image size {shape[1]} x {shape[0]} (W x H), "
            f"got {arr.shape[1]} x {arr.shape[0]}"
        )
    return arr > (0.5 if arr.dtype.kind == "f" else 0)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float [0, 1] (or bool mask) to uint8 for writing."""
    arr = np.asarray(image)
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if arr.dtype == np.uint8:
        return arr
    return (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def working_scale(shape: tuple[int, int], working_size: int) -> float:
    """Scale factor that brings the long side down to ``working_size`` (never up)."""
    return min(1.0, working_size / max(shape))


def resize_image(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize to ``shape`` ``(h, w)``: area averaging when shrinking, bilinear when enlarging."""
    if image.shape[:2] == tuple(shape):
        return image
    shrink = shape[0] < image.shape[0]
    return cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def upsample_soft(soft: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a soft (float) map to ``shape`` ``(h, w)``."""
    if soft.shape == tuple(shape):
        return soft.astype(np.float32)
    return cv2.resize(soft.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def gradient_magnitude(channels: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Per-pixel magnitude of the 3x3 Sobel gradient summed over the channels of ``(H, W, C)`` (e.g. CIELAB).

    ``dtype`` is the precision of the derivatives and the result (``np.float32`` or ``np.float64``).
    """
    depth = cv2.CV_64F if np.dtype(dtype) == np.float64 else cv2.CV_32F
    grad = np.zeros(channels.shape[:2], dtype)
    for c in range(channels.shape[2]):
        ch = channels[..., c]
        grad += cv2.Sobel(ch, depth, 1, 0, ksize=3) ** 2 + cv2.Sobel(ch, depth, 0, 1, ksize=3) ** 2
    return np.sqrt(grad)


def resize_window(image: np.ndarray, shape: tuple[int, int], box) -> np.ndarray:
    """The window ``box`` ``(x0, y0, x1, y1)`` of a bilinear resize of ``image`` to ``shape`` ``(h, w)``.

    Equal (up to rounding) to ``cv2.resize(image, (w, h), interpolation=INTER_LINEAR)[y0:y1, x0:x1]``, but only
    the window is computed: a small hole of a 24-Mpx photo is filled from its working-resolution painting
    without building a full-size copy.
    """
    x0, y0, x1, y1 = (int(v) for v in box)
    sy, sx = image.shape[0] / shape[0], image.shape[1] / shape[1]
    # destination pixel x samples the source at (x + 0.5) * sx - 0.5, as cv2.resize does
    m = np.float32([[sx, 0, (x0 + 0.5) * sx - 0.5], [0, sy, (y0 + 0.5) * sy - 0.5]])
    return cv2.warpAffine(image, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)
