"""joint.unclaimed_to_owner: what the joint cut gave an object inside another's box, far from its own mask."""

from __future__ import annotations

import numpy as np

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.eval.scenes import make_scene
from paintseg_layers.peel import PeelConfig, decompose
from paintseg_layers.peel import first_pass as fp
from paintseg_layers.peel.joint import REACH, unclaimed_to_owner

SHAPE = (60, 80)


def _rect(y0, y1, x0, x1):
    m = np.zeros(SHAPE, bool)
    m[y0:y1, x0:x1] = True
    return m


def _side_by_side():
    """Two objects side by side; the cut gave the left one the right one's lower part (alike colours)."""
    left, right = _rect(10, 50, 5, 35), _rect(10, 50, 40, 75)
    lower = _rect(30, 50, 40, 75)
    support = [left, right & ~_rect(40, 50, 40, 75)]  # the right one's segmentation claims rows 10-39 only
    cut = [left | lower, right & ~lower]
    boxes = [(5, 10, 35, 50), (40, 10, 75, 50)]  # (x0, y0, x1, y1), tight round each object's visible part
    return (left, right), support, cut, boxes


def test_what_the_cut_gave_an_object_in_anothers_box_goes_back_to_it_where_its_own_mask_claims_it():
    (left, right), support, cut, boxes = _side_by_side()
    out = unclaimed_to_owner(cut, support, boxes)
    assert (out[0] == left).all()  # 700 px of the right object taken back
    assert (out[1] == support[1]).all()  # rows 30-39 back to it; rows 40-50, which no mask claimed, to none
    assert not (out[0] & out[1]).any()


def test_pixels_within_reach_of_the_objects_own_mask_stay():
    _, support, cut, boxes = _side_by_side()
    support = [support[0] | _rect(30, 50, 40, 45), support[1]]  # the left one's own mask reaches x 44
    out = unclaimed_to_owner(cut, support, boxes)
    assert out[0][30:50, 40:45 + REACH].all()
    assert not out[0][30:50, 45 + REACH:].any()


def test_nested_boxes_take_nothing_back_either_way_round():
    # a cup (big box) and a spoon resting on it (its box inside the cup's): the cup's own segmentation missed
    # its body round the spoon, which the cut gave back (the coffee photo); and the cut's paths give the spoon
    # pixels beyond its own mask
    cup = _rect(5, 55, 5, 75)
    spoon = _rect(20, 45, 45, 50) | _rect(40, 45, 45, 65)  # an L: its box holds 300 px of the cup's body
    support = [_rect(5, 20, 5, 75), spoon & ~_rect(20, 30, 45, 50)]
    cut = [cup & ~spoon, spoon]
    boxes = [(5, 5, 75, 55), (45, 20, 65, 45)]
    out = unclaimed_to_owner(cut, support, boxes)
    assert all((o == c).all() for o, c in zip(out, cut))


def test_no_box_takes_nothing_back_inside_it_and_no_masks_give_none():
    (left, right), support, cut, _ = _side_by_side()
    out = unclaimed_to_owner(cut, support, [(5, 10, 35, 50), None])
    assert all((o == c).all() for o, c in zip(out, cut))
    assert unclaimed_to_owner([], [], []) == []


def test_a_piece_apart_from_the_other_objects_own_mask_stays():
    (left, right), _, _, boxes = _side_by_side()
    support = [left, _rect(10, 25, 40, 75)]  # the right one's segmentation claims its top rows only
    apart = _rect(35, 50, 40, 75)  # the cut gave the left one a piece 10 rows below that
    cut = [left | apart, right & ~apart]
    out = unclaimed_to_owner(cut, support, boxes)
    assert all((o == c).all() for o, c in zip(out, cut))
    support[1] = _rect(10, 36, 40, 75)  # reaching the piece, the right one's segmentation gets it back
    out = unclaimed_to_owner(cut, support, boxes)
    assert (out[0] == left).all()
    assert out[1][35, 40:75].all() and not out[1][36:50].any()


def test_the_first_pass_takes_back_only_when_the_config_asks(monkeypatch):
    calls = []

    def spy(masks, *args, **kw):
        calls.append(len(masks))
        return unclaimed_to_owner(masks, *args, **kw)

    monkeypatch.setattr(fp, "unclaimed_to_owner", spy)
    scene = make_scene(11, size=(96, 72), n_objects=3, cutouts="none")
    fast = AMCPConfig(working_size=96, samples=2)
    decompose(scene.image, scene.prompts("box"), config=PeelConfig(amcp=fast), seed=0)
    assert calls == []
    decompose(scene.image, scene.prompts("box"), config=PeelConfig(amcp=fast, takeback=True), seed=0)
    assert calls == [3]
