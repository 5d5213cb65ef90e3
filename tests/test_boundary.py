"""The full-resolution boundary re-cut after the working-resolution refinement (issue 17, small objects)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_object_scene

from paintseg_layers import BoxPrompt, Segmenter
from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.amcp.refine import refine_boundary
from paintseg_layers.errors import InputError
from paintseg_layers.masks import dilate, erode, iou, resize_nearest


def _ellipse_with_a_stick():
    """An ellipse with a 3 px wide stick: a quarter-resolution mask loses the stick and blurs the rim."""
    img, gt, box = make_object_scene(h=240, w=320, box=(60, 60, 200, 180), seed=3)
    gt = gt.copy()
    gt[110:116, 200:290] = True  # a thin handle reaching out of the box
    img[110:116, 200:290] = (0.85, 0.15, 0.1)
    return img, gt


def test_the_band_cut_recovers_detail_lost_at_working_resolution():
    img, gt = _ellipse_with_a_stick()
    coarse = resize_nearest(resize_nearest(gt, (60, 80)), gt.shape)
    out = refine_boundary(img, coarse, width=8, seed=0)
    assert iou(out, gt) > iou(coarse, gt) + 0.02
    assert iou(out, gt) > 0.95
    assert out[112, 280]  # the stick is back


def test_the_band_cut_changes_only_the_band_and_keeps_the_valid_region():
    img, gt = _ellipse_with_a_stick()
    coarse = resize_nearest(resize_nearest(gt, (60, 80)), gt.shape)
    assert np.array_equal(refine_boundary(img, coarse, width=0), coarse)
    out = refine_boundary(img, coarse, width=4, seed=0)
    assert not (out & ~dilate(coarse, 4)).any() and (out | ~erode(coarse, 4)).all()
    valid = np.zeros_like(gt)
    valid[:, :150] = True
    assert not (refine_boundary(img, coarse, width=8, valid=valid, seed=0) & ~valid).any()


def test_a_box_longer_than_max_side_is_cut_smaller_and_still_only_in_the_band():
    img, gt = _ellipse_with_a_stick()
    coarse = resize_nearest(resize_nearest(gt, (60, 80)), gt.shape)
    out = refine_boundary(img, coarse, width=8, max_side=96, seed=0)
    assert not (out & ~dilate(coarse, 9)).any() and (out | ~erode(coarse, 9)).all()
    assert iou(out, gt) > iou(coarse, gt)


def test_segment_at_half_resolution_gains_from_the_band():
    img, gt = _ellipse_with_a_stick()
    prompt = BoxPrompt((56, 56, 296, 184))
    cfg = AMCPConfig(samples=3, paint_result=False, working_size=160)
    with_band = Segmenter(img, config=cfg).segment(prompt, seed=0).mask
    without = Segmenter(img, config=AMCPConfig(samples=3, paint_result=False, working_size=160,
                                               boundary_band=0.0)).segment(prompt, seed=0).mask
    assert iou(with_band, gt) > iou(without, gt)


def test_no_band_cut_when_the_view_is_as_fine_as_the_photo():
    """A view at the photo's own resolution has no detail to win back: the re-cut is skipped (peel rounds on
    small analysis images and upsampled object views keep their working-resolution boundary)."""
    img, gt = _ellipse_with_a_stick()
    prompt = BoxPrompt((56, 56, 296, 184))
    masks = [Segmenter(img, config=AMCPConfig(samples=3, paint_result=False, working_size=320, boundary_band=band))
             .segment(prompt, seed=0).mask for band in (0.1, 0.0)]
    assert np.array_equal(*masks)
    coarse = [Segmenter(img, config=AMCPConfig(samples=3, paint_result=False, working_size=160, boundary_band=band))
              .segment(prompt, seed=0).mask for band in (0.1, 0.0)]
    assert not np.array_equal(*coarse)


@pytest.mark.parametrize("value", [-0.1, 0.9, "wide", float("nan")])
def test_boundary_band_is_checked(value):
    with pytest.raises(InputError, match="`boundary_band`"):
        AMCPConfig(boundary_band=value)
