from dataclasses import replace

import numpy as np
import pytest
from conftest import make_object_scene

from paintseg_layers import AMCPConfig, BoxPrompt, InputError, MaskPrompt, PointPrompt, Segmenter, segment
from paintseg_layers.amcp import paint_out
from paintseg_layers.amcp.clustering import kmeans_1d
from paintseg_layers.eval.metrics import iou
from paintseg_layers.painters import BasePainter, get_painter

FAST = AMCPConfig(samples=3)


def test_box_prompt_finds_the_object(scene):
    img, gt, box = scene
    res = segment(img, BoxPrompt((box[0] - 8, box[1] - 8, box[2] + 8, box[3] + 8)), config=FAST, seed=0)
    assert iou(res.mask, gt) > 0.9
    assert iou(res.amcp_mask, gt) > 0.75, "the AMCP signal alone must already find most of the object"
    assert res.mask.shape == gt.shape and res.mask.dtype == bool
    assert res.soft.dtype == np.float32 and 0 <= res.soft.min() and res.soft.max() <= 1
    assert [h.kind for h in res.history] == list(FAST.steps)
    # the painting removes the object: inside it looks like the background, outside untouched
    assert np.abs(res.painting[gt] - np.array([0.85, 0.15, 0.1])).mean() > 0.25
    from paintseg_layers.masks import dilate

    far = ~dilate(res.mask, 8)
    assert np.array_equal(res.painting[far], img[far])


def test_i_step_shrinks_and_o_step_grows(scene):
    img, gt, box = scene
    res = segment(img, BoxPrompt((box[0] - 10, box[1] - 10, box[2] + 10, box[3] + 10)),
                  config=replace(FAST, refine=False, steps="IO"), seed=0)
    i_rec, o_rec = res.history
    assert i_rec.area_after < i_rec.area_before
    assert o_rec.area_after >= o_rec.area_before


def test_mask_prompt_refines_a_coarse_mask(scene):
    img, gt, _ = scene
    coarse = np.zeros_like(gt)
    ys, xs = np.nonzero(gt)
    coarse[ys.min() - 6 : ys.max() + 7, xs.min() - 6 : xs.max() - 10] = True  # too big on 3 sides, too small on 1
    res = segment(img, MaskPrompt(coarse), config=FAST, seed=0)
    assert iou(res.mask, gt) > iou(coarse, gt) + 0.1


def test_point_prompt(scene):
    img, gt, _ = scene
    res = segment(img, PointPrompt(((65, 50),)), config=FAST, seed=0)
    assert iou(res.mask, gt) > 0.8


def test_same_seed_same_mask_and_different_seed_different_painting(scene):
    img, gt, box = scene
    p = BoxPrompt((box[0] - 8, box[1] - 8, box[2] + 8, box[3] + 8))
    a = segment(img, p, config=FAST, seed=5)
    b = segment(img, p, config=FAST, seed=5)
    assert np.array_equal(a.mask, b.mask) and np.array_equal(a.soft, b.soft)
    painter = get_painter("patchmatch")
    pa = painter.paint(img, gt, n=1, seed=1)
    pb = painter.paint(img, gt, n=1, seed=2)
    assert not np.array_equal(pa, pb)


def test_large_image_runs_at_working_size():
    img, gt, box = make_object_scene(h=400, w=600, box=(200, 120, 420, 300))
    res = Segmenter(img, config=FAST).segment(BoxPrompt((180, 100, 440, 320)), seed=0)
    assert res.mask.shape == (400, 600)
    assert max(res.working_shape) == FAST.working_size
    assert iou(res.mask, gt) > 0.9


def test_segmenter_answers_many_prompts(scene):
    img, gt, box = scene
    seg = Segmenter(img, config=replace(FAST, paint_result=False))
    r1 = seg.segment(BoxPrompt((30, 20, 100, 80)), seed=0)
    corner = BoxPrompt((0, 0, 20, 20))
    r2 = seg.segment(corner, seed=0)  # empty background corner: a result inside the valid region, not a crash
    assert r1.painting is None and iou(r1.mask, gt) > 0.85
    assert not (r2.mask & ~corner.valid_region(gt.shape)).any()
    assert not (r2.mask & gt).any()


def test_bad_config_and_seed(scene):
    img, _, box = scene
    with pytest.raises(InputError, match="`samples`"):
        AMCPConfig(samples=0)
    with pytest.raises(InputError, match="`steps`"):
        AMCPConfig(steps="IXO")
    with pytest.raises(InputError, match="unknown AMCP setting"):
        AMCPConfig.from_dict({"samples": 2, "bogus": 1})
    with pytest.raises(InputError, match="`seed`"):
        segment(img, BoxPrompt(box), seed=-1)
    with pytest.raises(InputError, match="`box`"):
        segment(img, BoxPrompt((0, 0, 500, 10)))


def test_paint_out_keeps_far_pixels(scene):
    img, gt, _ = scene
    out = paint_out(img, gt, get_painter("telea"))
    from paintseg_layers.masks import dilate

    far = ~dilate(gt, 6)
    assert np.array_equal(out[far], img[far])
    assert np.abs(out[gt] - img[gt]).mean() > 0.2


