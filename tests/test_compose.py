"""The compositor on ground-truth scenes (known layers, background and depth) and tiny hand-made layers."""

import networkx as nx
import numpy as np
import pytest
from scipy import ndimage as ndi

from paintseg_layers.compose import AUTO_FEATHER, apply_edits, compose, render, render_order
from paintseg_layers.compose.edits import Flip, Insert, InsertImage, Lower, Raise, Remove, Scale, Translate
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes import ground_truth_decomposition, make_scene
from paintseg_layers.graph import occlusion_graph
from paintseg_layers.layers import Decomposition, Layer, quantize8


def psnr(a, b):
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


def scene_and_truth(seed, size=(80, 64), n=3):
    scene = make_scene(seed, size=size, cutouts="none", n_objects=n)
    return scene, ground_truth_decomposition(scene)


def two_squares(w=48, h=32):
    """A red square in front of a blue disc over a gradient; everything on the 8-bit grid."""
    yy, xx = np.mgrid[:h, :w]
    bg = quantize8(np.stack([xx / w, yy / h, np.full((h, w), 0.3)], -1))
    front = (abs(xx - 16) < 8) & (abs(yy - 16) < 8)
    back = ((xx - 26) ** 2 + (yy - 16) ** 2) < 100

    def rgba(m, col):
        r = np.zeros((h, w, 4), np.float32)
        r[m, :3] = col
        r[m, 3] = 1
        return quantize8(r)

    a = Layer("front", 0, 0, rgba(front, (0.8, 0.2, 0.2)), front, front)
    b = Layer("back", 1, 1, rgba(back, (0.2, 0.2, 0.8)), back & ~front, back)
    g = occlusion_graph({"front": {"prompt_index": 0}, "back": {"prompt_index": 1}},
                        [("front", "back", {"overlap": int((front & back).sum()), "confidence": 0.9})])
    return Decomposition((a, b), bg, g, (w, h))


def consistent(dec):
    """The graph agrees with the layer order and every overlapping pair has an edge."""
    assert nx.is_directed_acyclic_graph(dec.graph)
    assert set(dec.graph.nodes) == set(dec.order)
    rank = {lid: i for i, lid in enumerate(dec.order)}
    for u, v in dec.graph.edges:
        assert rank[u] < rank[v]
    for i, a in enumerate(dec.layers):
        assert dec.graph.nodes[a.id]["depth"] == i
        for b in dec.layers[i + 1:]:
            if (a.amodal_mask & b.amodal_mask).any():
                assert dec.graph.has_edge(a.id, b.id)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_edit_reproduces_scene_image(seed):
    scene, truth = scene_and_truth(seed)
    out = compose(truth)
    assert out.shape == scene.image.shape and out.dtype == np.float32
    assert psnr(out, scene.image) >= 40.0
    assert np.array_equal(out, render(truth))


def test_moving_front_object_uncovers_true_background_and_hidden_part():
    scene, truth = scene_and_truth(0)
    front = truth.layers[0]
    behind = [layer for layer in truth.layers[1:] if (layer.amodal_mask & front.amodal_mask).any()]
    assert behind, "scene 0 must have an occluded object"
    w, h = truth.image_size
    x0 = np.flatnonzero(front.amodal_mask.any(axis=0))[0]
    dx = -(x0 + 100)  # far off the canvas: clipped, not an error
    out = compose(truth, [Translate(front.id, dx, 0)])
    old = front.amodal_mask
    uncovered_hidden = np.zeros((h, w), bool)
    # the front-most remaining layer owns each pixel, else the background plate
    expected = truth.background.copy()
    owner = np.zeros((h, w), bool)
    for layer in truth.layers[1:]:
        take = layer.amodal_mask & ~owner
        expected[take] = layer.rgba[..., :3][take]
        owner |= layer.amodal_mask
        uncovered_hidden |= layer.hidden_mask & old
    assert uncovered_hidden.sum() > 50
    assert np.array_equal(out[old], expected[old])
    # the hidden part of the object behind is now shown and differs from what the input showed there
    assert np.abs(out[uncovered_hidden] - scene.image[uncovered_hidden]).mean() > 0.02
    free = old & ~owner
    assert free.any() and np.array_equal(out[free], scene.background[free])
    # elsewhere nothing changed
    assert np.array_equal(out[~old], scene.image[~old])


