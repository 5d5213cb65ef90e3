"""The occlusion graph: a :class:`networkx.DiGraph` whose edge ``u -> v`` means "u occludes v".

Nodes are layer ids carrying ``prompt_index`` (and any other attributes, e.g. areas); edges carry
``overlap`` (the contested area in px) and ``confidence`` in [0, 1] (how sure the cue was).

Depth order is a topological sort, front to back; objects with no order between them keep the order
of their prompts (``prompt_index``). A cycle (a occludes b occludes c occludes a -- possible for
interlocking objects, or from a wrong cue) has no depth order: :func:`break_cycles` removes, on each
cycle found, the edge with the **lowest confidence** (ties: the smaller ``overlap``, then the larger
``(u, v)`` in string order, so the result is deterministic) until none is left. The removed edges
are listed in ``graph.graph["removed_edges"]`` as ``[u, v, confidence]``. :func:`agreeing_order`
resolves the whole graph at once instead (the order contradicting the least total confidence); layer
peeling uses it.
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


def agreeing_order(graph: nx.DiGraph, *, max_exact: int = 14, weight: str = "confidence") -> nx.DiGraph:
    """A copy of ``graph`` keeping the edges of the depth order that agrees most with its evidence.

    The whole graph is resolved at once: among all orders of the nodes, the one whose disagreeing
    edges have the smallest total ``weight`` attribute (default ``confidence``; missing: the
    confidence, then 1; a minimum-weight feedback arc set, solved exactly
    by dynamic programming over subsets up to ``max_exact`` nodes; ties go to the order of
    ``prompt_index``); the edges it contradicts are removed and listed in
    ``graph.graph["removed_edges"]`` like :func:`break_cycles`, which larger graphs fall back to. On an
    acyclic graph nothing changes.

    Examples
    --------
    >>> g = occlusion_graph(["a", "b", "c"], [("a", "b", {"confidence": 0.9}), ("b", "c", {"confidence": 0.8}),
    ...                                       ("c", "a", {"confidence": 0.3})])
    >>> agreeing_order(g).graph["removed_edges"]
    [['c', 'a', 0.3]]
    """
    if nx.is_directed_acyclic_graph(graph) or graph.number_of_nodes() > max_exact:
        return break_cycles(graph)
    nodes = sorted(graph.nodes, key=lambda n: (graph.nodes[n].get("prompt_index", 0), str(n)))
    k = len(nodes)
    against = [[0.0] * k for _ in range(k)]
    for u, v, d in graph.edges(data=True):
        against[nodes.index(u)][nodes.index(v)] += float(d.get(weight, d.get("confidence", 1.0)))
    best = {0: (0.0, ())}
    for subset in range(1 << k):  # increasing integers: every subset comes after its subsets
        if subset not in best:
            continue
        cost, order = best[subset]
        for v in range(k):
            if subset >> v & 1:
                continue
            # v goes behind everything in subset: its edges onto them (v occludes u) are contradicted
            extra = sum(against[v][u] for u in order)
            nxt = subset | 1 << v
            if nxt not in best or cost + extra < best[nxt][0] - 1e-12:
                best[nxt] = (cost + extra, (*order, v))
    rank = {nodes[v]: r for r, v in enumerate(best[(1 << k) - 1][1])}
    g = graph.copy()
    removed = list(g.graph.get("removed_edges", []))
    for u, v in list(g.edges):
        if rank[u] > rank[v]:
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


__all__ = ["occlusion_graph", "find_cycles", "break_cycles", "agreeing_order", "depth_order", "to_json", "from_json",
           "save_graph", "load_graph"]
