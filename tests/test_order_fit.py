"""benchmarks/order_fit.py: antisymmetric order features and the graph replay, on scenes with known layers."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load_benchmark, rect

from paintseg_layers.eval.scenes.model import Scene, SceneObject
from paintseg_layers.prompts import box_mask

of = load_benchmark("order_fit")

H, W = 120, 160


def _scene(*objects) -> Scene:
    """Objects given front to back as amodal masks; visible = amodal minus everything in front."""
    in_front = np.zeros((H, W), bool)
    out = []
    for depth, amodal in enumerate(objects):
        out.append(SceneObject(rgb=np.zeros((H, W, 3), np.float32), amodal_mask=amodal,
                               visible_mask=amodal & ~in_front, depth=depth, source="shape:test"))
        in_front |= amodal
    img = np.zeros((H, W, 3), np.float32)
    return Scene(image=img, background=img, objects=tuple(out), seed=0)


def _two():
    scene = _scene(rect(70, 50, 140, 100), rect(30, 30, 100, 80))
    vis = [o.visible_mask for o in scene.objects]
    boxes = [box_mask(p.box, (H, W)) for p in scene.prompts("box")]
    return vis, boxes


def test_pair_features_change_sign_when_the_pair_is_swapped():
    (front, back), (rf, rb) = _two()
    none = np.zeros((H, W), bool)
    ab = of.pair_features(front, back, rf, rb, none, 18)
    ba = of.pair_features(back, front, rb, rf, none, 18)
    for name, value in ab.items():
        assert ba[name] == pytest.approx(-value, abs=1e-9), name
    assert ab["turn"] > 0.5  # the back rectangle's contour turns round the front one's corner
    assert ab["hull"] > 0


def test_todays_score_orders_true_masks_and_its_negation_inverts_every_pair():
    scene = _scene(rect(70, 50, 140, 100), rect(30, 30, 100, 80), rect(120, 20, 150, 70))
    rows = of.scene_rows(scene, {i: o.visible_mask for i, o in enumerate(scene.objects)})
    assert {(r["a"], r["b"]) for r in rows} >= {(0, 1)}
    assert all(r["overlap"] == ((r["a"], r["b"]) in {(0, 1), (0, 2)} or (r["b"], r["a"]) in {(0, 1), (0, 2)})
               for r in rows)
    data = [{"scene": scene, "kept": [0, 1, 2], "rows": rows}]
    today = lambda r: r["turn"] + 0.5 * r["hull"] + r["resting"] + r["swallowed"]  # noqa: E731
    assert of.count_wrong(data, today) == 0
    assert of.count_wrong(data, lambda r: -today(r)) == len(scene.occlusion_pairs())


def test_fit_recovers_the_sign_of_an_informative_feature():
    (front, back), (rf, rb) = _two()
    scene = _scene(rect(70, 50, 140, 100), rect(30, 30, 100, 80))
    rows = of.scene_rows(scene, {0: front, 1: back})
    w = of.fit([{"scene": scene, "kept": [0, 1], "rows": rows * 4}], ("turn",), 1.0)
    assert w[0] > 0