def test_kmeans_1d_orders_clusters():
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.normal(0, 0.1, 500), rng.normal(5, 0.1, 100), rng.normal(10, 0.1, 50)])
    labels, centres = kmeans_1d(v, 3)
    assert np.all(np.diff(centres) > 0)
    assert (labels[:500] == 0).all() and (labels[500:600] == 1).all() and (labels[600:] == 2).all()
    flat, _ = kmeans_1d(np.ones(10), 2)
    assert (flat == 0).all()


class _SizeLog(BasePainter):
    """Telea that records the long side of every crop it paints, per AMCP step kind (``for_step``)."""

    name = "size-log"

    def __init__(self, log=None, kind=None):
        self.log, self.kind, self._telea = ({"I": [], "O": []} if log is None else log), kind, get_painter("telea")

    def for_step(self, kind):
        return _SizeLog(self.log, kind)

    def paint(self, image, mask, *, n=1, seed=0):
        self.log[self.kind].append(max(image.shape[:2]))
        return self._telea.paint(image, mask, n=n, seed=seed)


def test_i_step_paints_at_inpaint_size_and_o_step_at_paint_size():
    img, gt, _ = make_object_scene(h=400, w=600, box=(150, 80, 450, 320))
    prompt = BoxPrompt((130, 60, 470, 340))
    cfg = replace(FAST, paint_result=False, inpaint_size=112)
    logs = {}
    for size in (cfg.inpaint_size, 0):  # 0: the I-step at paint_size too
        painter = _SizeLog()
        res = Segmenter(img, painter=painter, config=replace(cfg, inpaint_size=size)).segment(prompt, seed=0)
        assert iou(res.mask, gt) > 0.9
        logs[size] = painter.log
    assert cfg.inpaint_size < cfg.paint_size
    assert max(logs[cfg.inpaint_size]["I"]) == cfg.inpaint_size  # the object's crop is larger: downscaled to the cap
    assert max(logs[cfg.inpaint_size]["O"]) == cfg.paint_size
    assert max(logs[0]["I"]) == cfg.paint_size


def test_i_step_keeps_paint_size_where_no_boundary_re_cut_follows():
    """``inpaint_size`` applies only to a view coarser than the photo (its boundary is re-cut at full size)."""
    img, gt, _ = make_object_scene(h=400, w=600, box=(150, 80, 450, 320))
    box = BoxPrompt((130, 60, 470, 340))
    cfg = replace(FAST, paint_result=False, paint_size=96, inpaint_size=64)
    sizes = {}
    for name, c, prompt in (("coarse", cfg, box), ("no re-cut", replace(cfg, boundary_band=0.0), box),
                            ("click", cfg, PointPrompt(((300, 200),)))):
        painter = _SizeLog()
        Segmenter(img, painter=painter, config=c).segment(prompt, seed=0)
        sizes[name] = max(painter.log["I"])
    assert sizes == {"coarse": 64, "no re-cut": 96, "click": 96}
    assert AMCPConfig().inpaint_size < AMCPConfig().paint_size  # the default uses it
    with pytest.raises(InputError, match="`inpaint_size`"):
        AMCPConfig(inpaint_size=-1)


def test_the_refinement_cuts_softer_on_a_view_coarser_than_the_photo(monkeypatch):
    """A view shrunk s times keeps 1/s^2 of an object's pixels but 1/s of its contour's neighbour pairs, so the
    refinement's smoothness weight is scaled by s there (down to ``RECUT_GAMMA``); at the photo's own resolution it is
    GrabCut's."""
    from paintseg_layers.amcp import refine, segmenter

    seen = []

    def logged(*args, gamma=refine.AMCP_GAMMA, **kwargs):
        seen.append(gamma)
        return refine.refine_mask(*args, gamma=gamma, **kwargs)

    monkeypatch.setattr(segmenter, "refine_mask", logged)
    big, gt_big, _ = make_object_scene(h=400, w=600, box=(150, 80, 450, 320))
    res = Segmenter(big, config=replace(FAST, paint_result=False)).segment(BoxPrompt((130, 60, 470, 340)), seed=0)
    scale = min(res.working_shape[0] / 400, res.working_shape[1] / 600)  # the whole photo is the view
    assert scale < 1 and seen == [pytest.approx(max(refine.AMCP_GAMMA * scale, refine.RECUT_GAMMA))]
    assert refine.RECUT_GAMMA < seen[0] < refine.AMCP_GAMMA  # 320 / 600 of the photo: a weight between the two
    assert iou(res.mask, gt_big) > 0.9
    seen.clear()
    small, gt_small, box = make_object_scene()
    res = Segmenter(small, config=replace(FAST, paint_result=False)).segment(BoxPrompt(box), seed=0)
    assert res.working_shape == small.shape[:2] and seen == [refine.AMCP_GAMMA]
    assert refine.gamma_for(scale=0.1) == refine.RECUT_GAMMA and refine.gamma_for(scale=2) == refine.AMCP_GAMMA
