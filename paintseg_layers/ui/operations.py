"""The library calls behind the editor's API, on plain JSON-like values.

Each function checks what the page sent (one :class:`InputError` per rule, naming the field) and
calls the library; nothing here re-implements segmentation, peeling or compositing.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import threading
import time

import cv2
import numpy as np
from PIL import Image
from tqdm.std import tqdm as _tqdm

from paintseg_layers import (
    PAINTERS,
    PROJECTORS,
    AMCPConfig,
    BoxPrompt,
    InputError,
    PeelConfig,
    PointPrompt,
    Remove,
    ScribblePrompt,
    apply_edits,
    decompose,
    render,
    segment,
)
from paintseg_layers.errors import is_int
from paintseg_layers.image import to_uint8
from paintseg_layers.prompts import check_prompt, json_box, json_points
from paintseg_layers.viz import draw_graph

SETTINGS_KEYS = ("painter", "projector", "samples", "seed", "working_size")
#: Colours of layer outlines and prompt objects (the page uses the same list).
PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240),
           (240, 50, 230), (210, 245, 60), (0, 128, 128), (170, 110, 40)]


def hex_colour(rgb) -> str:
    """``'#rrggbb'`` of an (r, g, b) triple."""
    return "#" + "".join(f"{int(v):02x}" for v in rgb)


# -- encoding ----------------------------------------------------------------------------------------
def png_bytes(array: np.ndarray) -> bytes:
    """PNG bytes of a float/bool/uint8 image."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(to_uint8(array))).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def data_url(array: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(array)).decode("ascii")


# -- settings and backends ---------------------------------------------------------------------------
def backends() -> dict:
    """Painters and projectors with ``installed`` and, when missing, the ``reason``."""
    out = {}
    for kind, reg in (("painters", PAINTERS), ("projectors", PROJECTORS)):
        out[kind] = []
        for e in reg.entries():
            ok = e.installed()
            missing = [m for m in e.requires if importlib.util.find_spec(m) is None]
            reason = None if ok else (f"needs {', '.join(missing)}: pip install 'paintseg_layers[{e.extra}]'"
                                      if e.extra else f"needs {', '.join(missing)}")
            out[kind].append({"name": e.name, "installed": ok, "reason": reason, "summary": e.summary})
    return out


def _int(value, name: str, minimum: int, maximum: int) -> int:
    if not is_int(value, minimum, maximum):
        raise InputError(f"`{name}` must be an integer in [{minimum}, {maximum}], got {value!r}")
    return value


