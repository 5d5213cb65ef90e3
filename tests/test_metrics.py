"""Metrics on tiny arrays whose scores are known exactly; ignore pixels left out."""

from __future__ import annotations

import numpy as np
import pytest

from paintseg_layers.eval.metrics import boundary_f, f_beta, iou, max_f_beta, pixel_accuracy, scores

GT = np.array([[1, 1, 0, 0],
               [1, 1, 0, 0],
               [0, 0, 0, 0],
               [0, 0, 0, 0]], bool)
PRED = np.array([[1, 1, 1, 0],
                 [1, 0, 0, 0],
                 [0, 0, 0, 0],
                 [0, 0, 0, 0]], bool)
IGN = np.zeros((4, 4), bool)
IGN[0, 2] = True  # the one false positive


def test_iou_and_accuracy():
    assert iou(PRED, GT) == pytest.approx(3 / 5)
    assert iou(PRED, GT, IGN) == pytest.approx(3 / 4)
    assert pixel_accuracy(PRED, GT) == pytest.approx(14 / 16)
    assert pixel_accuracy(PRED, GT, IGN) == pytest.approx(14 / 15)
    assert iou(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0


def test_f_beta_binary():
    p, r, b2 = 3 / 4, 3 / 4, 0.3
    assert f_beta(PRED, GT) == pytest.approx((1 + b2) * p * r / (b2 * p + r))
    assert f_beta(PRED, GT, IGN) == pytest.approx((1 + b2) * 1 * 0.75 / (b2 + 0.75))
    assert f_beta(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0
    assert f_beta(np.zeros((3, 3)), np.ones((3, 3))) == 0.0


def test_max_f_beta_picks_the_best_threshold():
    soft = np.where(GT, 0.9, 0.1)
    soft[3, 3] = 0.6
    assert max_f_beta(soft, GT) == pytest.approx(1.0)
    assert max_f_beta(soft, GT, IGN) == pytest.approx(1.0)


def test_boundary_f():
    gt = np.zeros((20, 20), bool)
    gt[5:15, 5:15] = True
    assert boundary_f(gt, gt) == 1.0
    shifted = np.roll(gt, 1, axis=1)
    assert boundary_f(shifted, gt, tolerance=1.0) == 1.0
    assert boundary_f(np.roll(gt, 6, axis=1), gt, tolerance=1.0) < 0.5
    assert boundary_f(np.zeros_like(gt), gt) == 0.0


def test_scores_has_every_metric_and_respects_ignore():
    s = scores(PRED, GT, IGN)
    assert set(s) == {"iou", "pixel_accuracy", "f_beta", "boundary_f"}
    assert s["iou"] == pytest.approx(0.75)
    assert scores(PRED, GT, IGN, soft=np.where(GT, 0.9, 0.1))["f_beta"] == pytest.approx(1.0)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="same shape"):
        iou(np.zeros((2, 2)), np.zeros((3, 3)))


def test_scene_interval_brackets_the_ratio_and_matches_the_binomial_width():
    from paintseg_layers.eval.metrics import scene_interval

    rng = np.random.default_rng(3)
    hits = rng.binomial(1, 0.9, 400)  # one pair a scene: the ratio is a binomial proportion
    counts = np.ones(400)
    lo, hi = scene_interval(hits, counts)
    p = hits.mean()
    assert lo < p < hi
    wald = 2 * 1.96 * np.sqrt(p * (1 - p) / 400)
    assert abs((hi - lo) - wald) < 0.2 * wald, (hi - lo, wald)
    assert scene_interval(hits, counts) == (lo, hi)  # seeded
    # scenes resampled whole: the same (independent) pairs lumped ten to a scene give no narrower an interval
    lumped = scene_interval(hits.reshape(40, 10).sum(1), counts.reshape(40, 10).sum(1))
    assert lumped[1] - lumped[0] > 0.9 * (hi - lo)
    assert scene_interval([2, 3], [2, 3]) == (1.0, 1.0)
    assert all(np.isnan(scene_interval([1, 0], [1, 0])))  # one scene with a count: no interval
