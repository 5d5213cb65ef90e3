"""Pictures for people: masks and prompts drawn over images, layers on a checkerboard, contact sheets, graphs."""

from __future__ import annotations

import cv2
import networkx as nx
import numpy as np

from paintseg_layers.image import as_rgb, to_uint8


def draw_overlay(image, mask, prompt=None, *, colour=(1.0, 0.2, 0.2), alpha: float = 0.45) -> np.ndarray:
    """The image with ``mask`` tinted and outlined, and the prompt (box / clicks) drawn; uint8 RGB."""
    rgb = as_rgb(image).copy()
    m = np.asarray(mask, bool)
    rgb[m] = (1 - alpha) * rgb[m] + alpha * np.asarray(colour, np.float32)
    out = np.ascontiguousarray(to_uint8(rgb))
    contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    thick = max(1, round(max(m.shape) / 400))
    cv2.drawContours(out, contours, -1, tuple(int(c * 255) for c in colour), thick)
    if prompt is not None:
        kind = getattr(prompt, "kind", None)
        if kind == "box":
            x0, y0, x1, y1 = (int(round(v)) for v in prompt.box)
            cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), (40, 220, 40), thick + 1)
        elif kind == "points":
            r = max(3, round(max(m.shape) / 120))
            for x, y in prompt.positive:
                cv2.circle(out, (int(x), int(y)), r, (40, 220, 40), -1)
            for x, y in prompt.negative:
                cv2.circle(out, (int(x), int(y)), r, (220, 40, 220), -1)
    return out


def checkerboard(shape: tuple[int, int], *, square: int = 8) -> np.ndarray:
    """A grey checkerboard ``(H, W, 3)`` float32 to show transparency."""
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    c = (((yy // square) + (xx // square)) % 2).astype(np.float32)
    return np.repeat((0.62 + 0.2 * c)[..., None], 3, axis=2)


def _fit(img: np.ndarray, tile: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = tile / max(h, w)
    small = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    out = np.full((tile, tile, 3), 255, np.uint8)
    y0, x0 = (tile - small.shape[0]) // 2, (tile - small.shape[1]) // 2
    out[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = to_uint8(small)
    return out


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((18, tile.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text[:40], (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, tile], axis=0)


def draw_graph(graph: nx.DiGraph, order: list[str], *, size: int = 256) -> np.ndarray:
    """Draw the occlusion graph as ``(size, size, 3)`` uint8 (OpenCV, no plotting library).

    Nodes run top (front) to bottom (back); arrows mean "occludes", coloured by confidence.
    """
    img = np.full((size, size, 3), 255, np.uint8)
    n = max(1, len(order))
    pos = {}
    for i, node in enumerate(order):
        # front-most on top; alternate sides so that long edges do not run through nodes
        x = size // 2 + (size // 5) * (1 if i % 2 else -1) * (1 if n > 2 else 0)
        y = int(size * (i + 0.5) / n)
        pos[node] = (x, y)
    r = max(8, min(22, size // (3 * n)))
    for u, v, d in graph.edges(data=True):
        if u not in pos or v not in pos:
            continue
        p, q = np.array(pos[u], float), np.array(pos[v], float)
        vec = q - p
        length = np.linalg.norm(vec) or 1.0
        a = tuple(int(t) for t in p + vec / length * r)
        b = tuple(int(t) for t in q - vec / length * r)
        conf = float(d.get("confidence", 1.0))
        colour = (int(200 * (1 - conf)), 50, int(200 * conf))
        cv2.arrowedLine(img, a, b, colour, 2, cv2.LINE_AA, tipLength=0.15)
        mid = ((a[0] + b[0]) // 2 + 4, (a[1] + b[1]) // 2)
        cv2.putText(img, f"{conf:.2f}", mid, cv2.FONT_HERSHEY_SIMPLEX, 0.35, (50, 50, 50), 1, cv2.LINE_AA)
    for node, (x, y) in pos.items():
        cv2.circle(img, (x, y), r, (242, 217, 140), -1, cv2.LINE_AA)
        cv2.circle(img, (x, y), r, (50, 50, 50), 1, cv2.LINE_AA)
        cv2.putText(img, str(node)[:6], (x - r + 2, y + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
    return img


def contact_sheet_image(decomposition, *, tile: int = 192) -> np.ndarray:
    """One picture: input, each layer on a checkerboard (front to back), background, the graph.

    Returns
    -------
    (H, W, 3) uint8
    """
    d = decomposition
    w, h = d.image_size
    tiles = []
    if d.image is not None:
        tiles.append(_label(_fit(d.image8, tile), "input"))
    s = tile / max(h, w)  # every picture is shrunk first, so a 24-Mpx decomposition needs no full-size copy
    size = (max(1, round(w * s)), max(1, round(h * s)))
    board = checkerboard(size[::-1], square=max(2, max(size) // 24))
    for layer in d.layers:
        rgba = cv2.resize(layer.rgba8, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        a = rgba[..., 3:4]
        pic = rgba[..., :3] + board * (1 - a)  # the layer's colour is zero outside its alpha
        # outline the visible part so that the hidden (completed) part stands out
        vis = cv2.resize(layer.visible_mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) > 127
        edge = vis & ~(cv2.erode(vis.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
        pic[edge] = (1.0, 0.1, 0.6)
        tiles.append(_label(_fit(pic, tile), f"{layer.depth}: {layer.id} (p{layer.prompt_index})"))
    tiles.append(_label(_fit(d.background8, tile), "background"))
    tiles.append(_label(draw_graph(d.graph, d.order, size=tile), "occludes ->"))
    cols = min(4, len(tiles))
    rows = -(-len(tiles) // cols)
    th, tw = tiles[0].shape[:2]
    sheet = np.full((rows * (th + 4) + 4, cols * (tw + 4) + 4, 3), 217, np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        sheet[4 + r * (th + 4) : 4 + r * (th + 4) + th, 4 + c * (tw + 4) : 4 + c * (tw + 4) + tw] = t
    return sheet
