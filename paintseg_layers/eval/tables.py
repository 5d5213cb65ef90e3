"""Summaries and Markdown tables of evaluation records, and the sweep string (``NAME=V1,V2,...``)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.errors import InputError
from paintseg_layers.eval.clicks import iou_after
from paintseg_layers.eval.metrics import SCORE_NAMES
from paintseg_layers.eval.spec import PROMPT_METHOD, SWEEP_BACKENDS

#: One line per method, the last column of the tables.
METHOD_NOTES = {
    "default": "AMCP + graph-cut refinement (the library default)",
    "amcp": "AMCP alone, no refinement",
    "refine_only": "graph cut with colour models from the box, no painting",
    "box": "the prompt box itself",
    "grabcut": "cv2.grabCut from the box, 5 iterations, full resolution",
    "coarse": "the coarse (degraded ground-truth) mask itself",
    "scribble": "the scribble prompt's start mask (strokes' box grown 1.8x, less background strokes)",
    "grabcut_mask": "cv2.grabCut in mask mode from the prompt (strokes as hard seeds), 5 iterations",
    "clicks": "the click prompt's start mask (squares around positive clicks)",
    "grabcut_clicks": "cv2.grabCut, mask mode: previous result + 5 px disks at the clicks as hard seeds",
}

#: Clicks whose IoU is reported in the clicks table ("IoU after k clicks").
IOU_AT = (1, 3, 5)


def parse_sweep(text: str) -> tuple[str, list]:
    """``"samples=1,2,3"`` -> ``("samples", [1, 2, 3])`` (values typed like the config field)."""
    if not isinstance(text, str) or "=" not in text:
        raise InputError(f"`--sweep` must look like NAME=V1,V2,... (e.g. samples=1,2,3), got {text!r}")
    name, _, values = text.partition("=")
    name = name.strip().replace("-", "_")
    known = {f.name: f for f in fields(AMCPConfig)}
    if name not in known and name not in SWEEP_BACKENDS:
        raise InputError(f"`--sweep` setting must be one of {sorted([*known, *SWEEP_BACKENDS])}, got {name!r}")
    raw = [v.strip() for v in values.split(",") if v.strip()]
    if not raw:
        raise InputError(f"`--sweep {name}=` needs at least one value, got none")
    if name in SWEEP_BACKENDS:
        return name, raw
    default = getattr(AMCPConfig(), name)
    out = []
    for v in raw:
        try:
            if isinstance(default, bool):
                if v.lower() not in ("true", "false", "1", "0"):
                    raise ValueError
                out.append(v.lower() in ("true", "1"))
            else:
                out.append(type(default)(v))
        except ValueError:
            raise InputError(f"`--sweep {name}` values must be {type(default).__name__}, got {v!r}") from None
    for v in out:
        AMCPConfig.from_dict({**AMCPConfig().to_dict(), name: v})  # validates each value
    return name, out


def summarise(images: list[dict], methods, *, prompt_method: str = "box") -> dict:
    """Per method: mean of every metric, median seconds, n, and images > 0.05 IoU below the prompt.

    Records of the clicks protocol (with a ``"clicks"`` entry) add ``noc85``, ``noc90``,
    ``iou@1/3/5`` and ``clicks_run`` (mean clicks simulated); their ``median_s`` is per click.
    """
    table = {}
    for m in methods:
        rows = [r for r in images if m in r["iou"]]
        if not rows:
            continue
        below = sum(1 for r in rows if prompt_method in r["iou"] and r["iou"][m] < r["iou"][prompt_method] - 0.05)
        t = {"mean_iou": float(np.mean([r["iou"][m] for r in rows])),
             "median_s": float(np.median([r["seconds"][m] for r in rows])), "n": len(rows),
             f"below_{prompt_method}": below}
        if prompt_method != "box":
            t["below_box"] = below  # older readers of the JSON
        for k in SCORE_NAMES[1:]:
            vals = [r[k][m] for r in rows if m in r.get(k, {})]
            if vals:
                t["mean_" + k] = float(np.mean(vals))
        traces = [r["clicks"][m] for r in rows if m in r.get("clicks", {})]
        if traces:
            t["noc85"] = float(np.mean([c["noc85"] for c in traces]))
            t["noc90"] = float(np.mean([c["noc90"] for c in traces]))
            for k in IOU_AT:
                t[f"iou@{k}"] = float(np.mean([iou_after(c["ious"], k) for c in traces]))
            t["clicks_run"] = float(np.mean([len(c["ious"]) for c in traces]))
            t["max_clicks"] = int(traces[0]["max_clicks"])
        table[m] = t
    return table


def mean_iou_curve(images: list[dict], method: str, max_clicks: int) -> list[float]:
    """Mean IoU after k = 1..max_clicks clicks (the last measured IoU after an early stop)."""
    traces = [r["clicks"][method] for r in images if method in r.get("clicks", {})]
    if not traces:
        return []
    return [float(np.mean([iou_after(c["ious"], k) for c in traces])) for k in range(1, max_clicks + 1)]


def format_table(table: dict, *, title: str = "", prompt_method: str = "box") -> str:
    """A Markdown table of the summary (the clicks protocol gets NoC columns)."""
    lines = [title] if title else []
    clicky = any("noc90" in r for r in table.values())
    if clicky:
        lines += ["| method | NoC@85 | NoC@90 | IoU@1 | IoU@3 | IoU@5 | clicks run | median s/click | what |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for m, r in table.items():
            lines.append(f"| {m} | {r['noc85']:.2f} | {r['noc90']:.2f} | {r['iou@1']:.3f} | {r['iou@3']:.3f} | "
                         f"{r['iou@5']:.3f} | {r['clicks_run']:.1f} | {r['median_s']:.2f} | "
                         f"{METHOD_NOTES.get(m, '')} |")
        return "\n".join(lines)
    lines += [f"| method | mean IoU | pixel acc | F-beta | boundary F | median s/img "
              f"| images > 0.05 below {prompt_method} "
              "| what |", "|---|---|---|---|---|---|---|---|"]
    for m, r in table.items():
        below = r.get(f"below_{prompt_method}", 0)
        lines.append(f"| {m} | {r['mean_iou']:.3f} | {r.get('mean_pixel_accuracy', float('nan')):.3f} | "
                     f"{r.get('mean_f_beta', float('nan')):.3f} | {r.get('mean_boundary_f', float('nan')):.3f} | "
                     f"{r['median_s']:.2f} | {below} | {METHOD_NOTES.get(m, '')} |")
    return "\n".join(lines)


def format_sweep_table(rows: dict, *, name: str, title: str = "") -> str:
    """One row per sweep value: ``rows`` maps a value label to its :func:`summarise` table."""
    lines = [title] if title else []
    clicky = any("noc90" in r for t in rows.values() for r in t.values())
    if clicky:
        lines += [f"| {name} | NoC@85 | NoC@90 | IoU@1 | IoU@3 | IoU@5 | median s/click |",
                  "|---|---|---|---|---|---|---|"]
        for label, t in rows.items():
            r = t.get("default")
            if r:
                lines.append(f"| {label} | {r['noc85']:.2f} | {r['noc90']:.2f} | {r['iou@1']:.3f} | {r['iou@3']:.3f} | "
                             f"{r['iou@5']:.3f} | {r['median_s']:.2f} |")
        return "\n".join(lines)
    lines += [f"| {name} | default IoU | AMCP IoU | default F-beta | default boundary F | median s/img |",
              "|---|---|---|---|---|---|"]
    for label, t in rows.items():
        d, a = t.get("default", {}), t.get("amcp", {})
        lines.append(f"| {label} | {d.get('mean_iou', float('nan')):.3f} | {a.get('mean_iou', float('nan')):.3f} | "
                     f"{d.get('mean_f_beta', float('nan')):.3f} | {d.get('mean_boundary_f', float('nan')):.3f} | "
                     f"{d.get('median_s', float('nan')):.2f} |")
    return "\n".join(lines)


def merge_records(*record_lists: list[dict]) -> list[dict]:
    """Merge per-image records of several specs over the same images (later ones win per method)."""
    out = []
    for recs in zip(*record_lists):
        m = {"name": recs[0]["name"], "size": recs[0].get("size"), "object_frac": recs[0].get("object_frac")}
        for r in recs:
            for k, v in r.items():
                if isinstance(v, dict):
                    m.setdefault(k, {}).update(v)
        out.append(m)
    return out


def format_report(report) -> str:
    """The tables ``paintseg eval`` prints for an :class:`~paintseg_layers.eval.results.EvalReport`."""
    spec, cfg = report.spec, AMCPConfig.from_dict(report.spec.config)
    pm = PROMPT_METHOD[report.protocol]
    where = ""
    if report.protocol == "scribble":
        where = f"scribbles {Path(spec.scribbles).name if spec.scribbles else 'generated'}, "
    elif report.protocol == "clicks":
        where = f"max {spec.max_clicks} clicks (stop at IoU 0.90 after >= {spec.min_clicks}), "
    title = (f"{len(report.samples)} images, prompt {report.protocol}, {where}working size {cfg.working_size} px "
             f"(long side), painter {spec.painter}, projector {spec.projector}, N={cfg.samples}, steps {cfg.steps}, "
             f"seed {spec.seed}")
    if report.sweep is None:
        return format_table(report.table, title=title, prompt_method=pm)
    name = report.sweep.name
    swept = f"sweep {name}" if name == "samples" else f"N={cfg.samples}, sweep {name}"
    title = title.replace(f"N={cfg.samples}", swept)
    return (format_sweep_table(report.sweep.tables, name=name, title=title)
            + "\n\nbaselines (independent of the sweep)\n" + format_table(report.table, prompt_method=pm))