def parse_settings(data) -> dict:
    """``{"painter", "projector", "samples", "seed", "working_size"}`` (all optional) -> call arguments.

    Raises
    ------
    InputError
        On an unknown key or a bad value. An unknown or uninstalled backend raises BackendError.
    """
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InputError(f"`settings` must be an object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(SETTINGS_KEYS))
    if unknown:
        raise InputError(
            f"`settings`: unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(SETTINGS_KEYS)}"
        )
    over = {}
    if data.get("samples") is not None:
        over["samples"] = _int(data["samples"], "samples", 1, 64)
    if data.get("working_size") is not None:
        over["working_size"] = _int(data["working_size"], "working_size", 32, 2048)
    out = {"config": AMCPConfig(**over), "seed": _int(data.get("seed", 0), "seed", 0, 2**31 - 1)}
    for key, reg in (("painter", PAINTERS), ("projector", PROJECTORS)):
        name = data.get(key)
        if name is not None and not isinstance(name, str):
            raise InputError(f"`{key}` must be a backend name, got {name!r}")
        out[key] = None if name is None else _backend(reg, name)
    return out


_LOADED: dict = {}
_LOADED_LOCK = threading.Lock()


def _backend(registry, name: str):
    """A classical backend's name, or a neural backend loaded once from local files only (no network)."""
    entry = registry.entry(name)  # unknown name: BackendError listing the available ones
    entry.load()  # missing package: BackendError naming the extra to install
    if not entry.default_model:
        return name
    with _LOADED_LOCK:
        if (registry.kind, name) not in _LOADED:
            _LOADED[(registry.kind, name)] = registry.create(name, local_files_only=True)
        return _LOADED[(registry.kind, name)]


# -- prompts -----------------------------------------------------------------------------------------
def parse_prompt(data, shape: tuple[int, int]):
    """A prompt from ``{"kind": "box", "box": [x0, y0, x1, y1]}``, ``{"kind": "points", "positive":
    [[x, y], ...], "negative": [...]}`` or ``{"kind": "scribble", "strokes": [{"points": [[x, y], ...],
    "radius": r, "negative": false}]}``, checked against the image ``shape`` (H, W).
    """
    if not isinstance(data, dict) or data.get("kind") not in ("box", "points", "scribble"):
        raise InputError(f"`prompt` must be an object with `kind` box, points or scribble, got {data!r}"[:300])
    kind = data["kind"]
    if kind == "box":
        prompt = BoxPrompt(json_box(data.get("box")))
    elif kind == "points":
        prompt = PointPrompt(json_points(data.get("positive"), "positive"),
                             json_points(data.get("negative", []), "negative"))
    else:
        strokes = data.get("strokes")
        if not isinstance(strokes, list) or not strokes:
            raise InputError(f"`strokes` must be a non-empty list of strokes, got {strokes!r}"[:300])
        h, w = shape
        fg, bg = np.zeros((h, w), np.uint8), np.zeros((h, w), np.uint8)
        for s in strokes:
            if not isinstance(s, dict):
                raise InputError(f"every stroke must be an object with `points`, got {s!r}"[:300])
            pts = np.round(np.array(json_points(s.get("points")), np.float64)).astype(np.int32)
            radius = _int(s.get("radius", 4), "radius", 1, 200)
            target = bg if s.get("negative") else fg
            cv2.polylines(target, [pts.reshape(-1, 1, 2)], False, 1, thickness=2 * radius, lineType=cv2.LINE_8)
            for x, y in pts:
                cv2.circle(target, (int(x), int(y)), radius, 1, -1)
        prompt = ScribblePrompt(fg.astype(bool), bg.astype(bool) if bg.any() else None)
    check_prompt(prompt, shape)
    return prompt


def parse_prompts(data, shape: tuple[int, int], *, discover: bool = False) -> list:
    """A list of prompts (see :func:`parse_prompt`); may be empty only when objects are to be discovered."""
    if not isinstance(data, list) or (not data and not discover):
        raise InputError(f"`prompts` must be a non-empty list (or ask to discover objects), got {data!r}"[:300])
    return [parse_prompt(p, shape) for p in data]


# -- segment and decompose ---------------------------------------------------------------------------
def run_segment(image: np.ndarray, prompt_data, settings_data):
    """AMCP on one prompt; returns the library's SegmentationResult."""
    s = parse_settings(settings_data)
    prompt = parse_prompt(prompt_data, image.shape[:2])
    return segment(image, prompt, painter=s["painter"], projector=s["projector"], config=s["config"], seed=s["seed"])


def mask_overlay(mask: np.ndarray, colour: tuple[int, int, int], *, opacity: float = 0.5) -> np.ndarray:
    """An ``(H, W, 4)`` uint8 overlay: ``colour`` at ``opacity`` where ``mask`` is set."""
    out = np.zeros(mask.shape + (4,), np.uint8)
    out[mask] = (*colour, round(255 * opacity))
    return out


def run_decompose(image: np.ndarray, prompts_data, settings_data, *, discover: bool = False, report=None):
    """Peel the prompted objects (and, with ``discover``, the others); ``report(fraction, message)``
    receives progress read from the library's progress bars."""
    s = parse_settings(settings_data)
    prompts = parse_prompts(prompts_data, image.shape[:2], discover=discover)
    config = PeelConfig(amcp=s["config"], duplicates="merge" if discover else "error")
    kwargs = {
        "painter": s["painter"],
        "projector": s["projector"],
        "config": config,
        "seed": s["seed"],
        "progress": True,
    }
    done = threading.Event()
    watcher = threading.Thread(target=_watch_bars, args=(report, len(prompts), done), daemon=True)
    if report is not None:
        watcher.start()
    try:
        return decompose(image, prompts, discover=bool(discover), **kwargs)
    finally:
        done.set()


def _watch_bars(report, n: int, done: threading.Event) -> None:
    """Turn the library's ``segment`` and ``peel`` tqdm bars into one fraction (segment 0-50 %, peel 50-95 %)."""
    report(0.02, "segmenting")
    while not done.wait(0.1):
        with _tqdm.get_lock():  # tqdm adds and drops its instances under this lock (from the worker threads)
            live = list(getattr(_tqdm, "_instances", ()))
        bars = {b.desc: b for b in live if getattr(b, "desc", None) in ("segment", "peel")}
        if "peel" in bars and bars["peel"].total:
            b = bars["peel"]
            report(0.5 + 0.45 * b.n / b.total, f"peeling layer {min(b.n + 1, b.total)} of {b.total}")
        elif "segment" in bars and bars["segment"].total:
            b = bars["segment"]
            report(0.5 * b.n / b.total, f"segmenting object {min(b.n + 1, b.total)} of {b.total}")
    report(0.97, "saving")


def alpha_box(rgba: np.ndarray) -> list[int]:
    """``[x0, y0, x1, y1]`` of the non-transparent pixels (x1, y1 exclusive); zeros when empty."""
    ys, xs = np.nonzero(rgba[..., 3] > 0)
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1] if xs.size else [0, 0, 0, 0]


