"""The click simulator on synthetic masks whose right click positions are known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from paintseg_layers.errors import InputError
from paintseg_layers.eval.clicks import Click, interior_point, iou_after, next_click, noc, simulate_clicks


def square(shape, x0, y0, x1, y1):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def test_interior_point_of_odd_square_is_its_centre():
    assert interior_point(square((40, 50), 10, 5, 21, 16)) == (15, 10)


def test_interior_point_treats_the_image_border_as_an_edge():
    # a region touching the left border: the interior-most point is not on the border
    m = square((20, 20), 0, 5, 9, 14)
    assert interior_point(m) == (4, 9)


def test_interior_point_rejects_empty_region():
    with pytest.raises(InputError, match="region"):
        interior_point(np.zeros((5, 5), bool))


def test_first_click_is_at_the_object_centre():
    gt = square((60, 60), 20, 10, 41, 31)
    assert next_click(np.zeros_like(gt), gt) == Click(30, 20, True)


def test_positive_click_in_the_largest_missed_region():
    gt = square((60, 80), 5, 5, 16, 16) | square((60, 80), 40, 30, 61, 51)  # small 11x11, big 21x21
    assert next_click(np.zeros_like(gt), gt) == Click(50, 40, True)
    # once the big one is found, the small one is next
    assert next_click(square((60, 80), 40, 30, 61, 51), gt) == Click(10, 10, True)


def test_negative_click_in_a_false_region_larger_than_the_miss():
    gt = square((60, 80), 10, 10, 31, 31)
    pred = gt.copy()
    pred[10:13, 10:13] = False  # 9 px missed
    pred |= square((60, 80), 50, 20, 65, 35)  # 15x15 false region
    assert next_click(pred, gt) == Click(57, 27, False)


def test_ignored_errors_give_no_click():
    gt = square((30, 30), 5, 5, 20, 20)
    pred = square((30, 30), 5, 5, 21, 20)  # one false column
    ignore = square((30, 30), 20, 0, 21, 30)
    assert next_click(pred, gt, ignore) is None
    assert next_click(gt, gt) is None


def test_noc_and_iou_after():
    assert noc([0.5, 0.86, 0.91], 0.85) == 2
    assert noc([0.5, 0.86, 0.91], 0.90) == 3
    assert noc([0.5, 0.6], 0.90, max_clicks=20) == 20
    assert iou_after([0.5, 0.95], 5) == 0.95  # held after an early stop
    assert iou_after([0.5, 0.95], 1) == 0.5


def oracle_components(gt):
    """A fake segmenter: the ground-truth components hit by positive clicks, less those hit by negatives."""
    from scipy import ndimage as ndi

    lab, _ = ndi.label(gt)

    def seg(clicks, previous):
        out = np.zeros(gt.shape, bool)
        for c in clicks:
            if c.positive and lab[c.y, c.x]:
                out |= lab == lab[c.y, c.x]
        return out

    return seg


def test_simulate_clicks_two_objects():
    shape = (60, 80)
    big, small = square(shape, 40, 30, 61, 51), square(shape, 5, 5, 16, 16)
    gt = big | small
    tr = simulate_clicks(oracle_components(gt), gt, max_clicks=20)
    assert tr.clicks == (Click(50, 40, True), Click(10, 10, True))
    assert tr.ious[0] == pytest.approx(441 / (441 + 121))
    assert tr.ious[1] == 1.0
    assert tr.noc(0.85) == 2 and tr.noc(0.90) == 2
    assert tr.mask.sum() == gt.sum()


def test_simulate_clicks_negative_click_removes_false_region():
    shape = (60, 80)
    gt = square(shape, 10, 10, 31, 31)
    false = square(shape, 50, 20, 65, 35)

    def seg(clicks, previous):
        return gt | (false if all(c.positive for c in clicks) else np.zeros(shape, bool))

    tr = simulate_clicks(seg, gt, max_clicks=20)
    assert tr.clicks == (Click(20, 20, True), Click(57, 27, False))
    assert tr.ious == (pytest.approx(441 / (441 + 225)), 1.0)


def test_simulate_clicks_never_reaching_counts_max_clicks_and_stops_early_after_min():
    gt = square((40, 40), 10, 10, 30, 30)
    calls = []

    def nothing(clicks, previous):
        calls.append(len(clicks))
        return np.zeros(gt.shape, bool)

    tr = simulate_clicks(nothing, gt, max_clicks=7)
    assert len(tr.ious) == 7 and tr.noc(0.85) == 7
    assert calls == list(range(1, 8))

    def perfect_after_two(clicks, previous):
        return gt if len(clicks) >= 2 else square(gt.shape, 10, 10, 20, 30)

    tr = simulate_clicks(perfect_after_two, gt, max_clicks=20, min_clicks=5)
    assert len(tr.ious) == 2  # no error left to click on: stop
    assert tr.noc(0.90) == 2


def test_simulate_clicks_rejects_bad_input():
    with pytest.raises(InputError, match="gt"):
        simulate_clicks(lambda c, p: None, np.zeros((5, 5), bool))
    with pytest.raises(InputError, match="max_clicks"):
        simulate_clicks(lambda c, p: None, np.ones((5, 5), bool), max_clicks=0)