def test_move_within_canvas_shows_object_at_new_place():
    scene, truth = scene_and_truth(1)
    front = truth.layers[0]
    edited = apply_edits(truth, [Translate(front.id, 7, -3)])
    moved = edited.layer(front.id)
    shifted = np.zeros_like(front.amodal_mask)
    h, w = shifted.shape
    ys, xs = np.nonzero(front.amodal_mask)
    keep = (xs + 7 < w) & (ys - 3 >= 0)
    shifted[ys[keep] - 3, xs[keep] + 7] = True
    assert np.array_equal(moved.amodal_mask, shifted)
    out = render(edited)
    inner = ndi.binary_erosion(shifted, iterations=2)
    src = np.zeros((h, w, 3), np.float32)
    src[ys[keep] - 3, xs[keep] + 7] = front.rgba[ys[keep], xs[keep], :3]
    assert np.array_equal(out[inner], src[inner])
    consistent(edited)


def test_remove_equals_moving_out_of_canvas():
    _, truth = scene_and_truth(2)
    lid = truth.layers[0].id
    a = compose(truth, [Remove(lid)])
    b = compose(truth, [Translate(lid, 10_000, 0)])
    assert np.array_equal(a, b)
    assert lid not in apply_edits(truth, [Remove(lid)]).order


def test_lower_front_behind_updates_graph_and_pixels():
    d = two_squares()
    overlap = d.layers[0].amodal_mask & d.layers[1].amodal_mask
    edited = apply_edits(d, [Lower("front")])
    assert edited.order == ["back", "front"]
    assert edited.graph.has_edge("back", "front") and not edited.graph.has_edge("front", "back")
    assert edited.graph.edges["back", "front"]["confidence"] == 1.0
    consistent(edited)
    out = render(edited)
    assert np.allclose(out[overlap], d.layers[1].rgba[overlap][:, :3])
    assert np.array_equal(edited.layer("front").visible_mask, d.layers[0].amodal_mask & ~d.layers[1].amodal_mask)
    again = apply_edits(edited, [Raise("front")])
    assert again.order == ["front", "back"] and np.array_equal(render(again), render(d))


def test_raise_lower_steps_and_untouched_edges_keep_attributes():
    _, truth = scene_and_truth(0)
    order = truth.order
    edited = apply_edits(truth, [Raise(order[2], steps=1)])
    assert edited.order == [order[0], order[2], order[1]]
    consistent(edited)
    assert apply_edits(truth, [Lower(order[0], steps=5)]).order == order[1:] + order[:1]
    # a pair neither moved nor reordered keeps its original edge data
    if truth.graph.has_edge(order[0], order[1]):
        assert edited.graph.edges[order[0], order[1]] == truth.graph.edges[order[0], order[1]]


def test_render_order_follows_graph_not_list():
    d = two_squares()
    g = occlusion_graph({"front": {"prompt_index": 0}, "back": {"prompt_index": 1}}, [("back", "front")])
    swapped = Decomposition(d.layers, d.background, g, d.image_size)
    assert render_order(swapped) == ["back", "front"]
    overlap = d.layers[0].amodal_mask & d.layers[1].amodal_mask
    assert np.allclose(render(swapped)[overlap], d.layers[1].rgba[overlap][:, :3])


def test_flip_is_exact_mirror_about_box():
    d = two_squares()
    a = d.layers[1]
    flipped = apply_edits(d, [Flip("back", "horizontal")], feather=0).layer("back")
    xs = np.flatnonzero(a.amodal_mask.any(axis=0))
    x0, x1 = xs[0], xs[-1] + 1
    expect = a.rgba.copy()
    expect[:, x0:x1] = a.rgba[:, x0:x1][:, ::-1]
    assert np.array_equal(flipped.rgba[..., 3], expect[..., 3])
    m = expect[..., 3] > 0
    assert np.array_equal(flipped.rgba[m], expect[m])
    vflip = apply_edits(d, [Flip("back", "vertical"), Flip("back", "vertical")], feather=0).layer("back")
    assert np.array_equal(vflip.amodal_mask, a.amodal_mask)


@pytest.mark.parametrize("factor", [2.0, 0.5, 0.3])
def test_scale_changes_area_and_softens_edges(factor):
    d = two_squares(96, 64)
    a = d.layers[0]
    scaled = apply_edits(d, [Scale("front", factor)]).layer("front")
    area = scaled.rgba[..., 3].sum()
    assert area == pytest.approx(a.amodal_mask.sum() * factor ** 2, rel=0.15)
    alpha = scaled.rgba[..., 3]
    assert ((alpha > 0) & (alpha < 1)).any()  # anti-aliased boundary
    cy, cx = np.argwhere(a.amodal_mask).mean(axis=0)
    sy, sx = np.argwhere(scaled.amodal_mask).mean(axis=0)
    assert abs(sy - cy) < 1.0 and abs(sx - cx) < 1.0  # about the box centre
    inner = ndi.binary_erosion(scaled.amodal_mask, iterations=2)
    if inner.any():
        assert np.allclose(scaled.rgba[inner][:, :3], (0.8, 0.2, 0.2), atol=1 / 255)


