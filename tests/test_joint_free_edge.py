"""The joint cut's label-pair costs: a free object's border with the background pays ``free_edge`` of the weight."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import grid_energy

from paintseg_layers.amcp.refine import _OFFSETS
from paintseg_layers.peel.joint import alpha_expansion, joint_labelling, label_costs


def test_label_costs_halve_only_the_free_objects_border_with_the_background():
    # label 1 rests on label 2 (holders are 1-based labels); label 3 rests on nothing and holds nothing
    pair = label_costs([{2}, set(), set()], 0.5)
    assert pair[0, 3] == pair[3, 0] == 0.5
    assert pair[0, 1] == pair[0, 2] == 1.0  # nested objects keep the whole weight
    assert pair[1, 3] == pair[2, 3] == pair[1, 2] == 1.0  # so do two objects side by side
    assert (np.diag(pair) == 0).all()
    assert label_costs([{2}, set()], 0.5) is None  # nothing free: the plain Potts model
    assert label_costs([set(), set()], 1.0) is None


def test_two_label_expansion_with_label_costs_finds_the_exact_minimum():
    rng = np.random.default_rng(4)
    h, w = 3, 4
    pair = np.array([[0.0, 0.5], [0.5, 0.0]])
    for _ in range(4):
        unary = rng.uniform(0, 2, (h, w, 2))
        weights = [rng.uniform(0, 2, (h, w)) for _ in _OFFSETS]
        got = alpha_expansion(unary, weights, np.zeros((h, w), np.int64), label_pairs=pair)
        best = min(grid_energy(np.array(c).reshape(h, w), unary, weights, pair)
                   for c in itertools.product((0, 1), repeat=h * w))
        assert grid_energy(got, unary, weights, pair) == pytest.approx(best)


def test_three_label_expansion_with_metric_label_costs_never_raises_thegrid_energy():
    rng = np.random.default_rng(5)
    pair = np.array([[0.0, 0.5, 1.0], [0.5, 0.0, 1.0], [1.0, 1.0, 0.0]])
    unary = rng.uniform(0, 2, (6, 7, 3))
    weights = [rng.uniform(0, 1, (6, 7)) for _ in _OFFSETS]
    start = rng.integers(0, 3, (6, 7))
    got = alpha_expansion(unary, weights, start.copy(), label_pairs=pair)
    assert grid_energy(got, unary, weights, pair) <= grid_energy(start, unary, weights, pair) + 1e-9


def _bay_scene():
    """A blue U on noisy grey: its first-pass mask filled the U's 4 px bay of background; a red square beside it."""
    rng = np.random.default_rng(0)
    h, w = 80, 120
    img = np.full((h, w, 3), (0.55, 0.5, 0.45), np.float32) + rng.normal(0, 0.12, (h, w, 3)).astype(np.float32)
    u = np.zeros((h, w), bool)
    u[15:65, 10:50] = True
    bay = np.zeros((h, w), bool)
    bay[15:50, 28:32] = True
    u &= ~bay
    img[u] = np.array((0.15, 0.25, 0.75)) + rng.normal(0, 0.12, (int(u.sum()), 3))
    square = np.zeros((h, w), bool)
    square[20:60, 70:105] = True
    img[square] = (0.8, 0.2, 0.1)
    first = np.zeros((h, w), bool)
    first[15:65, 10:50] = True
    return np.clip(img, 0, 1), [first, square], u, bay


def test_a_free_objects_bay_of_background_goes_back_to_the_background():
    img, first, u, bay = _bay_scene()
    whole = joint_labelling(img, first, free_edge=1.0)  # the full weight: the short boundary across the bay wins
    out = joint_labelling(img, first)
    assert whole[0][bay].mean() > 0.9
    assert out[0][bay].mean() < 0.1
    iou = (out[0] & u).sum() / (out[0] | u).sum()
    assert iou > 0.98 > (whole[0] & u).sum() / (whole[0] | u).sum()
    assert (out[1] == first[1]).mean() > 0.99  # the square is unchanged


def test_nested_objects_keep_the_plain_potts_cut():
    """A small object inside a larger one's box: no free object, so the labels are those of ``free_edge=1``."""
    img, first, _, _ = _bay_scene()
    inner = np.zeros_like(first[0])
    inner[30:45, 15:25] = True
    valid = [np.zeros_like(inner) for _ in range(2)]
    valid[0][12:68, 7:53] = True  # the U's box, grown
    valid[1][28:47, 13:27] = True  # the small object's, inside it
    masks = [first[0], inner]
    plain = joint_labelling(img, masks, valid, free_edge=1.0)
    assert all((a == b).all() for a, b in zip(joint_labelling(img, masks, valid), plain))
    free = zip(joint_labelling(img, first, free_edge=1.0), joint_labelling(img, first))
    assert not all((a == b).all() for a, b in free)  # the same U beside a square, both free: the bay differs
