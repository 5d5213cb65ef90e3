"""Prompts that say which object to segment: box, points, coarse mask and scribble.

Every prompt is a small frozen dataclass in *pixel coordinates of the image it refers to*
(x to the right, y down; boxes are ``(x0, y0, x1, y1)`` with exclusive right/bottom edges).
Each one validates itself against an image size and yields

* ``initial_mask(shape)`` -- M0, the mask AMCP starts from;
* ``valid_region(shape)`` -- where the object may be (a box grown 1.05x, a coarse mask's box 1.25x);
* ``seeds(shape)`` -- pixels known to be object / background (used by the refinement);
* ``scaled(sx, sy)`` -- the same prompt at another resolution.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from paintseg_layers.errors import InputError, is_number
from paintseg_layers.image import as_mask
from paintseg_layers.masks import resize_nearest

#: Growth of a coarse mask's box that bounds the result (the method's "valid region", 1.25x).
VALID_MARGIN = 1.25
#: Growth of a user's box: a box is drawn *around* the object, so only a small slack is allowed.
#: The reference's 1.25x lets weight-free colour features leak into look-alike background
#: (GrabCut set, box prompts, same refinement at 320 px: 1.25x -> 0.836 mean IoU, 1.05x -> 0.885 in one trial run).
BOX_MARGIN = 1.05


def json_box(value, name: str = "box") -> tuple[float, float, float, float]:
    """A box ``[x0, y0, x1, y1]`` read from JSON (the editor's API, batch prompt files).

    Raises
    ------
    InputError
        Naming ``name`` and the value, if it is not four numbers.
    """
    if not isinstance(value, list) or len(value) != 4 or not all(is_number(v) for v in value):
        raise InputError(f"`{name}` must be four numbers [x0, y0, x1, y1], got {value!r}"[:300])
    return tuple(float(v) for v in value)


def json_points(value, name: str = "points", *, at_least: int = 0) -> tuple[tuple[float, float], ...]:
    """Clicks ``[[x, y], ...]`` read from JSON; at least ``at_least`` of them.

    Raises
    ------
    InputError
        Naming ``name`` and the value, if it is not a list of number pairs (or too short).
    """
    ok = isinstance(value, list) and all(
        isinstance(p, list) and len(p) == 2 and all(is_number(v) for v in p) for p in value)
    if not ok or len(value) < at_least:
        more = f" (at least {at_least})" if at_least else ""
        raise InputError(f"`{name}` must be a list of [x, y] pairs{more}, got {value!r}"[:300])
    return tuple((float(p[0]), float(p[1])) for p in value)


def _box_of(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def grow_box(box, factor: float, shape: tuple[int, int], *, min_pad: float = 0.0) -> tuple[int, int, int, int]:
    """Grow ``(x0, y0, x1, y1)`` about its centre by ``factor`` (plus ``min_pad`` px), clipped to the image."""
    x0, y0, x1, y1 = box
    h, w = shape
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hw = (x1 - x0) * factor / 2 + min_pad
    hh = (y1 - y0) * factor / 2 + min_pad
    return (
        max(0, int(np.floor(cx - hw))),
        max(0, int(np.floor(cy - hh))),
        min(w, int(np.ceil(cx + hw))),
        min(h, int(np.ceil(cy + hh))),
    )


def box_mask(box, shape: tuple[int, int]) -> np.ndarray:
    """Filled bool mask of an integer-rounded box."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    m = np.zeros(shape, bool)
    m[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
    return m


def _disc(shape, centres, radius: float) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    out = np.zeros(shape, bool)
    for x, y in centres:
        out |= (xx - x) ** 2 + (yy - y) ** 2 <= radius**2
    return out


@dataclass(frozen=True)
class BoxPrompt:
    """An axis-aligned box ``(x0, y0, x1, y1)`` around the object."""

    box: tuple[float, float, float, float]
    kind: str = field(default="box", init=False)

    def validate(self, shape: tuple[int, int]) -> None:
        h, w = shape
        if len(self.box) != 4 or not all(np.isfinite(v) for v in self.box):
            raise InputError(f"`box` must be four finite numbers x0 y0 x1 y1, got {self.box}")
        x0, y0, x1, y1 = self.box
        if x1 - x0 < 1 or y1 - y0 < 1:
            raise InputError(f"`box` must have x1 > x0 and y1 > y0 (at least 1 px), got {tuple(self.box)}")
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            raise InputError(f"`box` must lie inside the image ({w} x {h}), got {tuple(self.box)}")

    def initial_mask(self, shape):
        return box_mask(self.box, shape)

    def valid_region(self, shape):
        return box_mask(grow_box(self.box, BOX_MARGIN, shape, min_pad=2), shape)

    def seeds(self, shape):
        return np.zeros(shape, bool), ~self.valid_region(shape)

    def bounding_box(self, shape):
        return tuple(int(round(v)) for v in self.box)

    def scaled(self, sx: float, sy: float) -> BoxPrompt:
        x0, y0, x1, y1 = self.box
        return BoxPrompt((x0 * sx, y0 * sy, x1 * sx, y1 * sy))

    def to_dict(self):
        return {"kind": "box", "box": [float(v) for v in self.box]}


@dataclass(frozen=True)
class PointPrompt:
    """Positive (on the object) and negative (off it) clicks, each ``(x, y)``.

    M0 is a square around the positive clicks (side ``0.4 * min(H, W)``, less the negative clicks'
    neighbourhoods): a weight-free painter cannot paint a whole image from nothing, so this replaces
    the method's "whole image" start; the valid region is the whole image. The clicks also add a
    Gaussian bump to the potential (see :func:`PointPrompt.bump`).
    """

    positive: tuple[tuple[float, float], ...]
    negative: tuple[tuple[float, float], ...] = ()
    kind: str = field(default="points", init=False)

    def validate(self, shape):
        h, w = shape
        if not self.positive:
            raise InputError("`point` needs at least one positive click (x y), got none")
        for label, pts in (("point", self.positive), ("neg_point", self.negative)):
            for p in pts:
                if len(p) != 2 or not all(np.isfinite(v) for v in p):
                    raise InputError(f"`{label}` must be two numbers x y, got {p}")
                if not (0 <= p[0] < w and 0 <= p[1] < h):
                    raise InputError(f"`{label}` must lie inside the image ({w} x {h}), got {tuple(p)}")

    def _radius(self, shape):
        return max(2.0, 0.02 * min(shape))

    def initial_mask(self, shape):
        half = 0.2 * min(shape)
        m = np.zeros(shape, bool)
        for x, y in self.positive:
            m |= box_mask((x - half, y - half, x + half + 1, y + half + 1), shape)
        if self.negative:
            m &= ~_disc(shape, self.negative, 0.1 * min(shape))
        return m | _disc(shape, self.positive, self._radius(shape))

    def valid_region(self, shape):
        return np.ones(shape, bool)

    def seeds(self, shape):
        r = self._radius(shape)
        fg = _disc(shape, self.positive, r)
        bg = _disc(shape, self.negative, r) if self.negative else np.zeros(shape, bool)
        return fg & ~bg, bg

    def bump(self, shape, sigma: float | None = None) -> np.ndarray:
        """Sum of Gaussians at the positive clicks minus those at the negative ones, in [-1, 1]."""
        sigma = sigma or 0.08 * min(shape)
        yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
        out = np.zeros(shape, np.float32)
        for sign, pts in ((1.0, self.positive), (-1.0, self.negative)):
            for x, y in pts:
                out += sign * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))
        return np.clip(out, -1, 1)

    def bounding_box(self, shape):
        return 0, 0, shape[1], shape[0]

    def scaled(self, sx, sy):
        return PointPrompt(
            tuple((x * sx, y * sy) for x, y in self.positive), tuple((x * sx, y * sy) for x, y in self.negative)
        )

    def to_dict(self):
        return {
            "kind": "points",
            "positive": [list(p) for p in self.positive],
            "negative": [list(p) for p in self.negative],
        }


