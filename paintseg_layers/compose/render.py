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

import dataclasses
import logging
from pathlib import Path

import cv2
import networkx as nx
import numpy as np
from PIL import Image

from paintseg_layers.compose.edits import (
    Flip,
    Insert,
    InsertImage,
    Lower,
    Raise,
    Remove,
    Scale,
    Translate,
    edit_to_dict,
)
from paintseg_layers.errors import InputError
from paintseg_layers.graph import break_cycles
from paintseg_layers.layers.model import Decomposition, Layer

logger = logging.getLogger(__name__)

#: Gaussian sigma (px) of the automatic edge softening of edited layers.
AUTO_FEATHER = 0.6
_ALPHA_EPS = 1e-6


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


# -- the edited arrangement -------------------------------------------------------------------------
@dataclasses.dataclass
class _Placed:
    """A layer under edit: a cropped source and the affine map from source to canvas (pixel edges)."""

    id: str
    src: np.ndarray  # (h, w, 4) float32 straight RGBA, cropped to its alpha box
    origin: tuple[int, int]  # source coords of src[0, 0]
    lin: np.ndarray  # (2, 2) linear part
    shift: np.ndarray  # (2,) translation
    original: object  # the Layer it came from (this or another decomposition)
    node: dict  # graph node attributes to carry
    moved: bool = False
    inserted: bool = False
    prompt: dict | None = None

    def box(self) -> tuple[float, float, float, float]:
        """Canvas box (x0, y0, x1, y1) of the mapped source crop."""
        h, w = self.src.shape[:2]
        ox, oy = self.origin
        corners = np.array([[ox, oy], [ox + w, oy], [ox, oy + h], [ox + w, oy + h]], np.float64)
        mapped = corners @ self.lin.T + self.shift
        return (*mapped.min(axis=0), *mapped.max(axis=0))

    def center(self) -> np.ndarray:
        x0, y0, x1, y1 = self.box()
        return np.array([(x0 + x1) / 2, (y0 + y1) / 2])


def _crop(rgba: np.ndarray, *, what: str) -> tuple[np.ndarray, tuple[int, int]]:
    alpha = rgba[..., 3] > 0
    rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:
        raise InputError(f"{what} has no opaque pixel (its alpha is zero everywhere); nothing to insert")
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return np.ascontiguousarray(rgba[y0:y1, x0:x1], dtype=np.float32), (x0, y0)


def _placed_from_layer(layer, node: dict) -> _Placed:
    alpha = layer.rgba[..., 3] > 0
    if alpha.any():
        src, origin = _crop(layer.rgba, what=f"layer {layer.id!r}")
    else:  # an empty layer stays empty wherever it goes
        src, origin = np.zeros((1, 1, 4), np.float32), (0, 0)
    return _Placed(layer.id, src, origin, np.eye(2), np.zeros(2), layer, dict(node))


