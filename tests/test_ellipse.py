"""peel.ellipse: a round object's rim, from the image's edges, bounds its hidden part."""

from __future__ import annotations

import cv2
import numpy as np

from paintseg_layers.eval.scenes import make_scene
from paintseg_layers.masks import dilate, iou
from paintseg_layers.peel.amodal import shape_hidden
from paintseg_layers.peel.ellipse import fit_rim, within_rim


def _saucer_under_cup(spill=True, seed=0):
    """A red elliptic saucer on a grained table, a white cup over its top, its mask spilling onto a shadow."""
    rng = np.random.default_rng(seed)
    h, w = 240, 320
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    grain = 0.5 + 0.5 * np.sin(xx / 3.0 + 3 * np.sin(yy / 25.0))
    rgb = np.stack([0.55 + 0.1 * grain, 0.32 + 0.08 * grain, 0.15 + 0.05 * grain], -1)
    saucer = np.zeros((h, w), np.uint8)
    cv2.ellipse(saucer, ((160, 130), (220, 160), 0), 1, -1)
    saucer = saucer > 0
    shadow = ~saucer & (yy > 130) & ((xx - 150) ** 2 / 120**2 + (yy - 140) ** 2 / 90**2 <= 1)
    rgb[shadow] *= 0.35  # a shadow: a darker version of the table
    rgb[saucer] = (0.65, 0.12, 0.05)
    cup = (np.abs(xx - 160) < 55) & (yy < 110)
    rgb[cup] = (0.95, 0.93, 0.9)
    rgb = np.clip(rgb + rng.normal(0, 0.01, rgb.shape), 0, 1).astype(np.float32)
    visible = (saucer | (shadow if spill else False)) & ~cup
    return rgb, saucer, visible, cup


def test_the_rim_is_the_saucers_outline_not_its_masks_spill():
    rgb, saucer, visible, cup = _saucer_under_cup()
    box = fit_rim(rgb, visible, cup, seed=0)
    assert box is not None
    (cx, cy), (a, b), _ = box
    assert abs(cx - 160) < 3 and abs(cy - 130) < 3  # the saucer's centre, not the spill's
    assert abs(min(a, b) - 160) < 4 and abs(max(a, b) - 220) < 4


def test_the_hidden_part_stops_at_the_rim():
    rgb, saucer, visible, cup = _saucer_under_cup()
    flood = cup & (np.arange(cup.shape[0])[:, None] >= 30)  # a hidden part that reaches far above the rim
    vis, cut = within_rim(rgb, visible, cup, flood, seed=0)
    assert np.array_equal(vis, visible)  # no box: the visible part stays whole
    assert not (cut & ~saucer).sum() > 0.02 * cut.sum()
    assert (cut & saucer).sum() >= 0.97 * (flood & saucer).sum()


def test_no_rim_no_cut():
    rgb, saucer, visible, cup = _saucer_under_cup()
    square = np.zeros_like(visible)
    square[120:220, 40:200] = True  # a square object: its edges lie on no ellipse
    rgb2 = rgb.copy()
    rgb2[square & ~cup] = (0.2, 0.5, 0.2)
    hidden = cup & (np.arange(cup.shape[0])[:, None] >= 60) & (np.arange(cup.shape[1])[None, :] < 200)
    vis, hid = within_rim(rgb2, square & ~cup, cup, hidden, box=(40, 60, 200, 220), seed=0)
    assert np.array_equal(hid, hidden) and np.array_equal(vis, square & ~cup)
    small = np.zeros_like(visible)
    small[100:120, 100:120] = True  # too small to tell an ellipse from a blob
    assert fit_rim(rgb, small, cup, seed=0) is None


def test_a_spill_beyond_the_rim_and_the_box_leaves_the_visible_part_a_handle_inside_the_box_stays():
    rgb, saucer, visible, cup = _saucer_under_cup()
    yy, xx = np.mgrid[:visible.shape[0], :visible.shape[1]]
    handle = (np.abs(xx - 285) < 15) & (np.abs(yy - 130) < 8)  # a handle on the right, beyond the rim
    rgb[handle] = (0.65, 0.12, 0.05)
    with_handle = visible | handle
    hidden = cup & saucer
    box = (50, 50, 301, 211)  # drawn round the saucer and its handle; the shadow's crescent reaches y 230
    vis, hid = within_rim(rgb, with_handle, cup, hidden, box=box, seed=0)
    assert not (vis & ~dilate(saucer, 3) & ~handle).any()  # the shadow went (but for the rim's 2 px band) ...
    assert vis[handle].all() and vis[saucer & ~cup].all()  # ... the handle and the saucer stayed
    assert np.array_equal(hid, hidden & hid)
    vis, _ = within_rim(rgb, with_handle, cup, hidden, box=None, seed=0)
    assert np.array_equal(vis, with_handle)  # no box: the visible part stays whole


def test_an_ellipse_along_the_occluders_edge_cuts_nothing():
    # generated scene 1094 at 480 x 360: a striped ellipse under a gradient rectangle; its stripes' edges and
    # the rectangle's straight edge made a flat "rim" that kept 49 of the 8668 hidden px (IoU 0.727 -> 0.643)
    scene = make_scene(1094, size=(480, 360), n_objects=(2, 4))
    obj, box = scene.objects[1], scene.prompts("box")[1].box
    front = np.zeros(scene.shape, bool)
    for a, b, _ in scene.occlusion_pairs():
        if b == 1:
            front |= scene.objects[a].amodal_mask
    front &= ~obj.visible_mask
    hidden = shape_hidden(obj.visible_mask, front, box=box, image=scene.image)
    vis, cut = within_rim(scene.image, obj.visible_mask, front, hidden, box=box, seed=5001)
    assert np.array_equal(vis, obj.visible_mask)
    assert cut.sum() >= 0.9 * hidden.sum(), (cut.sum(), hidden.sum())
    assert iou(vis | cut, obj.amodal_mask) >= iou(obj.visible_mask | hidden, obj.amodal_mask) - 1e-9