@dataclass(frozen=True, eq=False)
class MaskPrompt:
    """A coarse mask of the object (e.g. from an unsupervised method), ``(H, W)`` bool."""

    mask: np.ndarray
    kind: str = field(default="mask", init=False)

    def validate(self, shape):
        m = as_mask(self.mask, shape=shape, name="mask")
        if not m.any():
            raise InputError("`mask` must contain at least one object pixel, got an empty mask")

    def initial_mask(self, shape):
        return resize_nearest(as_mask(self.mask), shape)

    def valid_region(self, shape):
        return box_mask(grow_box(_box_of(self.initial_mask(shape)), VALID_MARGIN, shape, min_pad=2), shape)

    def seeds(self, shape):
        return np.zeros(shape, bool), ~self.valid_region(shape)

    def bounding_box(self, shape):
        return _box_of(self.initial_mask(shape))

    def scaled(self, sx, sy):
        h, w = self.mask.shape
        return MaskPrompt(resize_nearest(as_mask(self.mask), (max(1, round(h * sy)), max(1, round(w * sx)))))

    def to_dict(self):
        return {"kind": "mask", "area": int(as_mask(self.mask).sum())}


@dataclass(frozen=True, eq=False)
class ScribblePrompt:
    """User strokes: ``foreground`` on the object, optional ``background`` strokes off it.

    Read from a trimap-style file with :func:`ScribblePrompt.from_label_map` (255 = object stroke,
    0 = background stroke, 128 = unmarked) or from a plain mask (non-zero = object stroke).
    ``initial_mask`` is the object strokes' box grown 1.8x, less the background strokes: the
    *probably object* region from which :class:`~paintseg_layers.amcp.Segmenter` grows AMCP's
    start by a colour graph cut seeded by the strokes (:mod:`paintseg_layers.amcp.scribbles`).
    The strokes are hard constraints of the result, at full resolution.
    """

    foreground: np.ndarray
    background: np.ndarray | None = None
    kind: str = field(default="scribble", init=False)

    @classmethod
    def from_label_map(cls, labels: np.ndarray) -> ScribblePrompt:
        labels = np.asarray(labels)
        if np.isin(labels, (0, 255)).all() or not (labels == 128).any():
            return cls(labels > 127)  # a plain stroke mask
        return cls(labels == 255, labels == 0)

    def validate(self, shape):
        fg = as_mask(self.foreground, shape=shape, name="scribble")
        if not fg.any():
            raise InputError("`scribble` must mark at least one object pixel (255), got none")
        if self.background is not None:
            bg = as_mask(self.background, shape=shape, name="scribble")
            if (fg & bg).any():
                raise InputError("`scribble` marks some pixels as both object and background")

    def _fg(self, shape):
        return resize_nearest(as_mask(self.foreground), shape)

    def _bg(self, shape):
        if self.background is None:
            return np.zeros(shape, bool)
        return resize_nearest(as_mask(self.background), shape)

    def initial_mask(self, shape):
        box = grow_box(_box_of(self._fg(shape)), 1.8, shape, min_pad=4)
        return (box_mask(box, shape) & ~ndi.binary_dilation(self._bg(shape), iterations=2)) | self._fg(shape)

    def valid_region(self, shape):
        return np.ones(shape, bool)

    def seeds(self, shape):
        return self._fg(shape), self._bg(shape)

    def bounding_box(self, shape):
        return _box_of(self._fg(shape))

    def scaled(self, sx, sy):
        h, w = self.foreground.shape
        new = (max(1, round(h * sy)), max(1, round(w * sx)))
        # strokes are thin: dilate before shrinking so they survive nearest-neighbour resizing
        k = max(0, int(np.ceil(1 / min(sx, sy))) // 2)
        fg = (
            ndi.binary_dilation(as_mask(self.foreground), iterations=k)
            if k and min(sx, sy) < 1
            else as_mask(self.foreground)
        )
        bg = None
        if self.background is not None:
            b = as_mask(self.background)
            bg = resize_nearest(ndi.binary_dilation(b, iterations=k) if k and min(sx, sy) < 1 else b, new)
        fg = resize_nearest(fg, new)
        if bg is not None:
            bg &= ~fg
        return ScribblePrompt(fg, bg)

    def to_dict(self):
        bg = 0 if self.background is None else int(as_mask(self.background).sum())
        return {"kind": "scribble", "foreground_px": int(as_mask(self.foreground).sum()), "background_px": bg}


Prompt = BoxPrompt | PointPrompt | MaskPrompt | ScribblePrompt


def check_prompt(prompt, shape: tuple[int, int]) -> None:
    """Validate ``prompt`` against an image of ``shape`` (H, W); raise :class:`InputError`."""
    if not isinstance(prompt, (BoxPrompt, PointPrompt, MaskPrompt, ScribblePrompt)):
        raise InputError(
            "`prompt` must be a BoxPrompt, PointPrompt, MaskPrompt or ScribblePrompt, "
            f"got {type(prompt).__name__}"
        )
    prompt.validate(shape)


def read_prompt_file(path) -> list:
    """Object prompts from a prompt file (``examples/*.prompts``): ``paintseg decompose`` flags, one object a line.

    Lines look like ``--box X0 Y0 X1 Y1`` or ``--point X Y``; ``#`` starts a comment.

    Raises
    ------
    InputError
        If the file is missing or a line is not one of those two forms (the message names the line).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"prompt file not found: {p}")
    prompts = []
    for n, line in enumerate(p.read_text().splitlines(), 1):
        words = shlex.split(line, comments=True)
        try:
            if not words:
                continue
            if words[0] == "--box" and len(words) == 5:
                prompts.append(BoxPrompt(tuple(float(v) for v in words[1:])))
                continue
            if words[0] == "--point" and len(words) == 3:
                prompts.append(PointPrompt(((float(words[1]), float(words[2])),)))
                continue
        except ValueError:
            pass
        raise InputError(f"{p}:{n}: expected `--box X0 Y0 X1 Y1` or `--point X Y`, got {line!r}")
    return prompts