# -- the arrangement the page shows ------------------------------------------------------------------
def arrangement(decomposition, edits, *, hidden=()) -> dict:
    """Everything the page draws for ``decomposition`` rearranged by ``edits``.

    ``hidden`` layers are left out of the picture only (a view setting, not an edit).
    Returns the composition, the outlines, a layer-id map for picking, the plate, the graph picture
    and one entry per layer (front to back).
    """
    t0 = time.perf_counter()
    edited = apply_edits(decomposition, list(edits))
    h, w = edited.background.shape[:2]
    shown = apply_edits(edited, [Remove(i) for i in hidden if i in edited.order]) if hidden else edited
    picture = render(shown)
    outlines = np.zeros((h, w, 4), np.uint8)
    idmap = np.zeros((h, w), np.uint8)
    layers = []
    for k, layer in enumerate(edited.layers):
        colour = PALETTE[layer.prompt_index % len(PALETTE)] if layer.prompt_index >= 0 else PALETTE[k % len(PALETTE)]
        amodal = layer.amodal_mask.astype(np.uint8)
        visible = layer.visible_mask.astype(np.uint8)
        if layer.id not in hidden:
            for mask, thick, col in ((amodal, 1, (255, 255, 255, 230)), (visible, 2, (*colour, 255))):
                contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
                cv2.drawContours(outlines, contours, -1, col, thick)
            idmap[(layer.rgba[..., 3] > 0) & (idmap == 0)] = k + 1
        box = alpha_box(layer.rgba)
        sprite = layer.rgba[box[1]:box[3], box[0]:box[2]] if box[2] > box[0] else np.zeros((1, 1, 4), np.float32)
        va, aa = int(layer.visible_mask.sum()), int(layer.amodal_mask.sum())
        layers.append({"id": layer.id, "depth": k, "color": hex_colour(colour), "box": box,
                       "visible_area": va, "amodal_area": aa,
                       "visible_share": round(va / aa, 4) if aa else 0.0,
                       "hidden_share": round(1 - va / aa, 4) if aa else 0.0,
                       "sprite": data_url(sprite), "hidden": layer.id in hidden})
    return {
        "size": [w, h], "order": edited.order, "layers": layers,
        "composition": data_url(picture), "outlines": data_url(outlines), "idmap": data_url(idmap),
        "plate": data_url(edited.background),
        "graph": data_url(draw_graph(edited.graph, edited.order, size=240)),
        "edges": [[u, v, round(float(d.get("confidence", 1.0)), 3)] for u, v, d in edited.graph.edges(data=True)],
        "seconds": round(time.perf_counter() - t0, 4),
    }
