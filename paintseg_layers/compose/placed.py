"""A layer under edit: its cropped source and the affine map that places it on the canvas."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from paintseg_layers.errors import InputError

#: Gaussian sigma (px) of the automatic edge softening of edited layers.
AUTO_FEATHER = 0.6
_ALPHA_EPS = 1e-6


@dataclasses.dataclass
class Placed:
    """A layer under edit: a cropped source and the affine map from source to canvas (pixel edges)."""

    id: str
    src: np.ndarray  # (h, w, 4) float32 straight RGBA, cropped to its alpha box
    origin: tuple[int, int]  # source coords of src[0, 0]
    lin: np.ndarray  # (2, 2) linear part
    shift: np.ndarray  # (2,) translation
    original: object  # the Layer it came from (this or another decomposition)
    node: dict  # graph node attributes to carry
    moved: bool = False
    inserted: bool = False
    prompt: dict | None = None

    def box(self) -> tuple[float, float, float, float]:
        """Canvas box (x0, y0, x1, y1) of the mapped source crop."""
        h, w = self.src.shape[:2]
        ox, oy = self.origin
        corners = np.array([[ox, oy], [ox + w, oy], [ox, oy + h], [ox + w, oy + h]], np.float64)
        mapped = corners @ self.lin.T + self.shift
        return (*mapped.min(axis=0), *mapped.max(axis=0))

    def center(self) -> np.ndarray:
        x0, y0, x1, y1 = self.box()
        return np.array([(x0 + x1) / 2, (y0 + y1) / 2])


def crop(rgba: np.ndarray, *, what: str) -> tuple[np.ndarray, tuple[int, int]]:
    alpha = rgba[..., 3] > 0
    rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:
        raise InputError(f"{what} has no opaque pixel (its alpha is zero everywhere); nothing to insert")
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return np.ascontiguousarray(rgba[y0:y1, x0:x1], dtype=np.float32), (x0, y0)


def placed_from_layer(layer, node: dict) -> Placed:
    alpha = layer.rgba[..., 3] > 0
    if alpha.any():
        src, origin = crop(layer.rgba, what=f"layer {layer.id!r}")
    else:  # an empty layer stays empty wherever it goes
        src, origin = np.zeros((1, 1, 4), np.float32), (0, 0)
    return Placed(layer.id, src, origin, np.eye(2), np.zeros(2), layer, dict(node))


def warp(p: Placed, size: tuple[int, int]) -> np.ndarray:
    """The placed layer on the canvas: ``(H, W, 4)`` float32 straight RGBA, clipped."""
    width, height = size
    out = np.zeros((height, width, 4), np.float32)
    x0, y0, x1, y1 = p.box()
    dx0, dy0 = max(int(np.floor(x0)) - 1, 0), max(int(np.floor(y0)) - 1, 0)
    dx1, dy1 = min(int(np.ceil(x1)) + 1, width), min(int(np.ceil(y1)) + 1, height)
    if dx1 <= dx0 or dy1 <= dy0:
        return out  # entirely off the canvas
    lin, shift = p.lin, p.shift
    ox, oy = p.origin
    exact = (np.allclose(np.abs(lin), np.eye(2)) and np.allclose(shift, np.round(shift), atol=1e-9))
    if exact:
        src = p.src[:, ::-1] if lin[0, 0] < 0 else p.src
        src = src[::-1] if lin[1, 1] < 0 else src
        h, w = src.shape[:2]
        bx, by = int(round(x0)), int(round(y0))
        cx0, cy0, cx1, cy1 = max(bx, 0), max(by, 0), min(bx + w, width), min(by + h, height)
        if cx1 > cx0 and cy1 > cy0:
            out[cy0:cy1, cx0:cx1] = src[cy0 - by:cy1 - by, cx0 - bx:cx1 - bx]
        return out
    premult = p.src.copy()
    premult[..., :3] *= premult[..., 3:4]
    # pixel centres: u = x - 0.5; canvas u = lin (u_src + 0.5) + shift - 0.5, with u_src = u_crop + origin
    sx = sy = 1.0
    scale = float(np.sqrt(abs(np.linalg.det(lin))))
    if scale < 0.75:  # area-average first so that shrinking does not alias
        h, w = premult.shape[:2]
        nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
        sx, sy = nw / w, nh / h
        premult = cv2.resize(premult, (nw, nh), interpolation=cv2.INTER_AREA)
    # u_crop = (u_small + 0.5) / s - 0.5
    pre = np.array([[1.0 / sx, 0.0], [0.0, 1.0 / sy]])
    pre_t = np.array([0.5 / sx - 0.5, 0.5 / sy - 0.5])
    m_lin = lin @ pre
    m_t = lin @ (pre_t + np.array([ox, oy]) + 0.5) + shift - 0.5 - np.array([dx0, dy0])
    matrix = np.hstack([m_lin, m_t[:, None]]).astype(np.float64)
    warped = cv2.warpAffine(premult, matrix, (dx1 - dx0, dy1 - dy0), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    a = np.clip(warped[..., 3:4], 0.0, 1.0)
    rgb = np.divide(warped[..., :3], a, out=np.zeros_like(warped[..., :3]), where=a > _ALPHA_EPS)
    out[dy0:dy1, dx0:dx1] = np.concatenate([np.clip(rgb, 0.0, 1.0), a], axis=2)
    return out


def soften(rgba: np.ndarray, sigma: float) -> np.ndarray:
    """Lower alpha just inside the boundary (min of alpha and its blur): no outward growth."""
    if sigma <= 0:
        return rgba
    alpha = rgba[..., 3]
    k = 2 * int(np.ceil(1.5 * sigma)) + 1  # a short kernel keeps the interior exactly opaque
    blurred = cv2.GaussianBlur(alpha, (k, k), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REPLICATE)
    blurred[blurred > 1.0 - 1.0 / 512] = 1.0  # below 8-bit resolution: leave it opaque
    out = rgba.copy()
    out[..., 3] = np.minimum(alpha, blurred)
    return out
