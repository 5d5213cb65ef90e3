"""A piece two masks share goes to the one whose contour bounds it (peel.joint.bounded_overlaps)."""

from __future__ import annotations

import numpy as np

from paintseg_layers.peel.joint import bounded_overlaps


def _boxes(h=60, w=80):
    """A back object's mask that swallowed the crown of a front object (crown + stem below it)."""
    back = np.zeros((h, w), bool)
    back[5:40, 10:60] = True  # the back object's mask: its own shape and the front object's crown
    crown = np.zeros((h, w), bool)
    crown[15:30, 25:45] = True  # inside the back mask's interior: only the front's contour ends it
    front = crown.copy()
    front[30:55, 33:36] = True  # the stem reaches out below the back mask
    return back, front, crown


def test_a_tight_front_mask_inside_a_swallowing_mask_gets_the_piece_they_share():
    back, front, crown = _boxes()
    everywhere = [np.ones_like(back)] * 2
    by_colour = [back.copy(), front & ~back]  # what a colour rule gave: the crown to the back object
    out = bounded_overlaps([back, front], by_colour, everywhere)
    assert (out[1] & crown).sum() == crown.sum()
    assert not (out[0] & crown).any()
    assert not (out[0] & out[1]).any()


def test_a_piece_both_contours_bound_alike_stays_as_resolved():
    back, front, _ = _boxes()
    side = np.zeros_like(back)
    side[20:50, 40:75] = True  # overlaps the back mask's corner: each contour bounds the piece on two sides
    resolved = [back.copy(), side & ~back]
    out = bounded_overlaps([back, side], resolved, [np.ones_like(back)] * 2)
    assert all((o == r).all() for o, r in zip(out, resolved))


def test_an_object_resting_on_the_other_is_left_to_the_nested_claims():
    back, front, crown = _boxes()
    valid_back = np.zeros_like(back)
    valid_back[0:58, 5:65] = True
    valid_front = np.zeros_like(back)
    valid_front[14:57, 24:46] = True  # the front object's box lies inside the back one's: it rests on it
    resolved = [back.copy(), front & ~back]
    out = bounded_overlaps([back, front], resolved, [valid_back, valid_front])
    assert (out[0] & crown).sum() == crown.sum()
