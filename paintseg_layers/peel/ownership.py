"""A learnt ownership cue for the depth order: which of two touching masks is in front, read from their shapes.

A small convolutional net (:class:`OwnershipNet`, seven 3 x 3 convolutions, 110 k weights) reads a touching pair's
masks at the AMCP working resolution -- the box round both, fitted into 48 x 48, channels ``a``, ``b`` and every
other object -- and gives the log-odds that ``a`` is in front of ``b``. It is antisymmetric by construction
(``f(a, b) - f(b, a)``) and its output is averaged over the eight flips and quarter turns, so neither the pair's
order nor the picture's orientation can change the answer. It reads masks only, never the image: the cue is the
masks' shapes where they meet (the same evidence the hand-made T-junction and convexity cues read,
:mod:`paintseg_layers.peel.order`), so it cannot learn a generator's rendering. Inference here is numpy (batch norm
folded into the convolutions, a pair in about 25 ms on one core): the order stage needs no torch, which stays the
trainer's (``benchmarks/order_learnt.py``).

The shipped weights (``ownership_net.npz``, float32, 0.44 MB) were trained by the project itself, on nothing
downloaded: the first-pass masks and the true visible masks of 3,239 generated scenes whose seeds no reported
benchmark uses, built from shapes and from half of the GrabCut cut-outs (``benchmarks/order_learnt.py`` trains them
again and measures them on held-out scenes and on the other half of the cut-outs; docs/order_experiments.md, the
nineteenth and twentieth stops). The weights file is plain arrays (``numpy.load`` without pickle).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import cv2
import numpy as np

from paintseg_layers.errors import InputError

#: side of the net's square input
SIZE = 48
#: px round the pair's box before it is fitted into the input
MARGIN = 4
#: the weights shipped with the package
SHIPPED = Path(__file__).with_name("ownership_net.npz")
#: the net: (index in the trainer's ``nn.Sequential``, input channels, output channels) of each 3 x 3 conv + batch
#: norm + ReLU block; a 2 x 2 max-pool follows the blocks marked True; then global mean and a linear layer (64 -> 1)
BLOCKS = ((0, 3, 16, False), (1, 16, 16, True), (3, 16, 32, False), (4, 32, 32, True), (6, 32, 64, False),
          (7, 64, 64, True), (9, 64, 64, False))
LINEAR = 12
#: batch norm's epsilon (torch's default, as trained)
EPS = 1e-5


def weight_shapes() -> dict:
    """Name -> shape of every array of the net's weights (the trainer's ``state_dict`` names, ``body.<i>...``)."""
    shapes = {}
    for i, c_in, c_out, _pool in BLOCKS:
        shapes[f"body.{i}.0.weight"] = (c_out, c_in, 3, 3)
        for name in ("0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"):
            shapes[f"body.{i}.{name}"] = (c_out,)
    shapes[f"body.{LINEAR}.weight"] = (1, BLOCKS[-1][2])
    shapes[f"body.{LINEAR}.bias"] = (1,)
    return shapes


def pair_input(mask_a: np.ndarray, mask_b: np.ndarray, others: np.ndarray | None = None) -> np.ndarray:
    """(3, SIZE, SIZE) float32: the box round ``a | b`` (+``MARGIN`` px) of the three masks, fitted in, aspect kept.

    ``others``: the union of every other object's mask (None: none).
    """
    if mask_a.shape != mask_b.shape or (others is not None and others.shape != mask_a.shape):
        raise InputError(f"`mask_a`, `mask_b` and `others` must have one shape, got {mask_a.shape}, {mask_b.shape}"
                         f" and {None if others is None else others.shape}")
    ys, xs = np.nonzero(mask_a | mask_b)
    if len(ys) == 0:
        raise InputError("`mask_a` | `mask_b` must have pixels, got two empty masks")
    rest = np.zeros_like(mask_a) if others is None else others
    y0, x0 = max(0, ys.min() - MARGIN), max(0, xs.min() - MARGIN)
    y1, x1 = ys.max() + MARGIN + 1, xs.max() + MARGIN + 1
    stack = np.stack([mask_a, mask_b, rest], -1)[y0:y1, x0:x1].astype(np.float32)
    h, w = stack.shape[:2]
    s = SIZE / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    fitted = cv2.resize(stack, (nw, nh), interpolation=cv2.INTER_AREA).reshape(nh, nw, 3)
    out = np.zeros((SIZE, SIZE, 3), np.float32)
    top, left = (SIZE - nh) // 2, (SIZE - nw) // 2
    out[top : top + nh, left : left + nw] = fitted
    return out.transpose(2, 0, 1)


def dihedral(x: np.ndarray, k: int) -> np.ndarray:
    """``x`` (N, C, H, W) turned ``k % 4`` quarter turns, then mirrored when ``k >= 4`` (k in 0..7)."""
    x = np.rot90(x, k % 4, (2, 3))
    return x[..., ::-1] if k >= 4 else x


class OwnershipNet:
    """The net's inference in numpy (the weights folded: batch norm into its convolution).

    ``net(x)`` with ``x`` (N, 3, SIZE, SIZE): the log-odds that channel 0's object is in front of channel 1's
    (channel 2: every other object), antisymmetric by construction: ``f(a, b) - f(b, a)``.
    """

    def __init__(self, weights: dict):
        self.weights = weights
        self.convs = []
        for i, _c_in, c_out, pool in BLOCKS:
            conv = {k: weights[f"body.{i}.0.{k}"] for k in ("weight", "bias")}
            norm = {k: weights[f"body.{i}.1.{k}"] for k in ("weight", "bias", "running_mean", "running_var")}
            scale = norm["weight"] / np.sqrt(norm["running_var"] + EPS)
            w = conv["weight"] * scale[:, None, None, None]
            b = (conv["bias"] - norm["running_mean"]) * scale + norm["bias"]
            # (C_in * 9, C_out), rows in the order of the patches below (tap-major, then channel)
            cols = np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(-1, c_out), np.float32)
            self.convs.append((cols, b.astype(np.float32), pool))
        self.linear = (weights[f"body.{LINEAR}.weight"][0].astype(np.float32),
                       float(weights[f"body.{LINEAR}.bias"][0]))

    def body(self, x: np.ndarray) -> np.ndarray:
        """(N,) the body's score of ``x`` (N, 3, SIZE, SIZE)."""
        h = np.ascontiguousarray(x.transpose(0, 2, 3, 1), np.float32)  # channels last
        for cols, b, pool in self.convs:
            n, hh, ww, c = h.shape
            padded = np.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)))
            patches = np.concatenate([padded[:, dy : dy + hh, dx : dx + ww] for dy in range(3) for dx in range(3)], -1)
            h = np.maximum(patches.reshape(-1, 9 * c) @ cols + b, 0).reshape(n, hh, ww, -1)
            if pool:
                h = h.reshape(n, hh // 2, 2, ww // 2, 2, -1).max(axis=(2, 4))
        w, b = self.linear
        return h.mean(axis=(1, 2)) @ w + b

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.body(x) - self.body(x[:, [1, 0, 2]])


def log_odds(net, x: np.ndarray) -> np.ndarray:
    """``net``'s log-odds for inputs ``x`` (N, 3, SIZE, SIZE), averaged over the eight flips and quarter turns."""
    x = np.asarray(x, np.float32)
    turned = np.concatenate([dihedral(x, k) for k in range(8)])
    return np.asarray(net(turned), np.float32).reshape(8, len(x)).mean(0)


def save_weights(weights: dict, path) -> Path:
    """Write ``weights`` (name -> array, :func:`weight_shapes`) to ``path`` as plain float32 arrays, atomically."""
    path = Path(path)
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(weights[k], np.float32) for k in weight_shapes()})
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)
    return path


