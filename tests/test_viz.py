"""Pictures for people: what each drawing shows, checked on its pixels."""

import networkx as nx
import numpy as np

from paintseg_layers.eval.scenes import ground_truth_decomposition, make_scene
from paintseg_layers.prompts import BoxPrompt, PointPrompt
from paintseg_layers.viz import checkerboard, contact_sheet_image, draw_graph, draw_overlay


def test_overlay_tints_the_mask_outlines_it_and_draws_the_prompt():
    img = np.full((60, 80, 3), 0.5, np.float32)
    mask = np.zeros((60, 80), bool)
    mask[20:40, 30:50] = True
    out = draw_overlay(img, mask, BoxPrompt((10, 10, 70, 50)), colour=(1.0, 0.0, 0.0), alpha=0.5)
    assert out.dtype == np.uint8 and out.shape == (60, 80, 3)
    inside, outside = out[30, 40].astype(int), out[55, 5].astype(int)
    assert inside[0] > inside[1] + 60  # tinted red inside the mask
    assert np.array_equal(outside, [128, 128, 128])  # untouched away from mask and prompt
    assert np.array_equal(out[20, 40], [255, 0, 0])  # the outline runs along the mask's edge
    assert out[10, 40, 1] > 200 and out[10, 40, 0] < 100  # the box is drawn in green
    # clicks: positive green, negative magenta
    pts = draw_overlay(img, mask, PointPrompt(((40, 30),), ((5, 5),)))
    assert pts[30, 40, 1] > 200 and pts[5, 5, 0] > 200 and pts[5, 5, 2] > 200


def test_checkerboard_alternates_two_greys():
    board = checkerboard((16, 16), square=4)
    assert board.shape == (16, 16, 3) and board.dtype == np.float32
    assert board[0, 0, 0] != board[0, 4, 0] and board[0, 0, 0] == board[4, 4, 0]
    assert len(np.unique(board)) == 2


def test_draw_graph_puts_one_node_per_layer_and_an_arrow_per_edge():
    g = nx.DiGraph()
    g.add_edge("a", "b", confidence=1.0)
    empty = draw_graph(nx.DiGraph(), [], size=128)
    assert (empty == 255).all()
    pic = draw_graph(g, ["a", "b"], size=128)
    assert pic.shape == (128, 128, 3)
    node = np.all(pic == (242, 217, 140), axis=2)
    ys = np.flatnonzero(node.any(axis=1))
    assert ys.size and ys.min() < 64 < ys.max()  # one node in the top half (front), one in the bottom half
    arrow = np.all(pic == (0, 50, 200), axis=2)  # confidence 1 -> blue
    assert arrow.sum() > 20
    no_edge = draw_graph(nx.DiGraph([("a", "b")][:0]), ["a", "b"], size=128)
    assert not np.all(no_edge == (0, 50, 200), axis=2).any()


def test_contact_sheet_has_a_tile_per_layer_plus_input_background_and_graph():
    d = ground_truth_decomposition(make_scene(7, size=(96, 80), n_objects=3, cutouts="none"))
    tile = 64
    sheet = contact_sheet_image(d, tile=tile)
    n_tiles = len(d.layers) + 3  # input, layers, background, graph
    cols = min(4, n_tiles)
    rows = -(-n_tiles // cols)
    assert sheet.shape == (rows * (tile + 18 + 4) + 4, cols * (tile + 4) + 4, 3)
    assert sheet.dtype == np.uint8
    # the visible outline of every layer is drawn in magenta
    assert np.all(sheet == (255, 26, 153), axis=2).sum() > 0
