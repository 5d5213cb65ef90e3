"""The joint cut's second cut for a swallowed object: one resting on another whose label the other took."""

from __future__ import annotations

import networkx as nx
import numpy as np

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.eval.scenes import make_scene
from paintseg_layers.image import as_rgb
from paintseg_layers.masks import iou
from paintseg_layers.peel import PeelConfig, decompose
from paintseg_layers.peel.joint import swallowed_pairs
from paintseg_layers.peel.order import order_graph


def _rect(shape, x0, y0, x1, y1):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def test_swallowed_pairs_needs_a_fragment_whose_support_the_holder_took():
    shape = (120, 160)
    valid = [_rect(shape, 40, 20, 120, 100), _rect(shape, 60, 50, 90, 110)]  # the second 0.8 inside the first
    support = [valid[0].copy(), _rect(shape, 65, 55, 85, 95)]
    taken = [valid[0].copy(), _rect(shape, 70, 100, 80, 108)]  # the holder took all but a stub below it
    assert swallowed_pairs(taken, support, valid) == {(1, 0)}
    kept = [valid[0] & ~support[1], support[1]]  # the object kept its own mask: nothing to cut again
    assert not swallowed_pairs(kept, support, valid)
    lost = [valid[0] & ~support[1], taken[1]]  # a fragment, but the holder did not take the rest
    assert not swallowed_pairs(lost, support, valid)
    inner = [valid[0], _rect(shape, 62, 52, 88, 98)]  # over 0.9 inside: nested_claims' case already
    assert not swallowed_pairs(taken, [support[0], support[1]], inner)


def test_order_graph_puts_a_resting_object_in_front_of_its_holder():
    shape = (60, 80)
    panel = _rect(shape, 10, 10, 70, 50)
    head = _rect(shape, 30, 20, 50, 40)
    masks = {"panel": panel & ~head, "head": head}  # the head fills a hole of the panel: weak contour cues
    graph = order_graph(masks, shape, working_size=80, contact_radius=0.05, min_confidence=0.1,
                        rests={"head": "panel"})
    assert graph.has_edge("head", "panel")
    assert list(nx.topological_sort(graph)) == ["head", "panel"]


def test_a_broccoli_head_on_a_green_panel_is_cut_again_and_put_in_front():
    # peel scene 2023: a broccoli (its box 0.77 inside a green-to-purple panel's) in front of the panel, a banana
    # in front of both; the panel's own box segment fills the head in and the first cut gave it the head
    scene = make_scene(2023, size=(160, 120), n_objects=(2, 4))
    cfg = PeelConfig(amcp=AMCPConfig(working_size=160, samples=5, steps="IOI"))
    dec = decompose(as_rgb(scene.image), scene.prompts("box"), config=cfg, seed=0)
    bush = scene.objects[2]
    assert bush.source.endswith("bush")
    assert iou(dec.layer(2).visible_mask, bush.visible_mask) >= 0.85
    assert dec.layer(2).scores["rests_on"] == 1
    depth = {lay.prompt_index: rank for rank, lay in enumerate(dec.layers)}
    for front, back, _ in scene.occlusion_pairs():
        assert depth[front] < depth[back]
