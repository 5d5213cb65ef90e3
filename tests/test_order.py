"""Depth order cues (peel/order.py) on scenes of rectangles whose layers are known exactly."""

import numpy as np
import pytest

from paintseg_layers.graph import depth_order
from paintseg_layers.peel import junction_turn, order_evidence, order_graph

H, W = 120, 160


def rect(x0, y0, x1, y1):
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return m


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
