"""The compositor: re-render a decomposition, optionally rearranged by edits.

:func:`compose` paints the background plate and then the layers back to front in the occlusion
graph's topological order. Because layers are amodal (their RGBA holds the completed object and
the plate holds the completed background), a moved or removed object uncovers plausible pixels
instead of a hole.

How edits act (see :mod:`paintseg_layers.compose.edits` for the list):

* Geometry (translate, scale, flip) accumulates into one affine map per layer, applied once at
  the end, so a layer moved off the canvas and back loses nothing. Integer moves and flips copy
  pixels exactly; other maps resample premultiplied RGBA bilinearly (area-averaged first when
  shrinking), which gives soft alpha at the edges. Whatever falls outside the canvas is clipped.
* Anti-aliasing: with ``feather=None`` (the default) every layer whose geometry changed or that
  was inserted and whose alpha is still binary gets a soft edge: its alpha is lowered just inside
  the boundary (never grown outward, so no colour from outside the mask leaks in). Untouched
  layers are left bit-exact, so composing with no edits reproduces the decomposition exactly.
  ``feather=0`` turns this off; ``feather=s > 0`` softens every layer with a Gaussian of ``s`` px.
* Depth: raise/lower move a layer in the front-to-back order. The graph of the result is rebuilt
  to agree with that order: for every overlapping pair it holds one edge, front -> back, keeping
  the original attributes where neither layer moved and the direction is unchanged, and
  ``overlap`` (px) with ``confidence=1.0`` (the user's decision) otherwise. Pairs that no longer
  overlap lose their edge.
* After any edit the visible masks are recomputed from the new arrangement (amodal mask minus the
  amodal masks of the layers in front), and ``image`` is dropped (it no longer matches).
"""


from __future__ import annotations

import logging

import networkx as nx
import numpy as np

from paintseg_layers.graph import break_cycles

logger = logging.getLogger(__name__)


def render_order(decomposition) -> list[str]:
    """Layer ids front to back: a topological sort of the occlusion graph.

    Ties (layers with no path between them) keep the decomposition's own depth order. Cycles are
    broken first with :func:`paintseg_layers.graph.break_cycles`.
    """

    graph = decomposition.graph
    if not nx.is_directed_acyclic_graph(graph):
        graph = break_cycles(graph)
        logger.warning("occlusion graph has cycles; removed edges %s", graph.graph.get("removed_edges"))
    rank = {layer.id: i for i, layer in enumerate(decomposition.layers)}
    return list(nx.lexicographical_topological_sort(graph, key=lambda n: rank.get(n, len(rank))))


def render(decomposition) -> np.ndarray:
    """Composite the layers over the background plate, back to front, without edits.

    Returns
    -------
    ndarray, shape (H, W, 3), float32
        RGB in [0, 1].
    """
    by_id = {layer.id: layer for layer in decomposition.layers}
    out = decomposition.background.astype(np.float32, copy=True)
    for lid in reversed(render_order(decomposition)):
        rgba = by_id[lid].rgba
        a = rgba[..., 3:4]
        out = rgba[..., :3] * a + out * (1.0 - a)
    return np.clip(out, 0.0, 1.0).astype(np.float32)
