"""The occlusion graph: a :class:`networkx.DiGraph` whose edge ``u -> v`` means "u occludes v".

Nodes are layer ids carrying ``prompt_index`` (and any other attributes, e.g. areas); edges carry
``overlap`` (the contested area in px) and ``confidence`` in [0, 1] (how sure the cue was).

Depth order is a topological sort, front to back; objects with no order between them keep the order
of their prompts (``prompt_index``). A cycle (a occludes b occludes c occludes a -- possible for
interlocking objects, or from a wrong cue) has no depth order: :func:`break_cycles` removes, on each
cycle found, the edge with the **lowest confidence** (ties: the smaller ``overlap``, then the larger
``(u, v)`` in string order, so the result is deterministic) until none is left. The removed edges
are listed in ``graph.graph["removed_edges"]`` as ``[u, v, confidence]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import networkx as nx

from paintseg_layers.errors import InputError
from paintseg_layers.imageio import write_text
from paintseg_layers.jsonable import jsonable


def occlusion_graph(nodes: Mapping[str, Mapping] | Iterable[str], edges: Iterable = ()) -> nx.DiGraph:
    """Build an occlusion graph.

    Parameters
    ----------
    nodes : mapping id -> attributes, or iterable of ids
    edges : iterable of ``(u, v)`` or ``(u, v, attributes)``
        ``u`` occludes ``v``; attributes default to ``overlap=0, confidence=1.0``.

    Returns
    -------
    networkx.DiGraph

    Raises
    ------
    InputError
        If an edge names an unknown node or is a self-loop.

    Examples
    --------
    >>> g = occlusion_graph(["a", "b"], [("a", "b", {"overlap": 12, "confidence": 0.9})])
    >>> depth_order(g)
    ['a', 'b']
    """
    g = nx.DiGraph()
    if isinstance(nodes, Mapping):
        for n, attrs in nodes.items():
            g.add_node(n, **dict(attrs))
    else:
        for n in nodes:
            g.add_node(n)
    for e in edges:
        if len(e) == 2:
            u, v, attrs = e[0], e[1], {}
        elif len(e) == 3:
            u, v, attrs = e
        else:
            raise InputError(f"`edges` items must be (u, v) or (u, v, attrs), got {e!r}")
        if u not in g or v not in g:
            raise InputError(f"edge {u!r} -> {v!r} names a node not in the graph; nodes: {sorted(g.nodes)}")
        if u == v:
            raise InputError(f"an object cannot occlude itself, got edge {u!r} -> {v!r}")
        data = {"overlap": 0, "confidence": 1.0}
        data.update(attrs)
        g.add_edge(u, v, **data)
    return g


def find_cycles(graph: nx.DiGraph) -> list[list]:
    """All simple cycles, each as a list of nodes (empty when the graph is acyclic)."""
    return [list(c) for c in nx.simple_cycles(graph)]


def _weakness(graph, u, v):
    d = graph.edges[u, v]
    return (float(d.get("confidence", 1.0)), float(d.get("overlap", 0)), _neg_str(u, v))


def _neg_str(u, v):
    # larger (u, v) breaks first on full ties: negate by sorting key trick
    return tuple(-ord(c) for c in f"{u}\0{v}")


def break_cycles(graph: nx.DiGraph) -> nx.DiGraph:
    """A copy of ``graph`` with cycles removed by the rule in the module docstring.

    Returns
    -------
    networkx.DiGraph
        Acyclic; ``graph.graph["removed_edges"]`` lists what was removed (``[u, v, confidence]``).
    """
    g = graph.copy()
    removed = list(g.graph.get("removed_edges", []))
    while True:
        try:
            cycle = nx.find_cycle(g)
        except nx.NetworkXNoCycle:
            break
        u, v = min(((a, b) for a, b, *_ in cycle), key=lambda e: _weakness(g, *e))
        removed.append([u, v, float(g.edges[u, v].get("confidence", 1.0))])
        g.remove_edge(u, v)
    g.graph["removed_edges"] = removed
    return g


def depth_order(graph: nx.DiGraph) -> list:
    """Node ids front to back (topological order; ties by ``prompt_index``, then id).

    Raises
    ------
    InputError
        If the graph has a cycle (call :func:`break_cycles` first).
    """
    if not nx.is_directed_acyclic_graph(graph):
        raise InputError(f"the occlusion graph has cycles {find_cycles(graph)[:3]}; call break_cycles() first")

    def key(n):
        return (graph.nodes[n].get("prompt_index", 0), str(n))

    return list(nx.lexicographical_topological_sort(graph, key=key))


def to_json(graph: nx.DiGraph) -> str:
    """Node-link JSON (networkx ``node_link_data`` with ``edges="edges"``)."""
    return json.dumps(jsonable(nx.node_link_data(graph, edges="edges")), indent=1, sort_keys=True) + "\n"


def from_json(text: str) -> nx.DiGraph:
    """Inverse of :func:`to_json`."""
    return nx.node_link_graph(json.loads(text), directed=True, multigraph=False, edges="edges")


def save_graph(graph: nx.DiGraph, path) -> Path:
    """Write :func:`to_json` atomically."""
    return write_text(path, to_json(graph))


def load_graph(path) -> nx.DiGraph:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"graph file not found: {p}")
    return from_json(p.read_text())


__all__ = ["occlusion_graph", "find_cycles", "break_cycles", "depth_order", "to_json", "from_json", "save_graph",
           "load_graph"]
