"""Hidden shapes from the continuation of the visible contour (issue 18), on scenes whose answer is known."""

from __future__ import annotations

import cv2
import numpy as np

from paintseg_layers.masks import iou
from paintseg_layers.peel.amodal import nearest_fill, shape_hidden, supporting_halfplanes


def _scene(kind: str):
    """An object of ``kind`` half under a disc occluder: (amodal truth, visible part, occluder)."""
    truth = np.zeros((120, 160), np.uint8)
    if kind == "rectangle":
        truth[30:90, 20:100] = 1
    else:
        cv2.ellipse(truth, (60, 60), (45, 30), 20, 0, 360, 1, -1)
    occluder = np.zeros((120, 160), np.uint8)
    cv2.circle(occluder, (100, 80), 30, 1, -1)
    truth, occluder = truth > 0, occluder > 0
    return truth, truth & ~occluder, occluder


def test_sides_continue_across_the_occluder_and_a_chord_does_not_bound_it():
    truth, vis, occ = _scene("rectangle")
    lower, upper = supporting_halfplanes(vis, occ)
    assert lower.sum() < truth.sum()  # the hull cuts the hidden corner off
    assert (truth & ~upper).sum() <= 0.01 * truth.sum()  # the continued sides contain the whole rectangle
    assert iou(upper & (vis | occ), truth) > 0.97


def test_shape_completion_beats_the_nearest_owner_rule():
    for kind in ("rectangle", "ellipse"):
        truth, vis, occ = _scene(kind)
        front = occ & ~vis
        shape = vis | shape_hidden(vis, front, [occ])
        nearest = vis | nearest_fill([vis, occ], front)[0]
        assert not (shape & ~(vis | front)).any()  # hidden parts only where something is in front
        # the rectangle's corner: the nearest rule already gets it; the ellipse's cap: only the fitted contour does
        assert iou(shape, truth) >= iou(nearest, truth) + (0.02 if kind == "ellipse" else 0.0), kind
        assert iou(shape, truth) > 0.95, kind


def test_no_front_no_hidden_part():
    truth, vis, _ = _scene("ellipse")
    assert not shape_hidden(vis, np.zeros_like(vis), []).any()
