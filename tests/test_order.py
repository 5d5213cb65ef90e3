"""Depth order cues (peel/order.py) on scenes of rectangles whose layers are known exactly."""

import cv2
import numpy as np
import pytest
from conftest import rect

import paintseg_layers.peel.order as order_mod
from paintseg_layers.eval.scenes.crowd import make_crowd_scene
from paintseg_layers.graph import depth_order
from paintseg_layers.peel import junction_turn, order_evidence, order_graph
from paintseg_layers.peel.order import colour_repaired, pair_turns, resting_prior, swallowed_prior
from paintseg_layers.prompts import box_mask

H, W = 120, 160


def three_objects():
    """Visible masks of three overlapping rectangles, listed front to back.

    ``front`` covers the lower left of ``back``'s right part; ``middle`` (between them in depth) sits
    on the corner where ``front``'s contact with ``back`` starts, so that corner is a junction of all
    three objects: ``front``'s contour turns there to follow ``middle``, not ``back``.
    """
    front = rect(70, 50, 140, 100)
    middle = rect(70, 40, 100, 70) & ~front
    back = rect(30, 30, 80, 100) & ~front & ~middle
    return front, middle, back


def test_a_third_objects_junction_weighs_less_than_the_pairs_own():
    front, middle, back = three_objects()
    fooled = order_evidence(front, back, radius=18)
    assert fooled[1] > fooled[0]  # read with every junction, back seems to be in front
    e_front, e_back, _ = order_evidence(front, back, radius=18, others=middle)
    assert e_front > e_back + 0.2
    # at the corner where middle meets the pair, back's contour runs straight on and front's turns: the rule
    # shrinks that misleading difference, and the convexity cue decides
    misled = junction_turn(front, back) - junction_turn(back, front)
    assert misled > junction_turn(front, back, third=middle) - junction_turn(back, front, third=middle) + 0.3


def test_order_graph_orders_the_three_rectangles():
    front, middle, back = three_objects()
    g = order_graph({"back": back, "front": front, "middle": middle}, (H, W), working_size=160,
                    contact_radius=0.15, min_confidence=0.02)
    assert depth_order(g) == ["front", "middle", "back"]


def test_only_three_object_junctions_weigh_as_much_as_without_the_rule():
    # front lies on back's top edge between two others: every end of its contact with back is a three-object
    # junction, all weighted alike, so the evidence equals the one read without the rule
    back = rect(20, 60, 140, 100)
    front = rect(60, 40, 100, 80)
    left, right = rect(40, 40, 60, 70), rect(100, 40, 120, 70)
    others = left | right
    back_v = back & ~front & ~others
    plain = order_evidence(front, back_v, radius=18)
    assert order_evidence(front, back_v, radius=18, others=others) == pytest.approx(plain)


def test_a_concave_kink_at_a_contacts_end_is_no_junction():
    # a ledge: the step's right side comes down and the contour turns *into* the mask along the ledge's top,
    # where an object resting on it starts (2 px off the step); the contact's other end is the image frame
    ledge = rect(0, 40, W, H) | rect(0, 10, 60, 40)
    box = rect(62, 10, W, 40)
    assert junction_turn(ledge, box) == 0.0  # only the concave corner: no T-junction
    assert junction_turn(box, ledge) > 1.0  # the box's own convex corner at the contact's end: about 90 degrees


def _ranks(masks, shape, boxes=None):
    graph = order_graph(masks, shape, working_size=160, contact_radius=0.15, min_confidence=0.02, boxes=boxes)
    for k, lid in enumerate(masks):
        graph.nodes[lid]["prompt_index"] = k
    return {lid: r for r, lid in enumerate(depth_order(graph))}


def test_objects_resting_on_a_holder_are_ordered_in_front_of_it():
    # a nested crowd scene: a large holder with objects resting on it (known layers); their boxes lie inside
    # the holder's and their visible masks inside its hull. The boundary cues alone put one of them behind
    scene = make_crowd_scene(103, layout="nested", n_objects=(6, 8))
    masks = {f"obj{i}": o.visible_mask for i, o in enumerate(scene.objects)}
    boxes = {f"obj{i}": p.box for i, p in enumerate(scene.prompts("box"))}
    holder, resting = f"obj{scene.meta['nested']['holder']}", scene.meta["nested"]["resting"]
    without = _ranks(masks, scene.shape)
    assert any(without[f"obj{i}"] > without[holder] for i in resting)
    ranks = _ranks(masks, scene.shape, boxes)
    assert all(ranks[f"obj{i}"] < ranks[holder] for i in resting)


