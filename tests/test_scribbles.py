"""Scribble prompts: strokes are hard constraints, and the AMCP start grows from them."""

from __future__ import annotations

import numpy as np

from paintseg_layers.amcp import AMCPConfig, Segmenter
from paintseg_layers.amcp.scribbles import grow_from_strokes, keep_strokes
from paintseg_layers.prompts import ScribblePrompt

FAST = AMCPConfig(samples=2, working_size=128, paint_result=False)


def scene(h=240, w=320, seed=0):
    """A red ellipse on a noisy two-tone background; returns (image, object mask)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    img = np.where((xx < w // 2)[..., None], (0.3, 0.55, 0.35), (0.55, 0.5, 0.3)).astype(np.float32)
    obj = ((xx - 150) / 80.0) ** 2 + ((yy - 120) / 55.0) ** 2 <= 1
    img[obj] = (0.85, 0.2, 0.15)
    img += rng.normal(0, 0.02, img.shape).astype(np.float32)
    return np.clip(img, 0, 1), obj


def iou(a, b):
    return (a & b).sum() / max(1, (a | b).sum())


def strokes(shape):
    """A 1 px object stroke across the ellipse's middle, a background stroke along the left, one on the object."""
    fg = np.zeros(shape, bool)
    fg[120, 110:190] = True
    bg = np.zeros(shape, bool)
    bg[20:220, 30] = True
    bg[150:160, 200] = True  # the user says this bit of the red ellipse is background
    return fg, bg


def test_strokes_are_hard_constraints_at_full_resolution():
    img, obj = scene()
    fg, bg = strokes(obj.shape)
    # 1 px strokes at 320 px shrink to nothing at the 128 px working size: the constraint must hold anyway
    res = Segmenter(img, config=FAST).segment(ScribblePrompt(fg, bg), seed=0)
    assert res.mask[fg].all()
    assert not res.mask[bg].any()
    assert iou(res.mask, obj) > 0.85


def test_a_stroke_off_the_object_is_kept():
    img, obj = scene()
    fg, bg = strokes(obj.shape)
    fg[60, 40:60] = True  # an object stroke in the background (a user's slip): it still wins
    res = Segmenter(img, config=FAST).segment(ScribblePrompt(fg, bg), seed=0)
    assert res.mask[fg].all() and not res.mask[bg].any()


def test_start_grows_from_a_short_stroke():
    img, obj = scene()
    fg, bg = strokes(obj.shape)
    short = np.zeros_like(fg)
    short[118:122, 140:160] = True  # 20 px of a 160 px wide object
    box = ScribblePrompt(short, bg).initial_mask(obj.shape)
    grown = grow_from_strokes(img, box, short, bg, seed=0)
    assert iou(grown, obj) > 0.85 > iou(box, obj)
    assert grown[short].all() and not grown[bg].any()


def test_keep_strokes():
    m = np.zeros((4, 4), bool)
    m[1:3, 1:3] = True
    fg, bg = np.zeros_like(m), np.zeros_like(m)
    fg[0, 0] = bg[1, 1] = True
    out = keep_strokes(m, fg, bg)
    assert out[0, 0] and not out[1, 1] and out.sum() == 4
    assert (keep_strokes(m, np.zeros_like(m), None) == m).all()
