"""benchmarks/order_diagnose.py: wrong pairs, their classes and the per-cue scores on scenes with known layers."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from conftest import load_benchmark

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.eval.cache import save_masks
from paintseg_layers.eval.scenes import make_scene
from paintseg_layers.eval.scenes.model import Scene, SceneObject
from paintseg_layers.painters import get_painter
from paintseg_layers.peel import PeelConfig
from paintseg_layers.projectors import get_projector
from paintseg_layers.prompts import box_mask

od = load_benchmark("order_diagnose")


def _scene(*objects) -> Scene:
    """Objects given front to back as amodal masks; visible = amodal minus everything in front."""
    shape = objects[0].shape
    in_front = np.zeros(shape, bool)
    out = []
    for depth, amodal in enumerate(objects):
        out.append(SceneObject(rgb=np.zeros((*shape, 3), np.float32), amodal_mask=amodal,
                               visible_mask=amodal & ~in_front, depth=depth, source="shape:test"))
        in_front |= amodal
    img = np.zeros((*shape, 3), np.float32)
    return Scene(image=img, background=img, objects=tuple(out), seed=0)


def _bar_over_stripe():
    bar = np.zeros((96, 128), bool)
    bar[20:76, 50:70] = True  # a vertical bar in front ...
    stripe = np.zeros((96, 128), bool)
    stripe[40:56, 15:110] = True  # ... of a horizontal stripe: two T-junctions on each side of the bar
    return bar, stripe


def test_wrong_pairs_follow_the_true_depth():
    scene = _scene(*_bar_over_stripe())
    assert scene.occlusion_pairs()[0][:2] == (0, 1)
    assert od.wrong_pairs(scene, {0: 0, 1: 1}) == []
    assert od.wrong_pairs(scene, {0: 1, 1: 0}) == [(0, 1)]
    assert od.wrong_pairs(scene, {0: 0}) == [(0, 1)]  # a missing layer is a wrong pair


def test_order_from_true_masks_and_cue_scores_on_t_junctions():
    scene = _scene(*_bar_over_stripe())
    masks = {i: o.visible_mask for i, o in enumerate(scene.objects)}
    depth, graph = od.scene_order(masks, scene.shape, PeelConfig())
    assert depth == {0: 0, 1: 1} and graph.has_edge("obj0", "obj1")
    scores = od.cue_scores(masks[0], masks[1], radius=18)
    assert set(scores) == set(od.CUES)
    assert scores["junction"] > 0.5  # the stripe's contour turns through 90 degrees at all four junctions
    assert scores["amodal completion"] > 0  # the stripe continues under the bar, not the bar under the stripe
    assert od.cue_scores(masks[1], masks[0], radius=18)["junction"] == pytest.approx(-scores["junction"])


def test_classes_of_wrong_pairs():
    bar, stripe = _bar_over_stripe()
    scene = _scene(bar, stripe)
    assert od.classify(scene, (0, 1), set()) == "mask"
    assert od.classify(scene, (0, 1), {(0, 1)}) == "cue"
    # a third object in front hides the whole overlap: the visible parts never touch
    cover = np.zeros_like(bar)
    cover[30:66, 40:80] = True
    hidden = _scene(cover, bar, stripe)
    assert (1, 2) in [p[:2] for p in hidden.occlusion_pairs()]
    assert od.classify(hidden, (1, 2), set()) == "unobservable"


def test_a_pair_hiding_a_rim_of_pixels_is_negligible():
    bar, stripe = _bar_over_stripe()
    assert od.negligible_pairs(_scene(bar, stripe)) == set()  # 320 of the stripe's 1520 px hidden
    corner = np.zeros_like(bar)
    corner[36:38, 68:76] = True  # overlaps the bar (0.5 % of its 1120 px is 5.6 px) in 4 px only
    scene = _scene(corner, bar)
    assert scene.occlusion_pairs() == [(0, 1, 4)]
    assert od.negligible_pairs(scene) == {(0, 1)}
    assert od.classify(scene, (0, 1), set()) == "negligible"


def test_pair_picture_marks_front_and_back():
    bar, stripe = _bar_over_stripe()
    scene = _scene(bar, stripe)
    masks = {i: o.visible_mask for i, o in enumerate(scene.objects)}
    _, graph = od.scene_order(masks, scene.shape, PeelConfig())
    pic = od.pair_picture(scene, masks, (0, 1), graph, PeelConfig(), "cue", zoom=1)
    assert pic.dtype == np.uint8 and pic.shape == (96 + 44, 4 * 128, 3)
    y, x = 48, 60  # inside the bar (front: red) in the true-visible panel
    assert pic[y, 128 + x, 0] > 150 and pic[y, 128 + x, 2] < 100
    y, x = 48, 20  # inside the stripe (behind: blue)
    assert pic[y, 128 + x, 2] > 150 and pic[y, 128 + x, 0] < 100
    for k, colour in ((0, (255, 170, 170)), (1, (170, 200, 255))):  # each prompt box outlined on the mask panels
        x0, y0, _, _ = (int(round(v)) for v in scene.prompts("box")[k].box)
        assert tuple(pic[y0, 2 * 128 + x0]) == colour


def test_first_pass_masks_are_cached_and_reused(tmp_path):
    scene = make_scene(1000, size=(80, 60), n_objects=(2, 2))
    cfg = PeelConfig(amcp=AMCPConfig(working_size=80, samples=2, steps="I"))
    folder = od.cache_folder(tmp_path, "telea", False, 0)
    assert folder.parent == tmp_path and folder.name.startswith("telea-scenes-s0-")
    first = od.predicted_masks(scene, (get_painter("telea"), get_projector(None)), cfg, 0, folder)
    assert (folder / "1000.npz").is_file() and first and all(m.shape == (60, 80) for m in first.values())
    again = od.predicted_masks(scene, None, cfg, 0, folder)  # no backends: only the cache can answer
    assert again.keys() == first.keys() and all(np.array_equal(again[i], first[i]) for i in first)
    # the order stage's source is left out of the key (its edits keep the cache), the rest of the package is not
    assert od.code_fingerprint(exclude=od.ORDER_STAGE) != od.code_fingerprint()
    assert od.cache_folder(tmp_path, "patchmatch", True, 0).name.startswith("patchmatch-cutouts-s0-")
    assert od.cache_folder(tmp_path, "telea", False, 0, "nested").name.startswith("telea-nested-s0-")


def test_scene_order_reads_the_prompt_boxes_as_decompose_does():
    # a square lying on a large plate that it sticks out of at the top (a cup on its saucer): the boxes say
    # it rests on the plate, so it is in front even where the boundary cues alone would not say so
    plate = np.zeros((96, 128), bool)
    plate[30:90, 10:118] = True
    cup = np.zeros_like(plate)
    cup[24:60, 40:80] = True
    scene = _scene(cup, plate)
    masks = {i: o.visible_mask for i, o in enumerate(scene.objects)}
    boxes = [p.box for p in scene.prompts("box")]
    depth, graph = od.scene_order(masks, scene.shape, PeelConfig(), boxes)
    assert depth == {0: 0, 1: 1} and "resting" in graph.edges["obj0", "obj1"]["cue"]
    _, plain = od.scene_order(masks, scene.shape, PeelConfig())
    assert all("resting" not in e["cue"] for *_, e in plain.edges(data=True))


def test_candidate_cues_solidity_and_box_cover():
    scene = _scene(*_bar_over_stripe())
    masks = {i: o.visible_mask for i, o in enumerate(scene.objects)}
    regions = tuple(box_mask(p.box, scene.shape) for p in scene.prompts("box"))
    scores = od.cue_scores(masks[0], masks[1], radius=18, regions=regions)
    # the bar cuts the stripe in two: the stripe fills 75 of its hull's 95 columns, the bar all of its hull
    assert scores["solidity"] == pytest.approx(1 - 75 / 95, abs=0.01)
    # rows 40-56 of the bar (16 of its 56) lie in the stripe's box; no stripe pixel lies in the bar's box
    assert scores["box cover"] == pytest.approx(16 / 56, abs=0.01)
    back = od.cue_scores(masks[1], masks[0], radius=18, regions=regions[::-1])
    assert back["solidity"] == pytest.approx(-scores["solidity"])
    assert back["box cover"] == pytest.approx(-scores["box cover"])
    assert od.cue_scores(masks[0], masks[1], radius=18)["box cover"] == 0.0  # no boxes, no opinion


def test_feature_rows_of_a_scene_from_cached_masks(tmp_path):
    scene = _scene(*_bar_over_stripe())
    save_masks(tmp_path / "0.npz", {f"m{i}": o.visible_mask for i, o in enumerate(scene.objects)})
    row = od.diagnose_scene(scene, None, PeelConfig(), 0, None, cache=tmp_path)  # the cache answers
    assert row["wrong"] == 0 and len(row["features"]) == row["cue_pairs"] == 1
    lines = list(csv.DictReader(io.StringIO(od.features_csv(row["features"]))))
    assert len(lines) == 1 and set(od.CUES) <= set(lines[0])
    assert (lines[0]["front"], lines[0]["back"], lines[0]["wrong"]) == ("0", "1", "0")
    assert float(lines[0]["box cover"]) == pytest.approx(row["features"][0]["box cover"], rel=1e-5)


def test_wrong_pairs_are_told_apart_by_what_placed_them(tmp_path):
    # a cover in front of a bar and a stripe, whose overlap it hides: the cover touches both (edges), the bar and
    # the stripe never touch, so only the sort places them; a fourth object far away is in no pair at all
    bar, stripe = _bar_over_stripe()
    cover = np.zeros_like(bar)
    cover[30:66, 40:80] = True
    scene = _scene(cover, bar, stripe)
    masks = {i: o.visible_mask for i, o in enumerate(scene.objects)}
    _, graph = od.scene_order(masks, scene.shape, PeelConfig())
    assert graph.has_edge("obj0", "obj1") and graph.has_edge("obj0", "obj2")
    assert od.decided_by(graph, (0, 1)) == od.decided_by(graph, (2, 0)) == "edge"
    assert od.decided_by(graph, (1, 2)) == "sort"
    chain = graph.copy()
    chain.add_edge("obj1", "obj2")
    chain.remove_edge("obj0", "obj2")
    assert od.decided_by(chain, (0, 2)) == "path"  # obj0 -> obj1 -> obj2: transitivity
    assert od.decided_by(graph, (0, 7)) == "sort"  # an object the graph lacks
    save_masks(tmp_path / "0.npz", {f"m{i}": m for i, m in masks.items()})
    row = od.diagnose_scene(scene, None, PeelConfig(), 0, None, cache=tmp_path)
    assert sum(row["placed"].values()) == row["pairs"] == len(scene.occlusion_pairs())
    assert sum(row["decided"].values()) == row["wrong"] and set(row["placed"]) <= set(od.DECIDED)


def test_cached_rests_on_reach_the_order_as_decompose_reads_it(tmp_path):
    # two halves side by side: no junction, no hull bite, so the masks alone leave the order to the prompts (the
    # bar, obj0, first: right); the joint labelling's word that obj1 rests on obj0 puts obj1 in front (wrong here)
    scene = _scene(*_bar_over_stripe())
    left = np.zeros(scene.shape, bool)
    left[20:70, 20:60] = True
    right = np.zeros_like(left)
    right[20:70, 60:100] = True
    save_masks(tmp_path / "0.npz", {"m0": left, "m1": right})
    rests = {}
    assert set(od.predicted_masks(scene, None, PeelConfig(), 0, tmp_path, rests)) == {0, 1} and rests == {}
    assert od.diagnose_scene(scene, None, PeelConfig(), 0, None, cache=tmp_path)["wrong"] == 0
    save_masks(tmp_path / "0.npz", {"m0": left, "m1": right, "r1": np.array([0])})
    masks = od.predicted_masks(scene, None, PeelConfig(), 0, tmp_path, rests)
    assert set(masks) == {0, 1} and rests == {1: 0}
    assert od.diagnose_scene(scene, None, PeelConfig(), 0, None, cache=tmp_path)["wrong"] == 1


def test_blame_names_the_mask_that_turns_a_pair():
    bar, stripe = _bar_over_stripe()
    scene = _scene(bar, stripe)
    front, back = scene.objects[0].visible_mask, scene.objects[1].visible_mask
    crossing = int((bar & stripe).sum())
    # the stripe's mask took the bar's pixels where they cross: the stripe looks in front, and only both true
    # masks together put the bar back in front (each alone leaves a contour that never meets the other's)
    row = od.blame(scene, {0: front & ~stripe, 1: stripe.copy()}, (0, 1), PeelConfig())
    assert row["pred"] < 0 < row["true"] and row["blame"] == "both"
    assert row["front_lost"] == row["front_lost_to_other"] == crossing and row["front_extra"] == 0
    assert row["back_extra"] == row["back_extra_other"] == crossing and row["back_extra_bg"] == 0
    # the same stripe beside the true bar: the back mask alone turns it
    row = od.blame(scene, {0: front, 1: stripe.copy()}, (0, 1), PeelConfig())
    assert row["blame"] == "back" and row["true_back"] > 0 >= row["pred"]
    # a front mask that leaks into the background is counted there
    leak = front.copy()
    leak[20:40, 20:50] = True
    row = od.blame(scene, {0: leak, 1: back}, (0, 1), PeelConfig())
    assert row["front_extra"] == row["front_extra_bg"] == 600 and row["back_extra"] == row["back_lost"] == 0


def test_true_only_reads_the_order_from_the_true_masks_without_a_first_pass(capsys):
    scene = _scene(*_bar_over_stripe())
    row = od.true_order_scene(scene, PeelConfig())
    assert row["pairs"] == 1 and row["wrong"] == 0 and row["placed"] == {"edge": 1}
    # the same scene given back to front: the order read from its masks is still right
    bar, stripe = _bar_over_stripe()
    assert od.true_order_scene(_scene(bar, stripe), PeelConfig())["wrong"] == 0
    # the command line: generated scenes, the same counts as scene_order on their true masks, in seconds
    assert od.main(["--true-only", "--scenes", "4", "--first-seed", "1000", "--list"]) == 0
    out = capsys.readouterr().out
    pairs = wrong = 0
    for seed in range(1000, 1004):
        sc = make_scene(seed, size=(160, 120), n_objects=(2, 4))
        depth, _ = od.scene_order({i: o.visible_mask for i, o in enumerate(sc.objects)}, sc.shape, PeelConfig(),
                                  [p.box for p in sc.prompts("box")], image=sc.image)
        pairs += len(sc.occlusion_pairs())
        wrong += len(od.wrong_pairs(sc, depth))
    assert f"{'overlapping pairs':<44} {pairs:>6}" in out
    assert f"{'depth-order accuracy, true visible masks':<44} {1 - wrong / pairs:6.3f}" in out
    assert "95 % scene interval" in out and "first pass" not in out