def test_an_object_peeking_out_from_behind_does_not_rest_on_the_larger_one():
    # a disc in front of a small square that shows only outside it, in a corner of the disc's box: the
    # square's box lies inside the disc's, but its visible part lies outside the disc's hull
    yy, xx = np.mgrid[:H, :W]
    disc = (xx - 80) ** 2 + (yy - 60) ** 2 <= 50**2
    square = rect(100, 12, 124, 36) & ~disc
    boxes = {"disc": (30, 10, 130, 110), "square": (100, 12, 124, 36)}
    regions = {lid: box_mask(b, (H, W)) for lid, b in boxes.items()}
    assert not resting_prior({"disc": disc, "square": square}, regions)
    ranks = _ranks({"disc": disc, "square": square}, (H, W), boxes)
    assert ranks["disc"] < ranks["square"]
    # the same square on the disc's middle rests on it
    on_top = rect(70, 50, 94, 74)
    regions["square"] = box_mask((70, 50, 94, 74), (H, W))
    assert set(resting_prior({"disc": disc & ~on_top, "square": on_top}, regions)) == {("square", "disc")}


def test_an_object_whose_mask_a_larger_one_swallowed_is_in_front_of_it():
    # a label stuck on a panel's right edge (its box 100-122 x 40-70): the panel's mask took all of it but a
    # 2-px sliver outside the panel, and a badge on the panel's middle lost its mask entirely. The boxes say
    # both are visible where the panel's mask lies, so both lie on the panel
    panel = rect(20, 20, 120, 100)
    boxes = {"panel": (20, 20, 120, 100), "label": (100, 40, 122, 70), "badge": (50, 50, 70, 62)}
    regions = {lid: box_mask(b, (H, W)) for lid, b in boxes.items()}
    masks = {"panel": panel, "label": rect(120, 40, 122, 70), "badge": np.zeros((H, W), bool)}
    assert set(swallowed_prior(masks, regions)) == {("label", "panel"), ("badge", "panel")}
    assert swallowed_prior(masks, regions)["label", "panel"] == pytest.approx(2 * 20 / 22)  # twice the share covered
    graph = order_graph(masks, (H, W), working_size=160, contact_radius=0.15, min_confidence=0.02, boxes=boxes)
    assert graph.has_edge("label", "panel") and "swallowed" in graph.edges["label", "panel"]["cue"]
    assert graph.edges["label", "panel"]["margin"] == pytest.approx(2 * 20 / 22, abs=1e-3)  # the sliver says nothing
    assert graph.has_edge("badge", "panel")  # ordered although its mask is empty
    plain = order_graph(masks, (H, W), working_size=160, contact_radius=0.15, min_confidence=0.02)
    assert not plain.has_edge("badge", "panel") and not plain.has_edge("label", "panel")
    # a mask that fills its box, or a lost one that nobody else covers, says nothing
    assert not swallowed_prior({"panel": panel & ~rect(100, 40, 122, 70), "label": rect(100, 40, 122, 70)}, regions)
    assert not swallowed_prior({"panel": rect(20, 20, 55, 100), "badge": masks["badge"]}, regions)  # 1/4 of it


def test_a_masks_leak_out_of_its_box_is_no_order_evidence():
    # front (60-120 x 40-90) lies on back's right part; back's box is drawn round its visible part (20-90 x
    # 20-110). Back's mask leaks over front's upper right, out of back's box: its contour there makes
    # junctions of its own, which all but cancel the true ones; the boxes keep the leak's contour out of the cues
    front = rect(60, 40, 120, 90)
    back = rect(20, 20, 90, 110) & ~front
    boxes = (box_mask((60, 40, 120, 90), (H, W)), box_mask((20, 20, 90, 110), (H, W)))
    truth = order_evidence(front, back, radius=18)
    assert truth[0] > 1.5 and truth[1] == 0.0
    leak = rect(90, 40, 160, 75)
    fooled = order_evidence(front & ~leak, back | leak, radius=18)
    assert fooled[0] < truth[0] - 1.0
    kept = order_evidence(front & ~leak, back | leak, radius=18, boxes=boxes)
    assert kept[0] > fooled[0] + 0.5 and kept[1] == 0.0
    # front's own contour still meets the leak inside front's box: that contact is kept (a front mask's leak
    # over the back object leaves the back contour's true junction)
    assert np.isfinite(pair_turns(front & ~leak, back | leak, boxes=boxes)[0])
    # and on true masks, which stay in their boxes, the boxes change nothing
    assert order_evidence(front, back, radius=18, boxes=boxes) == pytest.approx(truth)


