"""Object-scale working views (issue 17 item 1) and the confidence of a segmentation (item 2)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import make_object_scene

from paintseg_layers import BoxPrompt, Segmenter, decompose
from paintseg_layers.amcp import AMCPConfig, refine_mask
from paintseg_layers.amcp.confidence import confidence_of, step_evidence
from paintseg_layers.amcp.objectscale import object_view_geometry
from paintseg_layers.errors import InputError
from paintseg_layers.masks import iou
from paintseg_layers.prompts import MaskPrompt, PointPrompt, ScribblePrompt

FAST = AMCPConfig(samples=3, paint_result=False)


def _small_object(seed=0):
    """A 640 x 480 photo-like scene with a 36 x 28 px object (0.3 % of the image)."""
    return make_object_scene(h=480, w=640, seed=seed, box=(402, 300, 438, 328), colour=(0.8, 0.3, 0.15))


def test_small_object_gets_an_upsampled_crop_and_beats_the_whole_image_path():
    img, gt, box = _small_object()
    prompt = BoxPrompt((398, 296, 442, 332))
    # without the full-resolution boundary re-cut, which lifts both paths to the same answer here
    view = AMCPConfig(samples=3, paint_result=False, boundary_band=0.0)
    obj = Segmenter(img, config=view).segment(prompt, seed=0)
    whole = Segmenter(img, config=replace(view, object_scale=False)).segment(prompt, seed=0)
    x0, y0, x1, y1 = obj.working_box
    sx = obj.working_shape[1] / (x1 - x0)
    assert (x0, y0) > (0, 0) and (x1, y1) < (640, 480)  # a crop, not the photo
    assert sx == pytest.approx(view.max_upscale, rel=0.02)  # full resolution (the whole-image path: half)
    assert whole.working_shape[1] / 640 == 0.5
    assert obj.mask.shape == gt.shape and not obj.mask[:, :380].any()
    assert iou(obj.mask, gt) > 0.9
    assert iou(obj.mask, gt) > iou(whole.mask, gt) + 0.02


def test_views_follow_the_prompt_kind_and_the_config():
    shape = (480, 640)
    cfg = AMCPConfig(max_upscale=4.0)
    box_view = object_view_geometry(BoxPrompt((300, 200, 340, 240)), shape, cfg)
    (x0, y0, x1, y1), (h, w) = box_view
    assert x0 < 300 and x1 > 340 and max(h, w) <= cfg.working_size
    # a 40 px box is enlarged, but no more than max_upscale
    assert 3 < w / (x1 - x0) <= cfg.max_upscale
    mask = np.zeros(shape, bool)
    mask[100:160, 50:150] = True
    (mx0, my0, mx1, my1), _ = object_view_geometry(MaskPrompt(mask), shape, cfg)
    assert mx0 <= 50 and mx1 >= 150 and my0 <= 100 and my1 >= 160
    # a large object is already seen in detail by the whole-image view: it keeps that view
    assert object_view_geometry(BoxPrompt((50, 40, 600, 440)), shape, cfg) is None
    # clicks and scribbles do not bound the object: whole image
    assert object_view_geometry(PointPrompt(((320, 240),)), shape, cfg) is None
    assert object_view_geometry(ScribblePrompt(mask), shape, cfg) is None
    assert object_view_geometry(BoxPrompt((300, 200, 340, 240)), shape, AMCPConfig(object_scale=False)) is None


def test_a_large_object_in_a_huge_photo_stays_at_working_size():
    img, gt, _ = make_object_scene(h=900, w=1200, box=(100, 100, 1100, 800))
    res = Segmenter(img, config=FAST).segment(BoxPrompt((90, 90, 1110, 810)), seed=0)
    assert max(res.working_shape) <= FAST.working_size
    assert iou(res.mask, gt) > 0.9


@pytest.mark.parametrize(("field", "value"), [("object_size", 4), ("context", -1.0), ("max_upscale", 0.5),
                                              ("trust", 1.5), ("object_scale", "yes")])
def test_object_scale_settings_are_checked(field, value):
    with pytest.raises(InputError, match=f"`{field}`"):
        AMCPConfig.from_dict({field: value})


def test_confidence_is_low_on_a_flat_region_and_high_on_a_distinct_object():
    img, gt, box = make_object_scene(h=240, w=320, box=(120, 80, 200, 150))
    seg = Segmenter(img, config=FAST)
    on_object = seg.segment(BoxPrompt((112, 72, 208, 158)), seed=0)
    flat = seg.segment(BoxPrompt((10, 160, 90, 230)), seed=0)  # background texture only
    assert 0 <= flat.confidence < on_object.confidence <= 1
    assert on_object.confidence > 0.75 and on_object.confidence > flat.confidence + 0.1
    assert set(on_object.evidence) == {"contrast", "agreement", "stability"}
    d = json.loads(json.dumps(on_object.to_dict()))
    assert d["confidence"] == pytest.approx(on_object.confidence) and d["working_box"] == list(on_object.working_box)


def test_weak_evidence_falls_back_to_the_prompt_alone():
    img, gt, box = make_object_scene(h=240, w=320, box=(120, 80, 200, 150))
    prompt = BoxPrompt((100, 60, 230, 170))
    runs = {t: Segmenter(img, config=AMCPConfig(samples=3, paint_result=False, trust=t, object_scale=False))
            .segment(prompt, seed=0) for t in (0.0, 1.0)}
    assert runs[1.0].confidence == runs[0.0].confidence < 1.0
    assert np.array_equal(runs[1.0].amcp_mask, runs[0.0].amcp_mask)
    # trusting nothing, the AMCP votes do not reach the result: it is the colour graph cut from the prompt alone
    start, valid = prompt.initial_mask(gt.shape), prompt.valid_region(gt.shape)
    alone = refine_mask(img, start.astype(np.float32), start, valid=valid, weight=0.0, seed=0)
    assert np.array_equal(runs[1.0].mask, alone)


def test_step_evidence_separates_distinct_from_mixed_potentials():
    rng = np.random.default_rng(0)
    apart = np.concatenate([rng.normal(-8, 1, 500), rng.normal(-2, 1, 500)])  # log potentials
    mixed = np.concatenate([rng.normal(-8, 1, 500), rng.normal(-7.5, 1, 500)])
    frac = np.ones((4, 4))
    painted = np.ones((4, 4), bool)
    hi = step_evidence(apart, apart > -5, frac, painted)["contrast"]
    lo = step_evidence(mixed, mixed > -7.75, frac, painted)["contrast"]
    assert hi > 0.9 > 0.2 > lo
    assert step_evidence(apart, apart > -5, np.full((4, 4), 0.5), painted)["agreement"] == 0
    assert confidence_of([])[0] == 0
    conf, terms = confidence_of([{"contrast": 1.0, "agreement": 1.0, "stability": 0.0}])
    assert conf == 0 and terms["stability"] == 0


def test_decompose_layers_carry_the_confidence():
    img, gt, box = make_object_scene(h=96, w=128, box=(40, 28, 90, 72))
    d = decompose(img, [BoxPrompt((34, 22, 96, 78))], config=AMCPConfig(samples=2), seed=0)
    conf = d.layer(0).scores["confidence"]
    assert 0.5 < conf <= 1 and isinstance(json.loads(json.dumps(conf)), float)
