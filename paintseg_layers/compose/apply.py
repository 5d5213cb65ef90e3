"""Apply edits to a decomposition: a new, rearranged :class:`~paintseg_layers.layers.Decomposition`."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import networkx as nx
import numpy as np

from paintseg_layers.compose.edits import Flip, Insert, InsertImage, Lower, Raise, Remove, Scale, Translate
from paintseg_layers.compose.placed import AUTO_FEATHER, Placed, crop, placed_from_layer, soften, warp
from paintseg_layers.compose.render import render, render_order
from paintseg_layers.compose.script import edit_to_dict
from paintseg_layers.errors import InputError
from paintseg_layers.imageio import read_rgba
from paintseg_layers.layers import Decomposition, Layer, visible_masks

logger = logging.getLogger(__name__)


def compose(decomposition, edits=(), *, feather: float | None = None) -> np.ndarray:
    """Render ``decomposition`` with ``edits`` applied.

    Parameters
    ----------
    decomposition : Decomposition
        Layers, background plate and occlusion graph.
    edits : sequence of edits, optional
        :mod:`paintseg_layers.compose.edits` objects, applied in order.
    feather : float, optional
        Edge softening: ``None`` (auto, edited layers only), ``0`` (off) or a Gaussian sigma in px
        applied to every layer. See the module docstring.

    Returns
    -------
    ndarray, shape (H, W, 3), float32
        The composited RGB image in [0, 1].

    Raises
    ------
    InputError
        If an edit names an unknown layer (the message lists the known ids) or cannot be applied.

    Examples
    --------
    >>> from paintseg_layers.compose.edits import Translate, Raise
    >>> picture = compose(dec, [Translate("obj0", 40, 0), Raise("obj1")])  # doctest: +SKIP
    """
    return render(apply_edits(decomposition, edits, feather=feather))


def _known(order: list[Placed], lid: str, where: str) -> int:
    for i, p in enumerate(order):
        if p.id == lid:
            return i
    known = ", ".join(p.id for p in order) or "none"
    raise InputError(f"{where}: unknown layer id {lid!r}; known ids: {known}")


#: An inserted picture may be at most this many times the canvas per side.
INSERT_OVERHANG = 2


def _free_id(base: str, order: list[Placed]) -> str:
    taken = {p.id for p in order}
    if base not in taken:
        return base
    k = 2
    while f"{base}-{k}" in taken:
        k += 1
    return f"{base}-{k}"


def _load_source(source, cache: dict):

    if not isinstance(source, (str, Path)):
        return source
    key = str(Path(source).resolve())
    if key not in cache:
        cache[key] = Decomposition.load(source)
    return cache[key]


def _where_from(source) -> str:
    return str(source) if isinstance(source, (str, Path)) else "memory"


def _read_rgba(image, canvas) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        bound = (INSERT_OVERHANG * canvas[0], INSERT_OVERHANG * canvas[1])  # checked before decoding
        try:
            return read_rgba(image, name="image", max_size=bound)
        except InputError as exc:
            raise InputError(f"insert_image: {exc}") from None
    arr = image
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / np.float32(255.0)
    if arr.dtype.kind != "f" or not np.isfinite(arr).all():
        raise InputError(f"insert_image: `image` array must be uint8 or finite float in [0, 1], got {arr.dtype}")
    return np.clip(arr, 0.0, 1.0).astype(np.float32)


def apply_edits(decomposition, edits=(), *, feather: float | None = None):
    """A new :class:`~paintseg_layers.layers.model.Decomposition` with ``edits`` applied.

    Parameters
    ----------
    decomposition : Decomposition
    edits : sequence of edits
        Applied in order; later edits may name layers inserted by earlier ones.
    feather : float, optional
        Edge softening, see the module docstring.

    Returns
    -------
    Decomposition
        Layers re-ordered front to back (``depth`` = position) with their geometry applied and
        clipped to the canvas, visible masks recomputed, and a graph that agrees with the order.
        With no edits and ``feather`` not positive, ``decomposition`` itself.

    Raises
    ------
    InputError
        If an edit names an unknown layer, an insert source cannot be read, or ``feather`` is
        negative.
    """
    edits = tuple(edits)
    if feather is not None and (not np.isfinite(feather) or feather < 0):
        raise InputError(f"`feather` must be None or a finite number >= 0, got {feather!r}")
    if not edits and not feather:
        return decomposition
    by_id = {layer.id: layer for layer in decomposition.layers}
    order = [placed_from_layer(by_id[lid], decomposition.graph.nodes[lid]) for lid in render_order(decomposition)]
    sources: dict = {}
    next_prompt = max((layer.prompt_index for layer in decomposition.layers), default=-1) + 1
    for k, edit in enumerate(edits):
        where = f"edit #{k + 1} ({getattr(edit, 'op', type(edit).__name__)})"
        if isinstance(edit, Remove):
            order.pop(_known(order, edit.layer, where))
        elif isinstance(edit, Translate):
            p = order[_known(order, edit.layer, where)]
            p.shift = p.shift + np.array([edit.dx, edit.dy])
            p.moved = p.moved or edit.dx != 0 or edit.dy != 0
        elif isinstance(edit, Scale):
            p = order[_known(order, edit.layer, where)]
            c = np.asarray(edit.center, np.float64) if edit.center is not None else p.center()
            p.lin, p.shift = edit.factor * p.lin, edit.factor * p.shift + (1.0 - edit.factor) * c
            p.moved = p.moved or edit.factor != 1.0
        elif isinstance(edit, Flip):
            p = order[_known(order, edit.layer, where)]
            axis = 0 if edit.axis == "horizontal" else 1
            c = p.center()
            mirror = np.eye(2)
            mirror[axis, axis] = -1.0
            p.lin, p.shift = mirror @ p.lin, mirror @ p.shift
            p.shift[axis] += 2.0 * c[axis]
            p.moved = True
        elif isinstance(edit, (Raise, Lower)):
            i = _known(order, edit.layer, where)
            p = order.pop(i)
            if isinstance(edit, Raise):
                j = 0 if edit.steps is None else max(0, i - edit.steps)
            else:
                j = len(order) if edit.steps is None else min(len(order), i + edit.steps)
            order.insert(j, p)
        elif isinstance(edit, Insert):
            try:
                other = _load_source(edit.source, sources)
            except InputError as exc:
                raise InputError(f"{where}: `source` {str(exc).replace('`directory` ', '', 1)}") from None
            ids = [layer.id for layer in other.layers]
            if edit.layer not in ids:
                raise InputError(f"{where}: unknown layer id {edit.layer!r} in the source; known ids: {', '.join(ids)}")
            layer = next(layer for layer in other.layers if layer.id == edit.layer)
            src, origin = crop(layer.rgba, what=f"{where}: layer {edit.layer!r}")
            node = dict(other.graph.nodes[edit.layer]) if edit.layer in other.graph else {}
            new = Placed(_free_id(edit.id or edit.layer, order), src, origin, np.eye(2),
                          np.array([edit.x - origin[0], edit.y - origin[1]]), layer, node, moved=True, inserted=True,
                          prompt={"inserted_from": _where_from(edit.source), "layer": edit.layer})
            order.insert(_insert_at(edit.depth, order, where), new)
        elif isinstance(edit, InsertImage):
            rgba = _read_rgba(edit.image, decomposition.image_size)
            src, origin = crop(rgba, what=f"{where}: `image`")
            new = Placed(_free_id(edit.id, order), src, origin, np.eye(2), np.array([edit.x, edit.y], np.float64),
                          None, {}, moved=True, inserted=True,
                          prompt={"inserted_image": _where_from(edit.image)})
            order.insert(_insert_at(edit.depth, order, where), new)
        else:
            raise InputError(f"{where}: not an edit: {edit!r}")
    return _build(decomposition, order, edits, feather, next_prompt)


def _insert_at(depth: int, order: list, where: str) -> int:
    if depth > len(order):
        raise InputError(f"{where}: `depth` must lie in 0..{len(order)} (0 = front-most, {len(order)} = behind all), "
                         f"got {depth}")
    return depth


def _build(decomposition, order: list[Placed], edits, feather, next_prompt):

    size = decomposition.image_size
    width, height = size
    rgbas, amodals = [], []
    for p in order:
        changed = p.moved or p.inserted
        if changed:
            rgba = warp(p, size)
            binary = bool(np.all((rgba[..., 3] == 0) | (rgba[..., 3] == 1)))
            if feather is None and binary:
                rgba = soften(rgba, AUTO_FEATHER)
        else:
            rgba = p.original.rgba
        if feather:
            rgba = soften(rgba, float(feather))
        if changed and not (rgba[..., 3] > 0).any():
            logger.info("layer %r left the canvas entirely; it is kept, empty", p.id)
        rgbas.append(rgba)
        amodals.append(_amodal(p, rgba, changed))
    layers = []
    for depth, (p, rgba, amodal, visible) in enumerate(zip(order, rgbas, amodals, visible_masks(amodals))):
        if p.inserted:
            source = p.original
            prompt_index, next_prompt = next_prompt, next_prompt + 1
            layers.append(Layer(id=p.id, prompt_index=prompt_index, depth=depth, rgba=rgba, visible_mask=visible,
                                amodal_mask=amodal, prompt=p.prompt or {},
                                scores=dict(source.scores) if source is not None else {}))
        else:
            layers.append(dataclasses.replace(p.original, depth=depth, rgba=rgba, visible_mask=visible,
                                              amodal_mask=amodal))
    graph = _rebuild_graph(decomposition.graph, order, layers)
    config = dict(decomposition.config)
    try:
        config["edits"] = [edit_to_dict(e) for e in edits]
    except InputError:  # in-memory sources cannot be written down
        config["edits"] = [getattr(e, "op", type(e).__name__) for e in edits]
    return Decomposition(layers=tuple(layers), background=decomposition.background, graph=graph, image_size=size,
                         seed=decomposition.seed, backends=dict(decomposition.backends), config=config, image=None)


def _amodal(p: Placed, rgba: np.ndarray, changed: bool) -> np.ndarray:
    if not changed and p.original is not None:
        return p.original.amodal_mask
    return rgba[..., 3] >= 0.5


def _rebuild_graph(old: nx.DiGraph, order: list[Placed], layers: list) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.graph.update({k: v for k, v in old.graph.items() if k != "removed_edges"})
    for p, layer in zip(order, layers):
        attrs = dict(p.node)
        attrs.update(prompt_index=layer.prompt_index, depth=layer.depth)
        for key in ("visible_area", "amodal_area"):
            if key in attrs:
                attrs[key] = int((layer.visible_mask if key == "visible_area" else layer.amodal_mask).sum())
        graph.add_node(p.id, **attrs)
    for i in range(len(order)):
        for j in range(i + 1, len(order)):
            u, v = order[i], order[j]
            fixed = not (u.moved or u.inserted or v.moved or v.inserted)
            if fixed and old.has_edge(u.id, v.id):
                graph.add_edge(u.id, v.id, **old.edges[u.id, v.id])
                continue
            overlap = int(np.count_nonzero(layers[i].amodal_mask & layers[j].amodal_mask))
            if overlap:
                graph.add_edge(u.id, v.id, overlap=overlap, confidence=1.0)
    return graph
