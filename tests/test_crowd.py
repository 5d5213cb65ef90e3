"""Crowded scenes (issue 17 item 0): the generator, nested boxes in the joint cut, the crowd benchmark's smoke run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from paintseg_layers.amcp.refine import _OFFSETS
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes.crowd import make_crowd_scene
from paintseg_layers.masks import bbox, iou
from paintseg_layers.peel.first_pass import MIN_EDGE, contour_contrast, object_contrast
from paintseg_layers.peel.joint import _never_lost, alpha_expansion, joint_labelling

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("layout", ["touching", "nested"])
def test_crowd_scene_packs_many_touching_objects(layout):
    scene = make_crowd_scene(3, size=(200, 150), n_objects=(8, 12), layout=layout, cutouts="none")
    objs = scene.objects
    assert 8 <= len(objs) <= 12
    vis = [o.visible_mask for o in objs]
    assert sum(v.sum() for v in vis) == np.any(vis, axis=0).sum()  # visible parts partition the objects
    for o in objs:
        assert o.visible_mask.sum() >= 0.5 * o.amodal_mask.sum()
    # crowded: most objects touch another one
    touching = [any((cv2.dilate(v.astype(np.uint8), np.ones((3, 3))) > 0)[u].any() for u in vis if u is not v)
                for v in vis]
    assert np.mean(touching) >= 0.6
    again = make_crowd_scene(3, size=(200, 150), n_objects=(8, 12), layout=layout, cutouts="none")
    assert np.array_equal(scene.image, again.image)


def test_nested_objects_rest_on_a_holder_whose_box_holds_theirs():
    scene = make_crowd_scene(5, size=(200, 150), n_objects=(8, 10), layout="nested", cutouts="none")
    nest = scene.meta["nested"]
    holder = scene.objects[nest["holder"]]
    hx0, hy0, hx1, hy1 = holder.visible_box
    assert 2 <= len(nest["resting"]) <= 4
    for k in nest["resting"]:
        o = scene.objects[k]
        assert not (o.amodal_mask & ~holder.amodal_mask).any()
        assert o.depth < holder.depth
        x0, y0, x1, y1 = o.visible_box
        assert hx0 <= x0 and hy0 <= y0 and x1 <= hx1 and y1 <= hy1


def test_similar_scene_objects_share_a_hue():
    scene = make_crowd_scene(2, size=(200, 150), n_objects=8, similar=True, cutouts="none")
    hues = []
    for o in scene.objects:
        rgb = (scene.image[o.visible_mask] * 255).astype(np.uint8)[None]
        hues.append(float(np.median(cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[0, :, 0])))
    assert max(hues) - min(hues) <= 12  # OpenCV hue runs 0..180
    assert all(o.source.startswith("similar:") for o in scene.objects)


def test_bad_layout_names_the_argument():
    with pytest.raises(InputError, match="`layout`.*'stacked'"):
        make_crowd_scene(0, layout="stacked")
    with pytest.raises(InputError, match="`n_objects`"):
        make_crowd_scene(0, n_objects=(8, 40))


def _dish_with_cups():
    """A dish with two cups resting on it, all of one colour; only a dark rim around each cup marks it."""
    rng = np.random.default_rng(0)
    h, w = 120, 160
    img = np.full((h, w, 3), (0.15, 0.35, 0.2), np.float32)
    dish = np.zeros((h, w), np.uint8)
    cv2.ellipse(dish, (80, 60), (70, 52), 0, 0, 360, 1, -1)
    img[dish > 0] = (0.85, 0.84, 0.8)
    cups = []
    for cx, cy in ((55, 55), (105, 65)):
        c = np.zeros((h, w), np.uint8)
        cv2.circle(c, (cx, cy), 16, 1, -1)
        ring = cv2.circle(np.zeros((h, w), np.uint8), (cx, cy), 14, 1, 2) > 0  # the cup's own dark rim
        img[ring] = (0.3, 0.3, 0.3)
        cups.append(c > 0)
    img = np.clip(img + rng.normal(0, 0.01, img.shape), 0, 1).astype(np.float32)
    return img, dish > 0, cups


def _box(mask, h, w, pad=1):
    x0, y0, x1, y1 = bbox(mask)
    out = np.zeros((h, w), bool)
    out[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad] = True
    return out


def test_nested_boxes_the_holder_does_not_swallow_what_rests_on_it():
    img, dish, cups = _dish_with_cups()
    h, w = dish.shape
    masks = [dish, *cups]  # the dish's own segmentation swallows the cups, as a box around it does
    valid = [_box(m, h, w) for m in masks]
    truth = [dish & ~cups[0] & ~cups[1], *cups]
    out = joint_labelling(img, masks, valid, seed=0)
    assert all(iou(o, t) > 0.9 for o, t in zip(out, truth)), [iou(o, t) for o, t in zip(out, truth)]
    # without the nesting rule the cut cannot tell them apart (same colour): the dish keeps most of the cups
    plain = joint_labelling(img, masks, valid, nest=0.0, seed=0)
    assert iou(plain[1], truth[1]) < 0.5 and iou(plain[2], truth[2]) < 0.5


def test_an_object_the_cut_erased_gets_its_own_mask_back():
    h, w = 40, 50
    a = np.zeros((h, w), bool)
    a[5:20, 5:20] = True
    b = np.zeros((h, w), bool)
    b[10:30, 15:40] = True
    valid = [np.ones((h, w), bool)] * 2
    cut = [np.zeros((h, w), bool), b.copy()]  # the cut gave a's pixels to b and the background
    out = _never_lost(cut, [a, b], valid, [0, 1], 0.5)
    assert np.array_equal(out[0], a & ~b) and np.array_equal(out[1], b)
    kept = [a & ~b, b.copy()]  # nothing lost: nothing changes
    out = _never_lost([m.copy() for m in kept], [a, b], valid, [0, 1], 0.5)
    assert all(np.array_equal(x, y) for x, y in zip(out, kept))


def test_expansion_restricted_to_movable_pixels_gives_the_same_labels():
    rng = np.random.default_rng(4)
    h, w, n = 12, 15, 4
    unary = rng.uniform(0, 2, (h, w, n))
    movable = [np.ones((h, w), bool)] + [rng.random((h, w)) < 0.4 for _ in range(n - 1)]
    for k in range(1, n):
        unary[~movable[k], k] = 1e9
    weights = [rng.uniform(0, 1, (h, w)) for _ in _OFFSETS]
    start = np.zeros((h, w), np.int64)
    full = alpha_expansion(unary, weights, start)
    fast = alpha_expansion(unary, weights, start, movable=movable)
    assert np.array_equal(full, fast)


def test_contrast_ignores_neighbours_of_the_same_colour():
    img = np.full((60, 80, 3), (0.2, 0.5, 0.2), np.float32)
    obj = np.zeros((60, 80), bool)
    obj[20:40, 20:40] = True
    nb = np.zeros_like(obj)
    nb[15:45, 40:55] = nb[40:45, 15:45] = True  # a neighbour along two sides of the object
    img[obj | nb] = (0.8, 0.3, 0.3)
    alone = object_contrast(img, obj, ring=4)
    assert alone < 0.03  # the neighbour's half of the ring explains every pixel
    assert object_contrast(img, obj, ring=4, exclude=nb) > 0.9


def test_an_object_of_the_background_colour_still_has_an_edge():
    rng = np.random.default_rng(0)
    img = np.clip(0.5 + rng.normal(0, 0.01, (60, 80, 3)), 0, 1).astype(np.float32)  # noisy grey background
    obj = np.zeros((60, 80), bool)
    obj[20:40, 25:50] = True
    blank = contour_contrast(img, obj, ring=4)  # a box cut out of empty background: no edge where it ends
    img[obj] *= 0.8  # the same colour, a little darker (shading): only its edge marks it
    shaded = contour_contrast(img, obj, ring=4)
    assert blank < 1.5 < MIN_EDGE < shaded
    assert contour_contrast(img, np.zeros_like(obj), ring=4) == 0.0


def test_crowd_benchmark_smoke(tmp_path):
    out = tmp_path / "crowd.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "crowd_benchmark.py"), "--smoke", "--sets",
                           "touching", "nested", "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "| touching | 1 / 8 |" in proc.stdout and "nested - touching" in proc.stdout
    summary = json.loads(out.read_text())["summary"]
    for s in summary.values():
        assert 0 <= s["alone"] <= 1 and 0 <= s["decompose"] <= 1 and 0 <= s["grabcut"] <= 1
        assert s["decompose"] >= s["alone"] - 0.05, summary
