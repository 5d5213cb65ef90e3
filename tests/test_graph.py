"""Occlusion graph: construction, depth order, cycles, JSON round trip."""

import networkx as nx
import pytest

from paintseg_layers.errors import InputError
from paintseg_layers.graph import (
    agreeing_order,
    break_cycles,
    depth_order,
    find_cycles,
    from_json,
    load_graph,
    occlusion_graph,
    save_graph,
    to_json,
)


def test_depth_order_follows_edges_and_prompt_order():
    nodes = {"c": {"prompt_index": 2}, "a": {"prompt_index": 0}, "b": {"prompt_index": 1}, "d": {"prompt_index": 3}}
    g = occlusion_graph(nodes, [("c", "a", {"overlap": 10, "confidence": 0.8})])
    assert g.edges["c", "a"] == {"overlap": 10, "confidence": 0.8}
    # c must come before a; b and d have no constraint and keep the prompt order
    assert depth_order(g) == ["b", "c", "a", "d"]


def test_default_edge_attributes():
    g = occlusion_graph(["x", "y"], [("x", "y")])
    assert g.edges["x", "y"] == {"overlap": 0, "confidence": 1.0}


@pytest.mark.parametrize("edge", [("a", "zz"), ("a", "a"), ("a",)])
def test_bad_edges_raise(edge):
    with pytest.raises(InputError):
        occlusion_graph(["a", "b"], [edge])


def test_cycle_is_detected_and_broken_at_the_weakest_edge():
    g = occlusion_graph(["a", "b", "c"], [("a", "b", {"confidence": 0.9, "overlap": 5}),
                                          ("b", "c", {"confidence": 0.3, "overlap": 50}),
                                          ("c", "a", {"confidence": 0.7, "overlap": 5})])
    assert len(find_cycles(g)) == 1
    with pytest.raises(InputError, match="cycle"):
        depth_order(g)
    fixed = break_cycles(g)
    assert nx.is_directed_acyclic_graph(fixed)
    assert not fixed.has_edge("b", "c")
    assert fixed.graph["removed_edges"] == [["b", "c", 0.3]]
    assert depth_order(fixed) == ["c", "a", "b"]
    assert g.has_edge("b", "c")  # the input is not modified


def test_cycle_ties_break_deterministically_and_two_cycles():
    edges = [("a", "b"), ("b", "a"), ("c", "d"), ("d", "c")]
    g1 = break_cycles(occlusion_graph(["a", "b", "c", "d"], edges))
    g2 = break_cycles(occlusion_graph(["d", "c", "b", "a"], list(reversed(edges))))
    assert sorted(g1.edges) == sorted(g2.edges)
    assert len(g1.graph["removed_edges"]) == 2
    assert nx.is_directed_acyclic_graph(g1)


def test_json_round_trip(tmp_path):
    g = occlusion_graph({"a": {"prompt_index": 0, "depth": 0}, "b": {"prompt_index": 1, "depth": 1}},
                        [("a", "b", {"overlap": 3, "confidence": 0.5})])
    g2 = from_json(to_json(g))
    assert dict(g2.nodes(data=True)) == dict(g.nodes(data=True))
    assert list(g2.edges(data=True)) == list(g.edges(data=True))
    path = save_graph(g, tmp_path / "g.json")
    assert to_json(load_graph(path)) == to_json(g)
    with pytest.raises(InputError):
        load_graph(tmp_path / "missing.json")


def test_agreeing_order_resolves_the_whole_graph_at_once():
    # two cycles share the edge b -> c; cutting it (0.8) contradicts less evidence than cutting
    # each cycle's weakest edge (a -> b 0.4 plus d -> b 0.5), which is what break_cycles does
    edges = [("a", "b", {"confidence": 0.4}), ("b", "c", {"confidence": 0.8}), ("c", "a", {"confidence": 0.5}),
             ("c", "d", {"confidence": 0.9}), ("d", "b", {"confidence": 0.5})]
    g = occlusion_graph({n: {"prompt_index": k} for k, n in enumerate("abcd")}, edges)
    pairwise = break_cycles(g)
    whole = agreeing_order(g)
    assert sum(e[2] for e in pairwise.graph["removed_edges"]) == pytest.approx(0.9)
    assert whole.graph["removed_edges"] == [["b", "c", 0.8]]
    assert depth_order(whole) == ["c", "a", "d", "b"]
    acyclic = occlusion_graph(["x", "y"], [("y", "x")])
    assert list(agreeing_order(acyclic).edges) == [("y", "x")] and agreeing_order(acyclic).graph["removed_edges"] == []


def test_agreeing_order_weighs_edges_by_the_attribute_named():
    # three certain edges in a cycle (confidence capped at 1): by confidence the cut is a tie, which the prompt
    # order breaks; by the evidence margins the weakest one, a -> b, goes (the panel, banana and tree of a
    # scene whose tree-on-panel edge comes from its prompt box)
    edges = [("a", "b", {"confidence": 1.0, "margin": 0.69}), ("b", "c", {"confidence": 1.0, "margin": 1.24}),
             ("c", "a", {"confidence": 1.0, "margin": 1.26})]
    g = occlusion_graph({n: {"prompt_index": k} for k, n in enumerate("abc")}, edges)
    assert agreeing_order(g).graph["removed_edges"] == [["c", "a", 1.0]]
    by_margin = agreeing_order(g, weight="margin")
    assert by_margin.graph["removed_edges"] == [["a", "b", 1.0]]
    assert depth_order(by_margin) == ["b", "c", "a"]
    # an edge without the attribute counts its confidence
    del g.edges["a", "b"]["margin"]
    assert agreeing_order(g, weight="margin").graph["removed_edges"] == [["a", "b", 1.0]]
