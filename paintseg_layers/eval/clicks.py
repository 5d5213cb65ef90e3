"""The standard simulated-click protocol of interactive segmentation (NoC@85 / NoC@90).

A robot user clicks where the current prediction is most wrong:

* the **first click** is positive, at the interior-most point of the object (the maximum of the
  distance transform of the ground truth);
* every **next click** goes to the *largest error region*: the largest 4-connected component
  (by area) of the missed pixels (``gt & ~pred``) and of the false pixels (``pred & ~gt``),
  ignore pixels left out of both. The click is at that region's interior-most point (maximum of its
  distance transform; the image border counts as the region's edge), positive for a miss,
  negative for a false region. Ties: a miss before a false region, then the first in raster order.

After each click the method segments again from *all* clicks so far. NoC@t is the number of
clicks after which the IoU first reaches ``t``; ``max_clicks`` (20) when it never does.

Early stop (to keep the protocol practical: one click = one segmentation): the simulation ends
once the IoU has reached ``stop_iou`` (0.90, the highest reported threshold) *and* at least
``min_clicks`` (5, the largest "IoU after k clicks" reported) clicks were made. NoC@85 and NoC@90
are unchanged by this; IoU after k <= ``min_clicks`` clicks is exact. Per-click IoUs beyond the stop
are reported as the last measured IoU (the curve is flat from there, as documented in reports).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage as ndi

from paintseg_layers.errors import InputError
from paintseg_layers.eval.metrics import iou as iou_score

__all__ = ["Click", "ClickTrace", "next_click", "interior_point", "noc", "simulate_clicks", "iou_after"]

_FOUR = ndi.generate_binary_structure(2, 1)


@dataclass(frozen=True)
class Click:
    """One simulated click at pixel ``(x, y)``; ``positive`` = on the object."""

    x: int
    y: int
    positive: bool

    def to_dict(self) -> dict:
        return asdict(self)


def interior_point(region) -> tuple[int, int]:
    """``(x, y)`` of the maximum of the distance transform of ``region`` (image border = edge).

    Ties go to the first pixel in raster order.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((9, 9), bool); m[2:7, 1:8] = True
    >>> interior_point(m)
    (4, 4)
    """
    region = np.asarray(region, bool)
    if not region.any():
        raise InputError("`region` must contain at least one pixel, got an empty mask")
    d = ndi.distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(d)), region.shape)
    return int(x), int(y)


def _largest_component(err: np.ndarray) -> tuple[np.ndarray | None, int]:
    lab, n = ndi.label(err, structure=_FOUR)
    if n == 0:
        return None, 0
    sizes = np.bincount(lab.ravel())[1:]
    k = int(np.argmax(sizes))
    return lab == (k + 1), int(sizes[k])


def next_click(pred, gt, ignore=None) -> Click | None:
    """The robot user's next click for prediction ``pred`` (see the module docstring).

    Parameters
    ----------
    pred, gt : (H, W) bool
    ignore : (H, W) bool, optional
        Pixels that are neither missed nor false.

    Returns
    -------
    Click or None
        None when the prediction has no error left.
    """
    pred = np.asarray(pred, bool)
    gt = np.asarray(gt, bool)
    if pred.shape != gt.shape:
        raise InputError(f"`pred` must have the shape of `gt` {gt.shape}, got {pred.shape}")
    keep = np.ones(gt.shape, bool) if ignore is None else ~np.asarray(ignore, bool)
    miss, miss_n = _largest_component(gt & ~pred & keep)
    false, false_n = _largest_component(pred & ~gt & keep)
    if miss is None and false is None:
        return None
    if false is None or (miss is not None and miss_n >= false_n):
        x, y = interior_point(miss)
        return Click(x, y, True)
    x, y = interior_point(false)
    return Click(x, y, False)


def noc(ious, threshold: float, max_clicks: int = 20) -> int:
    """Clicks needed for the IoU to reach ``threshold`` (``ious[k]`` = IoU after k + 1 clicks).

    Examples
    --------
    >>> noc([0.5, 0.86, 0.91], 0.85), noc([0.5, 0.86, 0.91], 0.9), noc([0.5], 0.9, max_clicks=20)
    (2, 3, 20)
    """
    for k, v in enumerate(ious[:max_clicks]):
        if v >= threshold:
            return k + 1
    return max_clicks


def iou_after(ious, k: int) -> float:
    """IoU after ``k`` clicks, the last measured IoU when the simulation stopped earlier."""
    if not len(ious):
        raise InputError("`ious` must hold at least one value, got none")
    return float(ious[min(k, len(ious)) - 1])


@dataclass(frozen=True, eq=False)
class ClickTrace:
    """The result of :func:`simulate_clicks`.

    Attributes
    ----------
    clicks : tuple of Click
    ious : tuple of float
        IoU after each click (``ious[k]`` after ``k + 1`` clicks).
    seconds : tuple of float
        Wall time of each segmentation.
    mask : (H, W) bool
        The prediction after the last click.
    max_clicks : int
    """

    clicks: tuple[Click, ...]
    ious: tuple[float, ...]
    seconds: tuple[float, ...]
    mask: np.ndarray
    max_clicks: int

    def noc(self, threshold: float) -> int:
        return noc(self.ious, threshold, self.max_clicks)

    def to_dict(self) -> dict:
        return {"clicks": [c.to_dict() for c in self.clicks], "ious": [float(v) for v in self.ious],
                "seconds": [float(v) for v in self.seconds], "max_clicks": self.max_clicks}


def simulate_clicks(segment: Callable, gt, ignore=None, *, max_clicks: int = 20, min_clicks: int = 5,
                    stop_iou: float | None = 0.90) -> ClickTrace:
    """Run the click protocol against ``segment``.

    Parameters
    ----------
    segment : callable
        ``segment(clicks, previous) -> (H, W) bool``: the prediction from all ``clicks`` so far
        (a tuple of :class:`Click`); ``previous`` is the last prediction or None.
    gt : (H, W) bool
    ignore : (H, W) bool, optional
    max_clicks : int
        At most this many clicks (20 in the standard protocol).
    min_clicks : int
        Never stop before this many clicks.
    stop_iou : float or None
        Stop once the IoU reaches it (after ``min_clicks``); None runs all ``max_clicks``.

    Returns
    -------
    ClickTrace
    """
    gt = np.asarray(gt, bool)
    if not gt.any():
        raise InputError("`gt` must contain at least one object pixel, got an empty mask")
    if not isinstance(max_clicks, (int, np.integer)) or max_clicks < 1:
        raise InputError(f"`max_clicks` must be an integer >= 1, got {max_clicks!r}")
    if not isinstance(min_clicks, (int, np.integer)) or min_clicks < 1:
        raise InputError(f"`min_clicks` must be an integer >= 1, got {min_clicks!r}")
    keep_gt = gt if ignore is None else gt & ~np.asarray(ignore, bool)
    x, y = interior_point(keep_gt if keep_gt.any() else gt)
    clicks = [Click(x, y, True)]
    ious, secs = [], []
    pred = None
    while True:
        t = time.perf_counter()
        out = np.asarray(segment(tuple(clicks), pred), bool)
        secs.append(time.perf_counter() - t)
        if out.shape != gt.shape:
            raise InputError(f"`segment` must return a mask of shape {gt.shape}, got {out.shape}")
        pred = out
        ious.append(float(iou_score(pred, gt, ignore)))
        n = len(clicks)
        if n >= max_clicks or (stop_iou is not None and n >= min_clicks and ious[-1] >= stop_iou):
            break
        c = next_click(pred, gt, ignore)
        if c is None:  # perfect: no error left to click on
            break
        clicks.append(c)
    return ClickTrace(tuple(clicks), tuple(ious), tuple(secs), pred, int(max_clicks))