def _warp(p: _Placed, size: tuple[int, int]) -> np.ndarray:
    """The placed layer on the canvas: ``(H, W, 4)`` float32 straight RGBA, clipped."""
    width, height = size
    out = np.zeros((height, width, 4), np.float32)
    x0, y0, x1, y1 = p.box()
    dx0, dy0 = max(int(np.floor(x0)) - 1, 0), max(int(np.floor(y0)) - 1, 0)
    dx1, dy1 = min(int(np.ceil(x1)) + 1, width), min(int(np.ceil(y1)) + 1, height)
    if dx1 <= dx0 or dy1 <= dy0:
        return out  # entirely off the canvas
    lin, shift = p.lin, p.shift
    ox, oy = p.origin
    exact = (np.allclose(np.abs(lin), np.eye(2)) and np.allclose(shift, np.round(shift), atol=1e-9))
    if exact:
        src = p.src[:, ::-1] if lin[0, 0] < 0 else p.src
        src = src[::-1] if lin[1, 1] < 0 else src
        h, w = src.shape[:2]
        bx, by = int(round(x0)), int(round(y0))
        cx0, cy0, cx1, cy1 = max(bx, 0), max(by, 0), min(bx + w, width), min(by + h, height)
        if cx1 > cx0 and cy1 > cy0:
            out[cy0:cy1, cx0:cx1] = src[cy0 - by:cy1 - by, cx0 - bx:cx1 - bx]
        return out
    premult = p.src.copy()
    premult[..., :3] *= premult[..., 3:4]
    # pixel centres: u = x - 0.5; canvas u = lin (u_src + 0.5) + shift - 0.5, with u_src = u_crop + origin
    sx = sy = 1.0
    scale = float(np.sqrt(abs(np.linalg.det(lin))))
    if scale < 0.75:  # area-average first so that shrinking does not alias
        h, w = premult.shape[:2]
        nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
        sx, sy = nw / w, nh / h
        premult = cv2.resize(premult, (nw, nh), interpolation=cv2.INTER_AREA)
    # u_crop = (u_small + 0.5) / s - 0.5
    pre = np.array([[1.0 / sx, 0.0], [0.0, 1.0 / sy]])
    pre_t = np.array([0.5 / sx - 0.5, 0.5 / sy - 0.5])
    m_lin = lin @ pre
    m_t = lin @ (pre_t + np.array([ox, oy]) + 0.5) + shift - 0.5 - np.array([dx0, dy0])
    matrix = np.hstack([m_lin, m_t[:, None]]).astype(np.float64)
    warped = cv2.warpAffine(premult, matrix, (dx1 - dx0, dy1 - dy0), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    a = np.clip(warped[..., 3:4], 0.0, 1.0)
    rgb = np.divide(warped[..., :3], a, out=np.zeros_like(warped[..., :3]), where=a > _ALPHA_EPS)
    out[dy0:dy1, dx0:dx1] = np.concatenate([np.clip(rgb, 0.0, 1.0), a], axis=2)
    return out


def _soften(rgba: np.ndarray, sigma: float) -> np.ndarray:
    """Lower alpha just inside the boundary (min of alpha and its blur): no outward growth."""
    if sigma <= 0:
        return rgba
    alpha = rgba[..., 3]
    k = 2 * int(np.ceil(1.5 * sigma)) + 1  # a short kernel keeps the interior exactly opaque
    blurred = cv2.GaussianBlur(alpha, (k, k), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REPLICATE)
    blurred[blurred > 1.0 - 1.0 / 512] = 1.0  # below 8-bit resolution: leave it opaque
    out = rgba.copy()
    out[..., 3] = np.minimum(alpha, blurred)
    return out


def _known(order: list[_Placed], lid: str, where: str) -> int:
    for i, p in enumerate(order):
        if p.id == lid:
            return i
    known = ", ".join(p.id for p in order) or "none"
    raise InputError(f"{where}: unknown layer id {lid!r}; known ids: {known}")


def _free_id(base: str, order: list[_Placed]) -> str:
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


def _read_rgba(image) -> np.ndarray:

    if isinstance(image, np.ndarray):
        arr = image
    else:
        p = Path(image)
        if not p.is_file():
            raise InputError(f"insert_image: `image` file not found: {p}")
        try:
            with Image.open(p) as img:
                arr = np.asarray(img.convert("RGBA"))
        except (OSError, SyntaxError, ValueError):
            raise InputError(f"insert_image: `image` is not a readable picture: {p}") from None
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
    order = [_placed_from_layer(by_id[lid], decomposition.graph.nodes[lid]) for lid in render_order(decomposition)]
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
            src, origin = _crop(layer.rgba, what=f"{where}: layer {edit.layer!r}")
            node = dict(other.graph.nodes[edit.layer]) if edit.layer in other.graph else {}
            new = _Placed(_free_id(edit.id or edit.layer, order), src, origin, np.eye(2),
                          np.array([edit.x - origin[0], edit.y - origin[1]]), layer, node, moved=True, inserted=True,
                          prompt={"inserted_from": str(edit.source) if isinstance(edit.source, (str, Path)) else "memory",
                                  "layer": edit.layer})
            order.insert(_insert_at(edit.depth, order, where), new)
        elif isinstance(edit, InsertImage):
            rgba = _read_rgba(edit.image)
            src, origin = _crop(rgba, what=f"{where}: `image`")
            new = _Placed(_free_id(edit.id, order), src, origin, np.eye(2), np.array([edit.x, edit.y], np.float64),
                          None, {}, moved=True, inserted=True,
                          prompt={"inserted_image": str(edit.image) if isinstance(edit.image, (str, Path)) else "memory"})
            order.insert(_insert_at(edit.depth, order, where), new)
        else:
            raise InputError(f"{where}: not an edit: {edit!r}")
    return _build(decomposition, order, edits, feather, next_prompt)


def _insert_at(depth: int, order: list, where: str) -> int:
    if depth > len(order):
        raise InputError(f"{where}: `depth` must lie in 0..{len(order)} (0 = front-most, {len(order)} = behind all), got {depth}")
    return depth


def _build(decomposition, order: list[_Placed], edits, feather, next_prompt):

    size = decomposition.image_size
    width, height = size
    rgbas, amodals = [], []
    for p in order:
        changed = p.moved or p.inserted
        if changed:
            rgba = _warp(p, size)
            binary = bool(np.all((rgba[..., 3] == 0) | (rgba[..., 3] == 1)))
            if feather is None and binary:
                rgba = _soften(rgba, AUTO_FEATHER)
        else:
            rgba = p.original.rgba
        if feather:
            rgba = _soften(rgba, float(feather))
        if changed and not (rgba[..., 3] > 0).any():
            logger.info("layer %r left the canvas entirely; it is kept, empty", p.id)
        rgbas.append(rgba)
        amodals.append(_amodal(p, rgba, changed))
    layers = []
    covered = np.zeros((height, width), bool)
    for depth, (p, rgba, amodal) in enumerate(zip(order, rgbas, amodals)):
        visible = amodal & ~covered
        covered |= amodal
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


def _amodal(p: _Placed, rgba: np.ndarray, changed: bool) -> np.ndarray:
    if not changed and p.original is not None:
        return p.original.amodal_mask
    return rgba[..., 3] >= 0.5


def _rebuild_graph(old: nx.DiGraph, order: list[_Placed], layers: list) -> nx.DiGraph:
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


__all__ = ["compose", "apply_edits", "render", "render_order", "AUTO_FEATHER"]
