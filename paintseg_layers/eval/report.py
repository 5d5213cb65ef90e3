"""Reports people can look at: ``summary.md`` and ``index.html`` with a best/worst gallery.

The gallery shows, for the best and the worst images by the ``default`` method's IoU, four panels
side by side: the input, the prompt (box, coarse mask, scribbles or clicks), the prediction and the
ground truth. The clicks protocol adds an IoU-vs-clicks plot (SVG, no plotting library needed).
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np

from paintseg_layers.eval.cache import load_masks
from paintseg_layers.eval.tables import mean_iou_curve
from paintseg_layers.image import to_uint8
from paintseg_layers.imageio import read_image, read_mask, write_image, write_text
from paintseg_layers.masks import bbox
from paintseg_layers.prompts import BoxPrompt
from paintseg_layers.viz import draw_overlay

log = logging.getLogger(__name__)

__all__ = ["write_report", "iou_curve_svg", "gallery_strip"]

_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def iou_curve_svg(curves: dict, *, width: int = 520, height: int = 320, thresholds=(0.85, 0.90)) -> str:
    """An SVG line plot of mean IoU (y, 0..1) against the number of clicks (x, 1..K) per method."""
    ml, mr, mt, mb = 48, 130, 16, 40
    pw, ph = width - ml - mr, height - mt - mb
    k = max((len(v) for v in curves.values()), default=1)

    def px(i):  # i = clicks, 1..k
        return ml + (0 if k == 1 else (i - 1) / (k - 1) * pw)

    def py(v):
        return mt + (1 - v) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           'font-size="11">', f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>']
    for v in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        out.append(f'<text x="{ml - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
    for t in thresholds:
        out.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
                   'stroke="#bbb" stroke-dasharray="4 3"/>')
    for i in range(1, k + 1):
        if i in (1, k) or i % 5 == 0:
            out.append(f'<text x="{px(i):.1f}" y="{mt + ph + 14}" text-anchor="middle">{i}</text>')
    out.append(f'<text x="{ml + pw / 2}" y="{height - 6}" text-anchor="middle">clicks</text>')
    out.append(f'<text x="12" y="{mt + ph / 2}" transform="rotate(-90 12 {mt + ph / 2})" '
               'text-anchor="middle">mean IoU</text>')
    for j, (name, ys) in enumerate(curves.items()):
        c = _COLOURS[j % len(_COLOURS)]
        pts = " ".join(f"{px(i + 1):.1f},{py(v):.1f}" for i, v in enumerate(ys))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
        out.append(f'<text x="{ml + pw + 8}" y="{mt + 14 + 16 * j}" fill="{c}">{html.escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _thumb(img: np.ndarray, height: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = height / h
    return cv2.resize(img, (max(1, round(w * s)), height), interpolation=cv2.INTER_AREA)


def _prompt_panel(image, gt, protocol, record, masks):
    empty = np.zeros(gt.shape, bool)
    if protocol == "box":
        return draw_overlay(image, empty, BoxPrompt(tuple(float(v) for v in bbox(gt))))
    if protocol == "coarse" and "_prompt" in masks:
        return draw_overlay(image, masks["_prompt"], colour=(1.0, 0.85, 0.1))
    if protocol == "scribble" and "_prompt" in masks:
        lab = np.asarray(masks["_prompt"])
        out = to_uint8(np.asarray(image)).copy()
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        out[cv2.dilate((lab == 255).astype(np.uint8), k) > 0] = (40, 220, 40)
        out[cv2.dilate((lab == 0).astype(np.uint8), k) > 0] = (220, 40, 220)
        return out
    if protocol == "clicks":
        clicks = record.get("clicks", {}).get("default", {}).get("clicks", [])
        p = SimpleNamespace(kind="points", positive=[(c["x"], c["y"]) for c in clicks if c["positive"]],
                            negative=[(c["x"], c["y"]) for c in clicks if not c["positive"]])
        return draw_overlay(image, masks.get("default", empty), p)
    return to_uint8(np.asarray(image))


def gallery_strip(image, gt, ignore, pred, prompt_panel, *, height: int = 200) -> np.ndarray:
    """Input | prompt | prediction | ground truth (ignore band in grey), side by side, uint8 RGB."""

    gt_panel = draw_overlay(image, gt, colour=(0.1, 0.8, 0.2))
    if ignore is not None:
        gt_panel[ignore] = (128, 128, 128)
    panels = [to_uint8(np.asarray(image)), prompt_panel, draw_overlay(image, pred), gt_panel]
    gap = np.full((height, 4, 3), 255, np.uint8)
    row = []
    for p in panels:
        row += [_thumb(np.ascontiguousarray(p), height), gap]
    return np.concatenate(row[:-1], axis=1)


def write_report(folder, *, text: str, protocol: str, samples, records: list[dict], masks_of: dict,
                 method: str = "default", n_cases: int = 4) -> Path:
    """Write ``summary.md`` and ``index.html`` (with a gallery) into ``folder``.

    Parameters
    ----------
    folder : path
        Created if missing.
    text : str
        The Markdown tables as printed by ``paintseg eval``.
    protocol : str
    samples : list of Sample
    records : list of dict
        Per-image records (same order as ``samples``).
    masks_of : dict
        Image name -> cached masks file (:func:`paintseg_layers.eval.cache.load_masks`) or None; images
        without one are left out of the gallery.
    method : str
        Method whose IoU ranks the images.
    n_cases : int
        Best and worst cases shown.

    Returns
    -------
    Path of ``summary.md``.
    """
    folder = Path(folder)
    (folder / "gallery").mkdir(parents=True, exist_ok=True)
    by_name = {s.name: s for s in samples}
    ranked = sorted((r for r in records if method in r.get("iou", {})), key=lambda r: r["iou"][method])
    worst = ranked[:n_cases]
    best = ranked[::-1][:n_cases]
    md = [f"# paintseg eval: {protocol} protocol", "", text, ""]
    body = [f"<h1>paintseg eval: {html.escape(protocol)} protocol</h1>", "<pre>" + html.escape(text) + "</pre>"]

    if protocol == "clicks":
        k = max((r["clicks"][m]["max_clicks"] for r in records for m in r.get("clicks", {})), default=0)
        methods = sorted({m for r in records for m in r.get("clicks", {})})
        curves = {m: mean_iou_curve(records, m, k) for m in methods}
        curves = {m: c for m, c in curves.items() if c}
        if curves:
            write_text(folder / "iou_vs_clicks.svg", iou_curve_svg(curves))
            md += ["## IoU vs clicks", "", "![IoU vs clicks](iou_vs_clicks.svg)", "",
                   "After an early stop (IoU >= 0.90 after >= 5 clicks) an image's IoU is held at its last value.", ""]
            body.append('<h2>IoU vs clicks</h2><img src="iou_vs_clicks.svg" alt="IoU vs clicks">')

    for title, cases in (("Best", best), ("Worst", worst)):
        md += [f"## {title} {len(cases)} by {method} IoU", "",
               "input | prompt | prediction | ground truth (grey: ignored)", ""]
        body.append(f"<h2>{title} {len(cases)} by {html.escape(method)} IoU</h2>"
                    "<p>input | prompt | prediction | ground truth (grey: ignored)</p>")
        for r in cases:
            s = by_name.get(r["name"])
            mpath = masks_of.get(r["name"])
            caption = f"{r['name']}: {method} IoU {r['iou'][method]:.3f}" + "".join(
                f", {m} {v:.3f}" for m, v in r["iou"].items() if m != method)
            trace = r.get("clicks", {}).get(method)
            if trace:
                caption += (f" (IoU after 5 clicks; pictured: the prediction after {len(trace['ious'])} clicks, "
                            f"IoU {trace['ious'][-1]:.3f})")
            if s is None or mpath is None:
                md += [f"- {caption} (no cached masks)"]
                continue
            image = read_image(s.image)
            gt = read_mask(s.mask, shape=image.shape[:2], name="gt mask")
            ign = read_mask(s.ignore, shape=image.shape[:2], name="ignore mask") if s.ignore else None
            masks = load_masks(mpath)
            pred = masks.get(method, np.zeros(gt.shape, bool))
            strip = gallery_strip(image, gt, ign, pred, _prompt_panel(image, gt, protocol, r, masks))
            rel = f"gallery/{title.lower()}_{r['name']}.png"
            write_image(folder / rel, strip)
            md += [f"**{caption}**", "", f"![{r['name']}]({rel})", ""]
            body.append(f'<figure><img src="{rel}" alt="{html.escape(r["name"])}">'
                        f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    write_text(folder / "summary.md", "\n".join(md) + "\n")
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>paintseg eval</title><style>"
            "body{font-family:sans-serif;margin:2em} pre{background:#f4f4f4;padding:1em;overflow-x:auto}"
            "figure{margin:1em 0} img{max-width:100%}</style></head><body>" + "\n".join(body) + "</body></html>\n")
    write_text(folder / "index.html", page)
    log.info("report written to %s", folder)
    return folder / "summary.md"