def test_junction_switches_outside_the_region_are_skipped():
    ledge = rect(0, 40, W, H) | rect(0, 10, 60, 40)
    box = rect(62, 10, W, 40)
    assert junction_turn(box, ledge) > 1.0
    assert np.isnan(junction_turn(box, ledge, region=rect(90, 0, W, H)))  # its one junction lies at x = 62
    assert junction_turn(box, ledge, region=rect(50, 0, W, H)) == pytest.approx(junction_turn(box, ledge))


def _bar_across_stripe():
    """A red bar (front) across a blue stripe (back) on grey, their boxes, and the true visible masks."""
    img = np.full((H, W, 3), 0.5)
    stripe, bar = rect(20, 50, 140, 70), rect(70, 20, 90, 100)
    img[stripe] = (0.1, 0.2, 0.9)
    img[bar] = (0.9, 0.1, 0.1)
    boxes = (box_mask((70, 20, 90, 100), (H, W)), box_mask((20, 50, 140, 70), (H, W)))
    return img, bar, stripe & ~bar, boxes


def test_colour_repair_gives_a_lost_thin_front_part_back():
    # the stripe's mask took the bar's part across it (a thin front part lost to the back object): inside each
    # other's box the colours learnt outside it give the red pixels back to the bar, and the bar stays whole
    img, bar, stripe_v, boxes = _bar_across_stripe()
    lab = cv2.cvtColor(img.astype(np.float32), cv2.COLOR_RGB2Lab)
    crossing = bar & rect(0, 50, W, 70)
    repaired = colour_repaired(bar & ~crossing, stripe_v | crossing, lab, boxes)
    assert repaired is not None
    new_bar, new_stripe = repaired
    assert np.array_equal(new_bar, bar) and np.array_equal(new_stripe, stripe_v)  # both halves of the stripe kept
    # a red piece the stripe's mask holds apart from the bar stays the stripe's (no gain that does not touch)
    speck = rect(30, 55, 34, 59)
    lab2 = lab.copy()
    lab2[speck] = lab[bar][0]
    out_bar, _ = colour_repaired(bar, stripe_v, lab2, boxes)
    assert not (out_bar & speck).any()
    # too little of the bar outside the stripe's box to learn its colours from: no opinion
    assert colour_repaired(crossing, stripe_v, lab, boxes) is None


def test_low_margin_pairs_are_read_on_the_colour_repaired_masks_too(monkeypatch):
    img, bar, stripe_v, _ = _bar_across_stripe()
    crossing = bar & rect(0, 50, W, 70)
    masks = {"bar": bar & ~crossing, "stripe": stripe_v | crossing}  # the stripe's mask took the crossing
    boxes = {"bar": (70, 20, 90, 100), "stripe": (20, 50, 140, 70)}

    def graph(image):
        return order_graph(masks, (H, W), working_size=160, contact_radius=0.15, min_confidence=0.02, boxes=boxes,
                           image=image)

    wrong = graph(None)
    assert wrong.has_edge("stripe", "bar")  # read on these masks, the stripe cuts the bar: in front
    assert graph(img).edges["stripe", "bar"] == wrong.edges["stripe", "bar"]  # a clear margin: no repair
    monkeypatch.setattr(order_mod, "REPAIR_MARGIN", 10.0)  # every pair read on its repaired masks too
    e_front, e_back, _ = order_evidence(bar, stripe_v, radius=18)  # the repaired masks are the true ones
    # the mirror image of the wrong reading: the bar in front by as much as the stripe seemed to be
    assert wrong.edges["stripe", "bar"]["evidence"] == pytest.approx([e_front, e_back])
    mean = graph(img)  # the mean of the two readings is a tie: no edge, instead of a confident wrong one
    assert not mean.has_edge("stripe", "bar") and not mean.has_edge("bar", "stripe")
    assert graph(None).has_edge("stripe", "bar")  # (without the image, no repair)
