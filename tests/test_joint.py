"""Joint multi-object labelling: known two-object scenes, constraints, exactness on tiny grids."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import grid_energy

from paintseg_layers.amcp import AMCPConfig, Segmenter
from paintseg_layers.amcp.refine import _OFFSETS
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes import make_scene
from paintseg_layers.image import as_rgb
from paintseg_layers.peel.first_pass import resolve_contested
from paintseg_layers.peel.joint import alpha_expansion, joint_labelling, nested_claims
from paintseg_layers.peel.tightbox import tight_seeds


def _iou(a, b):
    return (a & b).sum() / max(1, (a | b).sum())


def _scene(scale=1):
    rng = np.random.default_rng(0)
    h, w = 80 * scale, 100 * scale
    img = np.full((h, w, 3), 0.8, np.float32) + rng.normal(0, 0.03, (h, w, 3)).astype(np.float32)
    s = scale
    img[10 * s : 50 * s, 10 * s : 60 * s] = (0.1, 0.2, 0.8)  # a (behind)
    img[30 * s : 70 * s, 40 * s : 90 * s] = (0.9, 0.2, 0.1)  # b (in front)
    img = np.clip(img, 0, 1)
    a_vis = np.zeros((h, w), bool)
    a_vis[10 * s : 50 * s, 10 * s : 60 * s] = True
    b = np.zeros((h, w), bool)
    b[30 * s : 70 * s, 40 * s : 90 * s] = True
    a_vis &= ~b
    return img, a_vis, b


def test_overlapping_masks_become_the_visible_parts():
    img, a_vis, b = _scene()
    a_box = np.zeros_like(b)
    a_box[8:52, 8:62] = True  # a's first-pass mask: its whole box, with part of b and background
    b_noisy = b.copy()
    b_noisy[35:38, 45:85] = False  # a stripe missing from b's mask
    out = joint_labelling(img, [a_box, b_noisy])
    assert _iou(out[0], a_vis) > 0.97
    assert _iou(out[1], b) > 0.97
    assert not (out[0] & out[1]).any()


def test_valid_region_is_respected_and_empty_masks_stay_empty():
    img, a_vis, b = _scene()
    img[60:75, 5:25] = (0.1, 0.2, 0.8)  # a's colour, outside a's valid region
    valid_a = np.zeros_like(b)
    valid_a[5:55, 5:65] = True
    grown = a_vis | np.pad(np.ones((15, 20), bool), ((60, 5), (5, 75)))  # the first pass claimed the patch too
    out = joint_labelling(img, [grown, b, np.zeros_like(b)], [valid_a, np.ones_like(b), np.ones_like(b)])
    assert not (out[0] & ~valid_a).any()
    assert _iou(out[0], a_vis) > 0.97
    assert not out[2].any()


def test_same_seed_same_labels_and_working_size_maps_back_to_full_size():
    img, a_vis, b = _scene(scale=4)
    a_box = np.zeros_like(b)
    a_box[32:208, 32:248] = True
    one = joint_labelling(img, [a_box, b], working_size=100, seed=3)
    two = joint_labelling(img, [a_box, b], working_size=100, seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(one, two))
    assert one[0].shape == img.shape[:2]
    assert _iou(one[0], a_vis) > 0.95 and _iou(one[1], b) > 0.95


def test_bad_shapes_name_the_argument():
    img, a_vis, b = _scene()
    with pytest.raises(InputError, match=r"masks\[1\]"):
        joint_labelling(img, [a_vis, b[:10]])
    with pytest.raises(InputError, match="valid"):
        joint_labelling(img, [a_vis, b], [np.ones_like(b)])
    with pytest.raises(InputError, match=r"`support` must hold one region per mask \(2\), got 1"):
        joint_labelling(img, [a_vis, b], support=[a_vis])
    with pytest.raises(InputError, match=r"support\[0\]"):
        joint_labelling(img, [a_vis, b], support=[a_vis[:10], b])



def test_two_label_expansion_finds_the_exact_minimum():
    rng = np.random.default_rng(1)
    h, w = 3, 4
    for _ in range(5):
        unary = rng.uniform(0, 2, (h, w, 2))
        weights = [rng.uniform(0, 1, (h, w)) for _ in _OFFSETS]
        got = alpha_expansion(unary, weights, np.zeros((h, w), np.int64))
        best = min(grid_energy(np.array(c).reshape(h, w), unary, weights)
                   for c in itertools.product((0, 1), repeat=h * w))
        assert grid_energy(got, unary, weights) == pytest.approx(best)


def test_three_label_expansion_never_raises_thegrid_energy():
    rng = np.random.default_rng(2)
    unary = rng.uniform(0, 2, (6, 7, 3))
    weights = [rng.uniform(0, 1, (6, 7)) for _ in _OFFSETS]
    start = rng.integers(0, 3, (6, 7))
    got = alpha_expansion(unary, weights, start.copy())
    assert grid_energy(got, unary, weights) <= grid_energy(start, unary, weights) + 1e-9


def _nested_scene():
    """A cup (white rim over a body of its saucer's red, outlined) resting on a red saucer."""
    rng = np.random.default_rng(1)
    h, w = 120, 140
    img = np.full((h, w, 3), (0.5, 0.4, 0.3), np.float32) + rng.normal(0, 0.02, (h, w, 3)).astype(np.float32)
    yy, xx = np.mgrid[:h, :w]
    saucer = ((yy - 65) / 50.0) ** 2 + ((xx - 70) / 62.0) ** 2 <= 1
    img[saucer] = (0.7, 0.15, 0.1)
    cup = np.zeros((h, w), bool)
    cup[30:80, 40:90] = True
    rim = cup & (yy < 50)
    img[cup] = (0.3, 0.06, 0.05)  # the body's outline: its contour is an edge
    img[2 + 30:80 - 2, 40 + 2:90 - 2] = (0.68, 0.14, 0.1)  # the body: the saucer's red
    img[rim] = (0.95, 0.95, 0.9)
    img = np.clip(img + rng.normal(0, 0.02, img.shape).astype(np.float32), 0, 1)
    valid = [np.zeros((h, w), bool), np.zeros((h, w), bool)]
    valid[0][30:80, 40:90] = True
    valid[1][15:116, 8:133] = True
    return img, cup, saucer & ~cup, rim, valid, [(40, 30, 90, 80), (8, 15, 133, 116)]


def test_a_nested_object_reaches_the_sides_of_its_box():
    img, cup, saucer, rim, valid, boxes = _nested_scene()
    first = [rim, saucer | (cup & ~rim)]  # alone, the cup came back as its rim: the saucer claims its body
    without = joint_labelling(img, first, valid)
    out = joint_labelling(img, first, valid, boxes=boxes)
    assert _iou(without[0], cup) < 0.6  # colour alone leaves the body to the saucer
    assert _iou(out[0], cup) > 0.9
    assert _iou(out[1], saucer) > 0.9
    assert not (out[0] & out[1]).any()


def test_a_box_the_object_already_spans_changes_nothing():
    img, a_vis, b = _scene()
    boxes = [(10, 10, 60, 50), (40, 30, 90, 70)]
    first = [a_vis | b, b]
    assert all((x == y).all() for x, y in zip(joint_labelling(img, first), joint_labelling(img, first, boxes=boxes)))


def test_an_object_split_by_an_occluder_keeps_its_pieces_and_gives_nothing_of_the_occluder():
    rng = np.random.default_rng(2)
    h, w = 120, 140
    img = np.full((h, w, 3), 0.8, np.float32) + rng.normal(0, 0.02, (h, w, 3)).astype(np.float32)
    bar = np.zeros((h, w), bool)
    bar[30:100, 50:70] = True  # behind: a bar whose middle the band hides
    band = np.zeros((h, w), bool)
    band[35:97, 20:120] = True
    img[bar] = (0.2, 0.3, 0.8)
    img[band] = (0.25, 0.3, 0.75)  # alike colours: a seed path through the band would be cheap
    img = np.clip(img, 0, 1)
    first = [bar & ~band, band]
    boxes = [(50, 30, 70, 100), (20, 35, 120, 97)]  # the bar's box lies 0.89 inside the band's
    valid = [np.zeros((h, w), bool), np.zeros((h, w), bool)]
    valid[0][30:100, 50:70] = True
    valid[1][35:97, 20:120] = True
    out = joint_labelling(img, first, valid, boxes=boxes)
    assert not (out[0] & band).any()  # both its pieces reach a side: nothing to seed
    assert _iou(out[0], bar & ~band) > 0.9
    assert _iou(out[1], band) > 0.95


def _spoon_scene():
    """A grey spoon resting on a red saucer, its neck behind a cup whose box holds the spoon's tip."""
    rng = np.random.default_rng(3)
    h, w = 120, 140
    img = np.full((h, w, 3), (0.5, 0.4, 0.3), np.float32)
    yy, xx = np.mgrid[:h, :w]
    saucer = ((yy - 62) / 55.0) ** 2 + ((xx - 70) / 66.0) ** 2 <= 1
    img[saucer] = (0.7, 0.15, 0.1)
    spoon = np.zeros((h, w), bool)
    spoon[72:104, 68:100] = True  # the bowl
    spoon[20:72, 80:86] = True  # the neck, behind the cup
    spoon[8:20, 80:88] = True  # the tip, beyond the cup
    img[spoon] = (0.6, 0.6, 0.62)
    img[8:20, 80:88] = (0.92, 0.92, 0.88)  # a highlight: the tip has the cup rim's colour
    cup = np.zeros((h, w), bool)
    cup[20:70, 40:90] = True
    img[cup] = (0.3, 0.06, 0.05)
    img[22:68, 42:88] = (0.95, 0.95, 0.9)
    img = np.clip(img + rng.normal(0, 0.02, img.shape).astype(np.float32), 0, 1)
    boxes = [(40, 8, 90, 70), (68, 8, 100, 104), (4, 7, 136, 118)]  # the cup's box holds the spoon's tip
    valid = [np.zeros((h, w), bool) for _ in boxes]
    for v, (x0, y0, x1, y1) in zip(valid, boxes):
        v[y0:y1, x0:x1] = True
    return img, [cup, spoon & ~cup, saucer & ~cup & ~spoon], valid, boxes


def test_a_nested_object_that_continues_behind_a_neighbour_takes_none_of_its_holder():
    img, (cup, spoon, saucer), valid, boxes = _spoon_scene()
    tip = spoon & (np.arange(img.shape[0]) < 20)[:, None]
    first = [cup | tip, spoon & ~tip, saucer]  # the cup claims the tip inside its box
    out = joint_labelling(img, first, valid, boxes=boxes)
    assert (out[1] & saucer).sum() < 10  # no seed path up the saucer beside the cup
    assert _iou(out[2], saucer) > 0.95
    assert _iou(out[0], cup) > 0.9


def test_a_speck_inside_another_object_goes_to_it():
    img, (cup, spoon, saucer), valid, boxes = _spoon_scene()
    img[85:88, 75:78] = (0.95, 0.95, 0.9)  # a highlight of the cup's colour on the spoon's bowl
    speck = np.zeros(cup.shape, bool)
    speck[85:88, 75:78] = True
    valid[0][20:100, 40:90] = True  # a loose box for the cup: it holds the bowl
    first = [cup | speck, spoon, saucer]
    out = joint_labelling(img, first, valid)
    assert not (out[0] & speck).any()
    assert out[1][speck].all()


def _behind_a_sibling(tip_cost):
    """Labels of a spoon (1) resting on a saucer (3) whose handle goes behind a cup (2), the cup holding its tip."""
    h, w = 60, 40
    labels = np.full((h, w), 3, np.int64)
    labels[40:58, 10:36] = 1  # the bowl
    labels[10:40, 0:28] = 2  # the cup, between the bowl and the top of the spoon's box
    labels[2:12, 28:34] = 2  # the tip: the cup's label
    unary = np.full((h, w, 4), 5.0)
    np.put_along_axis(unary, labels[..., None], 0.0, axis=2)
    unary[2:12, 28:34, 1] = tip_cost  # the spoon's colour cost there (the cup's is 0)
    boxes = [(10, 2, 36, 59), (0, 10, 28, 40), None]
    return labels, unary, boxes


def test_an_object_behind_a_neighbour_shows_again_by_its_box_side_where_its_colours_fit():
    labels, unary, boxes = _behind_a_sibling(-1.0)
    seeds, _ = tight_seeds(labels, unary, np.zeros(labels.shape), boxes, [{3}, {3}, set()], 0.15)
    assert seeds[2:6, 28:34].all() and (seeds == 1).sum() == seeds[2:12, 28:34].astype(bool).sum()
    assert not seeds[labels == 3].any()  # no path over the saucer round the cup
    labels, unary, boxes = _behind_a_sibling(1.0)  # the cup's colours fit the tip better: it stays the cup's
    seeds, _ = tight_seeds(labels, unary, np.zeros(labels.shape), boxes, [{3}, {3}, set()], 0.15)
    assert not (seeds == 1).any()


def test_pixels_two_first_pass_masks_claim_are_decided_by_colours_and_edges_not_by_the_nearest_colour():
    """Peel benchmark scene 1024 (scissors, a striped blob, a shape; real AMCP masks): the nearest-colour
    resolution of the masks' overlaps hands parts of the scissors and the blob to their neighbours; with the
    first-pass masks as ``support`` the prior no longer holds them there."""
    scene = make_scene(1024)
    rgb = as_rgb(scene.image)
    prompts = scene.prompts("box")
    seg = Segmenter(rgb, config=AMCPConfig(working_size=160, samples=5, steps="IOI", paint_result=False))
    raw = [seg.segment(p, seed=i).mask for i, p in enumerate(prompts)]
    valid = [p.valid_region(scene.shape) for p in prompts]
    resolved = resolve_contested(rgb, nested_claims(raw, valid))
    kw = {"working_size": 160, "boxes": [p.box for p in prompts]}
    truth = [o.visible_mask for o in scene.objects]

    def score(masks):
        return float(np.mean([_iou(m, t) for m, t in zip(masks, truth)]))

    plain = joint_labelling(rgb, resolved, valid, **kw)
    held = joint_labelling(rgb, resolved, valid, support=raw, **kw)
    assert not any((a & b).any() for a, b in itertools.combinations(held, 2))
    assert score(held) > score(plain) + 0.03, (score(plain), score(held))


def test_expansion_skipping_idle_labels_gives_the_labels_of_expanding_every_label():
    """Labels confined to far-apart boxes: a label whose last move changed nothing is expanded again only once a
    label it reads has changed; the labels are those of expanding every label in every cycle."""
    rng = np.random.default_rng(0)
    h, w, n = 30, 40, 5
    unary = rng.uniform(0, 2, (h, w, n))
    movable = [np.ones((h, w), bool)] + [np.zeros((h, w), bool) for _ in range(n - 1)]
    for k, (y, x) in enumerate(((2, 2), (2, 25), (17, 2), (17, 25)), start=1):
        movable[k][y : y + 10, x : x + 12] = True
        if k > 1:  # these three fill their boxes at once; object 1 and the background trade pixels longer
            unary[movable[k], k] -= 2.0
        unary[~movable[k], k] = 1e9
    weights = [rng.uniform(0, 1.0, (h, w)) for _ in _OFFSETS]
    start = np.zeros((h, w), np.int64)
    every = start
    for _ in range(6):  # one cycle per call: every label is expanded in every cycle
        every = alpha_expansion(unary, weights, every, cycles=1)
    fast = alpha_expansion(unary, weights, start, cycles=6, movable=movable)
    assert np.array_equal(every, fast)


def test_the_joint_cut_of_a_large_photo_keeps_a_thin_part_at_the_default_view():
    """``PeelConfig.joint_size``: a 3-px stick of a 720-px photo is a pixel wide in a 320-px view, where the cut
    rounds it off; the default view (640, never below AMCP's working size) keeps it. 0 is the full size."""
    from paintseg_layers.peel import PeelConfig

    rng = np.random.default_rng(0)
    h, w = 540, 720
    img = np.full((h, w, 3), 0.8, np.float32) + rng.normal(0, 0.03, (h, w, 3)).astype(np.float32)
    a = np.zeros((h, w), bool)
    a[90:360, 90:450] = True
    b = np.zeros((h, w), bool)
    b[225:495, 315:630] = True  # in front of a
    stick = np.zeros((h, w), bool)
    stick[360:520, 150:153] = True  # a's thin part, over the background
    img[a | stick] = (0.1, 0.2, 0.8)
    img[b] = (0.9, 0.2, 0.1)
    img = np.clip(img, 0, 1)
    a_vis = (a | stick) & ~b

    def kept(cfg):
        out = joint_labelling(img, [a_vis, b], working_size=cfg.joint_view, seed=0)
        return (out[0] & stick).sum() / stick.sum(), _iou(out[0], a_vis)

    assert PeelConfig().joint_view == 640
    assert PeelConfig(joint_size=0).joint_view is None
    assert PeelConfig(joint_size=320, amcp=AMCPConfig(working_size=800)).joint_view == 800
    coarse, fine = kept(PeelConfig(joint_size=320)), kept(PeelConfig())
    assert coarse[0] < 0.8 and fine[0] == 1.0
    assert fine[1] > coarse[1] and fine[1] > 0.999
    with pytest.raises(InputError, match="`joint_size` must be 0 .* got 16"):
        PeelConfig(joint_size=16)