def load_weights(path) -> dict:
    """The arrays of a weights file (``.npz`` written by :func:`save_weights`), checked against the net's shapes.

    Raises
    ------
    InputError
        If ``path`` is unreadable, not an ``.npz`` of plain arrays, or its arrays do not fit the net.
    """
    want = weight_shapes()
    try:
        with np.load(path, allow_pickle=False) as data:
            got = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise InputError(f"`path` must be an ownership net's weights (.npz of arrays), could not read {path}: "
                         f"{exc}") from None
    if set(got) != set(want):
        raise InputError(f"`path` {path} must hold the arrays {sorted(want)}, got {sorted(got)}")
    for k, shape in want.items():
        if got[k].shape != shape or got[k].dtype.kind != "f" or not np.isfinite(got[k]).all():
            raise InputError(f"`path` {path}: array {k!r} must be finite floats of shape {shape}, got "
                             f"{got[k].dtype} {got[k].shape}")
    return {k: got[k].astype(np.float32) for k in want}


def load_net(path) -> OwnershipNet:
    """The :class:`OwnershipNet` of the weights file ``path`` (see :func:`load_weights`)."""
    return OwnershipNet(load_weights(path))


@functools.cache
def shipped_net() -> OwnershipNet:
    """The net of the shipped weights (loaded once)."""
    return load_net(SHIPPED)


def ownership(mask_a: np.ndarray, mask_b: np.ndarray, others: np.ndarray | None = None, *, net=None) -> float:
    """Log-odds that ``a`` is in front of ``b`` (> 0: ``a`` in front), from the masks' shapes.

    Masks at the AMCP working resolution, as :func:`paintseg_layers.peel.order.order_graph` reads them. ``net``:
    any callable from (N, 3, SIZE, SIZE) inputs to (N,) antisymmetric log-odds (None: the shipped net).
    """
    return float(log_odds(net or shipped_net(), pair_input(mask_a, mask_b, others)[None])[0])
