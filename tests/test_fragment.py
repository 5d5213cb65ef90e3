"""A box prompt's refined mask that spans only a fragment of its box is cut again (amcp.fragment)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_object_scene

from paintseg_layers.amcp import AMCPConfig, Segmenter
from paintseg_layers.amcp.fragment import box_span, unfragment
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes import make_scene
from paintseg_layers.image import as_rgb
from paintseg_layers.masks import iou


def test_box_span_is_the_product_of_the_width_and_height_shares_of_the_box():
    mask = np.zeros((40, 60), bool)
    mask[10:20, 5:35] = True  # 30 x 10 px
    assert box_span(mask, (5, 10, 35, 20)) == pytest.approx(1.0)
    assert box_span(mask, (0, 0, 60, 40)) == pytest.approx(30 / 60 * 10 / 40)
    assert box_span(np.zeros_like(mask), (0, 0, 60, 40)) == 0.0
    assert box_span(mask, None) == 1.0


def test_a_fragment_of_a_clear_object_is_cut_again_to_the_object_and_a_whole_mask_is_left_alone():
    image, truth, box = make_object_scene()
    soft = truth.astype(np.float32)
    piece = np.zeros_like(truth)
    piece[40:52, 45:55] = True  # a corner of the ellipse: 10 x 12 px of a 50 x 44 box
    assert box_span(piece, box) < 0.1
    out = unfragment(image, soft, truth, piece, box, min_span=0.5)
    assert box_span(out, box) > 0.9
    assert iou(out, truth) > 0.9
    assert unfragment(image, soft, truth, piece, box, min_span=0.0) is piece  # 0 switches it off
    assert unfragment(image, soft, truth, truth, box, min_span=0.5) is truth  # spans its box: not cut again


def test_fragment_span_is_checked():
    with pytest.raises(InputError, match="fragment_span"):
        AMCPConfig(fragment_span=1.5)


def test_the_peel_benchmark_leopard_whose_refinement_kept_its_tail_is_segmented_whole(grabcut_dir):
    """Peel benchmark scene 2003, object 0: a leopard over a textured photo whose box prompt's refinement
    collapsed onto its dark tail (36 px of an object of about 600); cut again it spans its box."""
    scene = make_scene(2003)
    rgb, prompt, truth = as_rgb(scene.image), scene.prompts("box")[0], scene.objects[0].visible_mask
    cfg = AMCPConfig(working_size=160, samples=5, steps="IOI", paint_result=False)
    off = Segmenter(rgb, config=AMCPConfig(**{**cfg.to_dict(), "fragment_span": 0.0})).segment(prompt, seed=0)
    on = Segmenter(rgb, config=cfg).segment(prompt, seed=0)
    assert box_span(off.mask, prompt.box) < 0.2
    assert box_span(on.mask, prompt.box) > 0.8
    assert iou(on.mask, truth) > iou(off.mask, truth) + 0.3, (iou(off.mask, truth), iou(on.mask, truth))
