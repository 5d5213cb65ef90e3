"""peel.snap: the boundary between a resting object and its holder moves to the image's edges between them."""

from __future__ import annotations

import numpy as np
import pytest

from paintseg_layers.masks import iou
from paintseg_layers.peel.snap import snap_nested

RED = np.array([0.6, 0.15, 0.1], np.float32)


def _scene(*, stripes: bool = False, seed: int = 0):
    """A red square (rows 40-129, columns 55-144) with a lit rim resting on a red disc, on a grey table; the
    square casts a shadow of the disc's red at a fifth of its lightness below its outline (rows 130-139)."""
    yy, xx = np.mgrid[:200, :200]
    image = np.full((200, 200, 3), 0.55, np.float32)
    disc = (yy - 100) ** 2 + (xx - 100) ** 2 <= 95**2
    image[disc] = RED
    if stripes:  # a textured holder: its stripes have edges too
        image[disc & ((xx // 4) % 2 == 0)] = (0.1, 0.5, 0.2)
    square = (yy >= 40) & (yy < 130) & (xx >= 55) & (xx < 145)
    image[square] = RED * 1.05
    image[square & ~((yy >= 41) & (yy < 129) & (xx >= 56) & (xx < 144))] = RED * 1.5  # its lit rim
    shadow = disc & ~square & (yy >= 130) & (yy < 140) & (xx >= 50) & (xx < 150)
    image[shadow] = RED * 0.2
    image += np.random.default_rng(seed).normal(0, 0.005, image.shape).astype(np.float32)
    box = np.zeros((200, 200), bool)
    box[36:134, 51:149] = True
    return np.clip(image, 0, 1), square, disc, shadow, [box, np.ones((200, 200), bool)]


def _snap(image, square, disc, valid):
    return snap_nested(image, [square, disc & ~square], valid)


def test_the_part_of_the_resting_object_its_holder_took_comes_back_to_its_outline():
    image, square, disc, _, valid = _scene()
    cut = square & (np.mgrid[:200, :200][0] < 121)  # the joint cut stopped 9 rows short: the colours are alike
    out = _snap(image, cut, disc, valid)
    assert iou(cut, square) < 0.91
    assert iou(out[0], square) > 0.98, iou(out[0], square)
    assert not (out[0] & out[1]).any()


def test_the_shadow_the_resting_object_took_goes_back_to_its_holder():
    image, square, disc, shadow, valid = _scene()
    took = shadow & (np.mgrid[:200, :200][0] < 134)  # the cut ended inside the shadow, on no edge: as dark as it
    out = _snap(image, square | took, disc, valid)
    assert (out[0] & shadow).sum() < 0.1 * took.sum(), (out[0] & shadow).sum()
    assert (out[1] & took).sum() > 0.9 * took.sum()
    assert iou(out[0], square) > 0.98


@pytest.mark.parametrize("stripes", [False, True])
def test_a_boundary_on_the_outline_stays(stripes):
    image, square, disc, _, valid = _scene(stripes=stripes)
    out = _snap(image, square, disc, valid)
    assert iou(out[0], square) > 0.995, iou(out[0], square)


def test_objects_resting_on_nothing_are_left_alone():
    image, square, disc, shadow, valid = _scene()
    masks = [square | shadow, disc & ~square & ~shadow]
    out = snap_nested(image, masks, [np.ones((200, 200), bool)] * 2)  # neither box inside the other
    assert all((o == m).all() for o, m in zip(out, masks))


def test_a_touching_pair_with_nothing_to_trade_inside_the_valid_regions_is_left_alone():
    """A generated scene (33224, over half of the cut-outs) crashed the first pass here: the band of pixels either
    object could give inside the other's valid region was empty. Here the resting object's mask meets its holder
    only outside the holder's region, and the holder's pixels there lie outside the object's."""
    holder_valid, object_valid = np.zeros((120, 160), bool), np.zeros((120, 160), bool)
    holder_valid[20:100, 20:140] = True
    object_valid[40:60, 40:60] = True  # nested in the holder's region
    holder, resting = holder_valid.copy(), np.zeros((120, 160), bool)
    resting[10:20, 40:60] = True  # strays out of both regions, touching the holder's top edge
    image = np.full((120, 160, 3), 0.5, np.float32)
    out = snap_nested(image, [holder, resting], [holder_valid, object_valid])
    assert (out[0] == holder).all() and (out[1] == resting).all()
