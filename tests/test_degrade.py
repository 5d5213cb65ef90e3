"""The seeded coarse-mask degradation and generated scribbles."""

from __future__ import annotations

import numpy as np
import pytest

from paintseg_layers.errors import InputError
from paintseg_layers.eval.degrade import DegradeConfig, degrade_mask, generate_scribbles
from paintseg_layers.eval.metrics import iou


def ellipse(h=120, w=160):
    yy, xx = np.mgrid[:h, :w]
    return ((xx - 80) / 45.0) ** 2 + ((yy - 60) / 30.0) ** 2 <= 1


def test_same_seed_same_mask_and_gt_untouched():
    gt = ellipse()
    before = gt.copy()
    a, b = degrade_mask(gt, seed=3), degrade_mask(gt, seed=3)
    assert a.dtype == bool and a.shape == gt.shape
    assert np.array_equal(a, b)
    assert np.array_equal(gt, before)


def test_different_seeds_differ_and_stay_coarse_but_related():
    gt = ellipse()
    masks = [degrade_mask(gt, seed=s) for s in range(6)]
    assert len({m.tobytes() for m in masks}) > 1
    scores = [iou(m, gt) for m in masks]
    assert all(0.3 < v < 0.99 for v in scores), scores


def test_zero_strength_is_identity():
    gt = ellipse()
    out = degrade_mask(gt, seed=0, config=DegradeConfig(simplify=0, shift=0, blobs=0))
    assert np.array_equal(out, gt)


def test_tiny_object_never_vanishes():
    gt = np.zeros((50, 50), bool)
    gt[20:23, 20:23] = True
    for s in range(5):
        assert degrade_mask(gt, seed=s, config=DegradeConfig(shift=2.0, blob_size=3.0)).any()


@pytest.mark.parametrize("kwargs, match", [
    ({"gt": np.zeros((10, 10), bool)}, "gt"),
    ({"gt": np.ones((2, 3, 3), bool)}, "gt"),
    ({"gt": np.ones((10, 10), bool), "seed": -1}, "seed"),
])
def test_bad_input_raises(kwargs, match):
    with pytest.raises(InputError, match=match):
        degrade_mask(**kwargs)


def test_bad_config_raises():
    with pytest.raises(InputError, match="shift"):
        DegradeConfig(shift=-1)
    with pytest.raises(InputError, match="blobs"):
        DegradeConfig(blobs=1.5)


def test_generated_scribbles_lie_on_the_right_side():
    gt = ellipse()
    ignore = np.zeros_like(gt)
    ignore[:, :70] = True
    lab = generate_scribbles(gt, ignore=ignore, seed=1)
    assert lab.dtype == np.uint8 and set(np.unique(lab)) <= {0, 128, 255}
    assert (lab == 255).any() and (lab == 0).any()
    assert gt[lab == 255].all() and not gt[lab == 0].any()
    assert (lab[ignore] == 128).all()
    assert np.array_equal(lab, generate_scribbles(gt, ignore=ignore, seed=1))


def test_config_from_dict_round_trip_and_unknown_keys():
    cfg = DegradeConfig(simplify=0.1, blobs=2)
    assert DegradeConfig.from_dict(cfg.to_dict()) == cfg
    assert DegradeConfig.from_dict({}) == DegradeConfig()
    with pytest.raises(InputError, match=r"unknown degrade setting\(s\) \['shfit'\]; known: \['blob_size', 'blobs', "
                                         r"'shift', 'simplify'\]"):
        DegradeConfig.from_dict({"shfit": 0.2})
    with pytest.raises(InputError, match="must be a dict, got list"):
        DegradeConfig.from_dict([("shift", 0.2)])