def test_auto_feather_softens_only_inside_and_only_edited_layers():
    d = two_squares()
    edited = apply_edits(d, [Translate("front", 3, 0)])
    alpha = edited.layer("front").rgba[..., 3]
    footprint = np.roll(d.layers[0].amodal_mask, 3, axis=1)
    assert not (alpha[~footprint] > 0).any()  # nothing leaks outward
    edge = footprint & ~ndi.binary_erosion(footprint)
    assert (alpha[edge] < 1).all() and (alpha[edge] >= 0.5).all()
    assert (alpha[ndi.binary_erosion(footprint, iterations=3)] == 1).all()
    assert np.array_equal(edited.layer("back").rgba, d.layers[1].rgba)  # untouched layer bit-exact
    hard = apply_edits(d, [Translate("front", 3, 0)], feather=0).layer("front").rgba[..., 3]
    assert set(np.unique(hard)) == {0.0, 1.0}
    assert AUTO_FEATHER > 0
    soft_all = apply_edits(d, feather=1.0)
    assert ((soft_all.layer("back").rgba[..., 3] > 0) & (soft_all.layer("back").rgba[..., 3] < 1)).any()


def test_off_canvas_is_clipped_and_recoverable():
    d = two_squares()
    part = apply_edits(d, [Translate("front", -12, 0)], feather=0).layer("front")
    assert 0 < part.amodal_mask.sum() < d.layers[0].amodal_mask.sum()
    gone = apply_edits(d, [Translate("front", 0, 500)])
    assert not gone.layer("front").amodal_mask.any() and "front" in gone.order
    back = apply_edits(d, [Translate("front", 500, 0), Translate("front", -500, 0)], feather=0)
    assert np.array_equal(back.layer("front").rgba, d.layers[0].rgba)
    assert np.array_equal(render(back), render(d))


def test_insert_from_other_decomposition_and_image(tmp_path):
    d = two_squares()
    other = two_squares()
    edited = apply_edits(d, [Insert(other, "back", 30, 2, depth=0)], feather=0)
    assert edited.order == ["back-2", "front", "back"]
    new = edited.layer("back-2")
    ys, xs = np.nonzero(new.amodal_mask)
    assert xs.min() == 30 and ys.min() == 2
    assert new.prompt_index == 2 and "inserted_from" in new.prompt
    consistent(edited)
    other.save(tmp_path / "other")
    via_path = apply_edits(d, [Insert(str(tmp_path / "other"), "front", 0, 0, id="pasted", depth=2)])
    assert via_path.order == ["front", "back", "pasted"]
    sticker = np.zeros((5, 6, 4), np.uint8)
    sticker[1:4, 1:5] = (0, 255, 0, 255)
    out = apply_edits(d, [InsertImage(sticker, 40, 20, id="sticker")], feather=0)
    assert out.order[0] == "sticker"
    assert np.array_equal(np.argwhere(out.layer("sticker").amodal_mask).min(axis=0), [21, 41])
    pic = render(out)
    assert np.allclose(pic[22, 42], (0, 1, 0))
    edited.save(tmp_path / "edited")  # a valid decomposition
    assert Decomposition.load(tmp_path / "edited").order == edited.order


def test_edits_apply_in_order_and_inserted_ids_can_be_edited():
    d = two_squares()
    e = apply_edits(d, [InsertImage(np.ones((4, 4, 4), np.float32), 1, 1, id="dot"), Translate("dot", 2, 0),
                        Lower("dot")], feather=0)
    assert e.order[-1] == "dot"
    assert np.argwhere(e.layer("dot").amodal_mask).min(axis=0).tolist() == [1, 3]


def test_unknown_ids_and_bad_edits_raise_one_line():
    d = two_squares()
    with pytest.raises(InputError, match=r"unknown layer id 'ghost'; known ids: front, back") as info:
        compose(d, [Translate("ghost", 1, 1)])
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="edit #2 .remove.: unknown layer id 'front'"):
        compose(d, [Remove("front"), Remove("front")])
    with pytest.raises(InputError, match="known ids: front, back"):
        compose(d, [Insert(d, "nope", 0, 0)])
    with pytest.raises(InputError, match="depth"):
        compose(d, [Insert(d, "front", 0, 0, depth=7)])
    with pytest.raises(InputError, match="no opaque pixel"):
        compose(d, [InsertImage(np.zeros((3, 3, 4), np.uint8), 0, 0)])
    with pytest.raises(InputError, match="feather"):
        compose(d, feather=-1)
    with pytest.raises(InputError, match="not an edit"):
        compose(d, ["remove front"])


def test_no_edits_returns_same_decomposition():
    d = two_squares()
    assert apply_edits(d) is d
    assert np.array_equal(compose(d), render(d))
