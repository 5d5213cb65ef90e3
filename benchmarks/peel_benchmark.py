"""Layer-peeling benchmark on generated scenes with known ground truth (issue 4).

    python benchmarks/peel_benchmark.py            # 60 scenes, seeds 1000.., default backends
    python benchmarks/peel_benchmark.py --scenes 10 --painter patchmatch --json out.json
    python benchmarks/peel_benchmark.py --merge part1.json part2.json   # one table over runs made in parts
    python benchmarks/peel_benchmark.py --scenes 50 --seed 0 1 2 3 4   # the table per decomposition seed + spread
    python benchmarks/peel_benchmark.py --scenes 50 --projector dinov2 --projector-model DIR --device cuda

Prompts are boxes around the visible parts (``--prompt point`` for one click each). For every scene the
decomposition is compared with the truth, object ``i`` of the scene <-> layer ``obj<i>``:

* visible IoU (all objects);
* amodal IoU of the *occluded* objects (with 95 % scene-bootstrap intervals of it and of its lead over the control),
  next to the trivial guess (the predicted visible mask), and a no-painter geometric control (each hidden pixel takes
  the owner of the nearest unhidden pixel, from the same predicted visible masks and order,
  :func:`paintseg_layers.peel.nearest_fill`); where the loss is: the ceiling of any hidden-part rule on these visible
  masks (predicted visible part plus the true hidden part), the hidden pixels missed and the spurious ones grown
  outside the truth (shares of the true amodal area), and the IoU on cut-outs (real objects) and on drawn shapes
  apart; the default shape rule run on the scene's *true* visible masks in the same order (what the first pass's mask
  errors cost) and on the predicted visible masks with the scene's true occluders in front (what the depth order
  costs); the occluded objects whose predicted visible mask spans under half its prompt box
  (:func:`paintseg_layers.amcp.fragment.box_span`: fragments the joint cut or the segmentation left) and what they
  cost against the true-visible row; ``--pictures DIR`` saves the worst occluded objects (photo | visible | peel
  amodal | truth | spurious);
* pairwise depth-order accuracy over the truly overlapping pairs, with the counts and a 95 % interval from a
  bootstrap over scenes (:func:`paintseg_layers.eval.metrics.scene_interval`: 139 pairs know it to about +-0.045),
  and the same order stage read off the scene's *true* visible masks (the cues' ceiling on these scenes: what the
  first pass's masks cost the order; ``order_diagnose.py`` classifies the wrong pairs);
* appearance of the hidden parts: PSNR and SSIM (``skimage.metrics.structural_similarity``, its map
  averaged over the region) of each occluded layer's RGBA against the object's true appearance, over
  the truly hidden pixels the layer covers (its coverage of them is printed next to it);
* PSNR and SSIM of the background plate against the true background inside the removed region (the
  union of the true object masks);
* seconds per scene.

Every metric comes from the same run, so ``--painter patchmatch`` prints the whole table for that painter.
Several ``--seed`` values run the scene set once per decomposition seed: each seed's table, then one row per seed
(visible, amodal against the control, depth with its counts, hidden parts, plate) and their mean -- a bar is met
at one seed or at every seed, and the table says which (``--merge`` prints it too when its rows hold several seeds).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
from skimage.metrics import structural_similarity

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from order_diagnose import scene_order, wrong_pairs  # noqa: E402

from paintseg_layers.amcp import AMCPConfig  # noqa: E402
from paintseg_layers.amcp.fragment import box_span  # noqa: E402
from paintseg_layers.amcp.presets import build_backends  # noqa: E402
from paintseg_layers.cli.common import backend_options  # noqa: E402
from paintseg_layers.errors import BackendError, InputError  # noqa: E402
from paintseg_layers.eval.metrics import scene_interval  # noqa: E402
from paintseg_layers.eval.scenes import make_scene  # noqa: E402
from paintseg_layers.image import as_rgb  # noqa: E402
from paintseg_layers.imageio import make_parent, write_image  # noqa: E402
from paintseg_layers.masks import dilate, iou  # noqa: E402
from paintseg_layers.peel import PeelConfig, decompose, nearest_fill  # noqa: E402
from paintseg_layers.peel.amodal import shape_amodal  # noqa: E402
from paintseg_layers.peel.config import AMODAL_MODES  # noqa: E402
from paintseg_layers.viz import draw_overlay  # noqa: E402

#: a pair whose front object hides less than this share of the back object's amodal area shows no occlusion
#: (1-5 px of a 1000-px object at 160 x 120: a rasterised rim; ``order_diagnose.py`` calls it negligible)
NEGLIGIBLE = 0.005


def psnr(x, y, region) -> float:
    if not region.any():
        return float("nan")
    mse = float(((x[region] - y[region]) ** 2).mean())
    return 10 * np.log10(1.0 / max(mse, 1e-10))


def ssim(x, y, region) -> float:
    """Mean SSIM map over ``region``, with ``x`` pasted into ``y`` so that only the region's pixels differ."""
    if not region.any():
        return float("nan")
    pasted = np.where(region[..., None], x, y)
    _, full = structural_similarity(pasted, y, channel_axis=2, data_range=1.0, full=True)
    return float(full[region].mean())


def replay_amodal(dec, visible: dict, amodal, in_front=None) -> dict:
    """Amodal masks from ``visible`` (prompt index -> (H, W) bool) and the decomposition's graph.

    ``amodal(vis, front, index)`` gives object ``index``'s amodal mask from its visible part and the visible
    parts of the objects in front of it (the engine's default rule finds the same shapes with the front
    objects' amodal masks on both benchmark sets): those the graph puts in front, or ``in_front(index)`` (prompt
    indices) when given.
    """
    out = {}
    for layer in dec.layers:
        vis = visible[layer.prompt_index]
        front = np.zeros_like(vis)
        if in_front is None:
            ahead = [dec.layer(a).prompt_index for a in nx.ancestors(dec.graph, layer.id)]
        else:
            ahead = [j for j in in_front(layer.prompt_index) if j in visible]
        for j in ahead:
            front |= visible[j]
        front &= ~vis
        out[layer.prompt_index] = amodal(vis, front, layer.prompt_index)
    return out


def control_amodal(dec) -> dict:
    """Nearest-pixel control from the decomposition's own visible masks and graph."""
    visible = {layer.prompt_index: layer.visible_mask for layer in dec.layers}
    return replay_amodal(dec, visible, lambda vis, front, _index: vis | nearest_fill([vis], front)[0])


def shape_rule(image, owned, reach: float, boxes: list | None = None, seed: int = 0):
    """``amodal(vis, front, index)`` for :func:`replay_amodal`: the engine's default rule (``amodal="shape"``,
    :func:`paintseg_layers.peel.amodal.shape_amodal`, as ``decompose(seed=seed)`` runs it; with the ``image``,
    the rim cut, and with the prompt ``boxes`` too, their claims of front pixels and of pixels outside ``owned``)."""

    def amodal(vis, front, index):
        box = boxes[index] if boxes is not None else None
        return shape_amodal(image, vis, front, ~owned, box=box, reach=reach, seed=seed + 5000 + index)[1]

    return amodal


def true_visible_amodal(dec, scene, reach: float, boxes: list | None = None, seed: int = 0) -> dict:
    """The default shape rule on the scene's *true* visible masks, in the decomposition's order: what the
    hidden-part rule scores once the first pass's visible masks are right."""
    owned = np.zeros_like(scene.objects[0].visible_mask)
    for o in scene.objects:
        owned |= o.visible_mask
    visible = {i: o.visible_mask for i, o in enumerate(scene.objects)}
    image = as_rgb(scene.image) if boxes is not None else None  # the rim cut and the box claims read it
    return replay_amodal(dec, visible, shape_rule(image, owned, reach, boxes, seed))


def true_order_amodal(dec, scene, reach: float, boxes: list | None = None, seed: int = 0) -> dict:
    """The default shape rule on the decomposition's visible masks with the scene's *true* occluders in front
    (every object whose visible part hides part of this one): what the depth order costs the hidden parts."""
    visible = {layer.prompt_index: layer.visible_mask for layer in dec.layers}
    owned = np.zeros(scene.shape, bool)
    for v in visible.values():
        owned |= v
    ahead: dict[int, list[int]] = {}
    for a, b, _px in scene.occlusion_pairs():
        ahead.setdefault(b, []).append(a)
    image = as_rgb(scene.image) if boxes is not None else None
    return replay_amodal(dec, visible, shape_rule(image, owned, reach, boxes, seed),
                         in_front=lambda index: ahead.get(index, []))


def amodal_loss(row, visible, amodal, obj) -> None:
    """Append where an occluded object's amodal IoU is lost to ``row`` (see the module docstring)."""
    truth, hidden = obj.amodal_mask, obj.amodal_mask & ~obj.visible_mask
    area = max(1, int(truth.sum()))
    row["ceiling"].append(iou(visible | hidden, truth))
    row["missed"].append(float((hidden & ~amodal).sum()) / area)
    row["spurious"].append(float((amodal & ~truth & ~visible).sum()) / area)
    row["cutout"].append(obj.source.startswith("cutout"))


def picture(scene, obj, layer) -> np.ndarray:
    """One strip: photo | predicted visible | peel amodal | true amodal | spurious growth (uint8 RGB)."""
    panels = [(layer.visible_mask, (0.1, 0.9, 0.1)), (layer.amodal_mask, (0.9, 0.1, 0.1)),
              (obj.amodal_mask, (0.1, 0.2, 0.9)), (layer.amodal_mask & ~obj.amodal_mask, (0.9, 0.1, 0.9))]
    photo = draw_overlay(scene.image, np.zeros(scene.shape, bool))
    return np.concatenate([photo] + [draw_overlay(scene.image, m, colour=c) for m, c in panels], axis=1)


def _backend(b) -> str:
    """A backend's name, with its checkpoint where it has one (``dinov2 (models/dinov2-base)``)."""
    model = getattr(b, "model", None)
    return f"{b.name} ({model})" if isinstance(model, str) else b.name


def run_scene(scene, args, painter, pictures: list | None = None, projector=None):
    """Decompose ``scene`` and score it; with a ``pictures`` list, append ``(amodal IoU, name, strip)`` per
    occluded object. ``projector``: an instance, else ``args.projector`` (a name or None)."""
    prompts = scene.prompts(args.prompt)
    amcp = AMCPConfig(working_size=args.working_size, samples=args.samples, steps=args.steps, refine=not args.no_refine,
                      revote=args.revote)
    cfg = PeelConfig(amcp=amcp, amodal=args.amodal, takeback=args.takeback, learnt_cue=args.learnt_cue)
    t0 = time.perf_counter()
    kw = {} if args.threads is None else {"threads": args.threads or None}
    dec = decompose(scene.image, prompts, painter=painter, projector=projector or args.projector, config=cfg,
                    seed=args.seed, **kw)
    seconds = time.perf_counter() - t0
    row = {"seed": scene.seed, "decomposition_seed": args.seed, "n": len(scene.objects), "seconds": seconds,
           "vis_iou": [], "amodal": [], "guess": [], "control": [], "pairs": 0, "correct": 0, "touching": 0,
           "touching_correct": 0, "seen": 0, "seen_correct": 0,
           "hidden_psnr": [], "hidden_ssim": [], "hidden_cover": [], "ceiling": [], "missed": [], "spurious": [],
           "cutout": [], "true_visible": [], "true_order": [], "box_span": []}
    boxes = [getattr(p, "box", None) for p in prompts]
    ctrl, exact = control_amodal(dec), true_visible_amodal(dec, scene, cfg.hidden_reach, boxes, args.seed)
    ordered = true_order_amodal(dec, scene, cfg.hidden_reach, boxes, args.seed)
    for i, obj in enumerate(scene.objects):
        try:
            layer = dec.layer(i)
        except KeyError:  # merged away
            row["vis_iou"].append(0.0)
            continue
        row["vis_iou"].append(iou(layer.visible_mask, obj.visible_mask))
        if obj.hidden_fraction > 0:
            row["amodal"].append(iou(layer.amodal_mask, obj.amodal_mask))
            row["guess"].append(iou(layer.visible_mask, obj.amodal_mask))
            row["control"].append(iou(ctrl[i], obj.amodal_mask))
            row["true_visible"].append(iou(exact[i], obj.amodal_mask))
            row["true_order"].append(iou(ordered[i], obj.amodal_mask))
            row["box_span"].append(box_span(layer.visible_mask, boxes[i]))
            amodal_loss(row, layer.visible_mask, layer.amodal_mask, obj)
            if pictures is not None:
                pictures.append((row["amodal"][-1], f"{scene.seed}_obj{i}", picture(scene, obj, layer)))
            hidden = obj.amodal_mask & ~obj.visible_mask
            alpha = layer.rgba[..., 3]
            shown = hidden & (alpha > 0.5)
            colour = layer.rgba[..., :3] / np.maximum(alpha, 1e-6)[..., None]  # the RGBA is premultiplied
            row["hidden_cover"].append(shown.sum() / max(1, hidden.sum()))
            row["hidden_psnr"].append(psnr(colour, obj.rgb, shown))
            row["hidden_ssim"].append(ssim(colour, obj.rgb, shown))
    depth = {layer.prompt_index: layer.depth for layer in dec.layers}
    for a, b, px in scene.occlusion_pairs():
        ok = int(a in depth and b in depth and depth[a] < depth[b])
        row["pairs"] += 1
        row["correct"] += ok
        # observable pairs: the visible parts touch (else a third object hides where they overlap)
        if (dilate(scene.objects[a].visible_mask, 1) & scene.objects[b].visible_mask).any():
            row["touching"] += 1
            row["touching_correct"] += ok
        # a pair whose front object hides under NEGLIGIBLE of the back one's area is a rasterised rim
        if px >= NEGLIGIBLE * np.count_nonzero(scene.objects[b].amodal_mask):
            row["seen"] += 1
            row["seen_correct"] += ok
    # the same order stage on the scene's true visible masks: how much of the order the masks, not the cues, lose
    true_depth, _ = scene_order({i: o.visible_mask for i, o in enumerate(scene.objects)}, scene.shape, cfg,
                                boxes if all(b is not None for b in boxes) else None, image=as_rgb(scene.image))
    row["true_mask_correct"] = row["pairs"] - len(wrong_pairs(scene, true_depth))
    removed = np.zeros(scene.shape, bool)
    for o in scene.objects:
        removed |= o.amodal_mask
    row["psnr_plate"] = psnr(dec.background, scene.background, removed)
    row["ssim_plate"] = ssim(dec.background, scene.background, removed)
    return row


def _values(rows, key) -> np.ndarray:
    """The per-object values ``key`` of every row, in one float array (rows of older runs may lack the key)."""
    return np.array([v for r in rows for v in r.get(key, [])], float)


def _interval(lo: float, hi: float) -> str:
    """``lo - hi`` to three places, ``-`` where there is none (one scene)."""
    return "-" if np.isnan(lo) else f"{lo:.3f} - {hi:.3f}"


def report(rows, total, amodal: str) -> None:
    """Print the table over the per-scene ``rows`` of :func:`run_scene` (``amodal``: the mode, for the label)."""

    def cat(key):
        return _values(rows, key)

    pairs = sum(r["pairs"] for r in rows)
    correct = sum(r["correct"] for r in rows)
    secs = np.array([r["seconds"] for r in rows])
    am, gu, co = cat("amodal"), cat("guess"), cat("control")
    print(f"{'metric':<52} {'value':>8}")
    print(f"{'objects / occluded objects / overlapping pairs':<52} {len(cat('vis_iou')):>3} / {len(am)} / {pairs}")
    print(f"{'mean visible IoU (all objects)':<52} {cat('vis_iou').mean():8.3f}")
    print(f"{'mean amodal IoU, occluded: peel (' + amodal + ')':<52} {am.mean():8.3f}")
    print(f"{'mean amodal IoU, occluded: visible-mask guess':<52} {gu.mean():8.3f}")
    print(f"{'mean amodal IoU, occluded: nearest-pixel control':<52} {co.mean():8.3f}")
    beats = f"{int((am > gu + 1e-9).sum()):>3} / {int((am > co + 1e-9).sum())}"
    print(f"{'  peel beats guess / beats control (objects)':<52} {beats}")
    # the amodal bar and the lead over the control, each with its 95 % interval (scenes resampled whole)
    count = [len(r["amodal"]) for r in rows]
    amodal_ci = scene_interval([sum(r["amodal"]) for r in rows], count)
    lead_ci = scene_interval([sum(r["amodal"]) - sum(r["control"]) for r in rows], count)
    print(f"{'  95 % intervals: peel / peel - control':<52} {_interval(*amodal_ci)} / {_interval(*lead_ci)}")
    ceiling, missed, spurious = cat("ceiling"), cat("missed"), cat("spurious")
    if len(ceiling) == len(am) and len(am):  # rows of runs before these columns lack them
        cut = cat("cutout").astype(bool)
        print(f"{'  ceiling: predicted visible + true hidden part':<52} {ceiling.mean():8.3f}")
        exact = cat("true_visible")
        if len(exact) == len(am):
            print(f"{'  shape rule on the true visible masks (same order)':<52} {exact.mean():8.3f}")
            span = cat("box_span")
            if len(span) == len(am):
                frag = span < 0.5
                cost = float((exact - am)[frag].sum()) / len(am)
                print(f"{'  ' + str(int(frag.sum())) + ' fragments (visible mask spans < half its box)':<52} "
                      f"{am[frag].mean() if frag.any() else float('nan'):8.3f} (true visible "
                      f"{exact[frag].mean() if frag.any() else float('nan'):.3f}: {cost:.3f} of the mean)")
        ordered = cat("true_order")
        if len(ordered) == len(am):
            print(f"{'  shape rule on these visible masks, true order':<52} {ordered.mean():8.3f}")
        print(f"{'  hidden px missed / spurious (share of true amodal)':<52} {missed.mean():8.3f} / "
              f"{spurious.mean():.3f}")
        split = " / ".join(f"{am[m].mean():.3f} ({int(m.sum())})" if m.any() else "-" for m in (cut, ~cut))
        print(f"{'  peel on cut-outs (real objects) / drawn shapes':<52} {split}")
    print(f"{'pairwise depth-order accuracy':<52} {correct / max(1, pairs):8.3f}")
    # how far a bar may lie from the value before a difference means anything: scenes resampled whole
    spread = _interval(*scene_interval([r["correct"] for r in rows], [r["pairs"] for r in rows]))
    print(f"{'  right / pairs; 95 % interval (scene bootstrap)':<52} {correct} / {pairs}; {spread}")
    touching = sum(r["touching"] for r in rows)
    print(f"{'  on the ' + str(touching) + ' pairs whose visible parts touch':<52} "
          f"{sum(r['touching_correct'] for r in rows) / max(1, touching):8.3f}")
    # pairs no boundary cue can see (a third object hides their whole overlap): only the graph's transitivity or
    # the prompt order can place them; counted in the headline, shown apart here
    hidden = pairs - touching
    print(f"{'  on the ' + str(hidden) + ' pairs whose visible parts do not touch':<52} "
          f"{(correct - sum(r['touching_correct'] for r in rows)) / max(1, hidden):8.3f}")
    if all("seen" in r for r in rows):  # rows of runs before this column lack it
        seen = sum(r["seen"] for r in rows)
        print(f"{'  on the ' + str(seen) + ' pairs hiding >= 0.5 % of the back one':<52} "
              f"{sum(r['seen_correct'] for r in rows) / max(1, seen):8.3f}")
    if all("true_mask_correct" in r for r in rows):  # rows of runs before this column lack it
        # the order cues' ceiling on these scenes: read off the true visible masks (no first pass)
        print(f"{'  the same order stage on the true visible masks':<52} "
              f"{sum(r['true_mask_correct'] for r in rows) / max(1, pairs):8.3f}")
    print(f"{'hidden parts of occluded layers: PSNR dB / SSIM':<52} {np.nanmean(cat('hidden_psnr')):8.2f} / "
          f"{np.nanmean(cat('hidden_ssim')):.3f}")
    print(f"{'  share of the truly hidden pixels the layers cover':<52} {cat('hidden_cover').mean():8.3f}")
    print(f"{'background plate in removed region: PSNR dB / SSIM':<52} "
          f"{np.nanmean([r['psnr_plate'] for r in rows]):8.2f} / {np.nanmean([r['ssim_plate'] for r in rows]):.3f}")
    print(f"{'seconds / scene (mean, median, max)':<52} {secs.mean():.2f}, {np.median(secs):.2f}, {secs.max():.2f}")
    print(f"{'total seconds':<52} {total:8.1f}")


def seed_table(rows) -> None:
    """One line per decomposition seed of ``rows`` (their ``decomposition_seed``) and the mean over the seeds."""
    seeds = sorted({r["decomposition_seed"] for r in rows if "decomposition_seed" in r})
    if len(seeds) < 2:
        return
    print(f"\n{'seed':>4} {'visible':>8} {'amodal':>7} {'control':>8} {'depth':>6} {'right / pairs':>14} "
          f"{'hidden dB':>10} {'plate dB':>9}")
    cols = []
    for seed in seeds:
        part = [r for r in rows if r.get("decomposition_seed") == seed]
        right, pairs = sum(r["correct"] for r in part), sum(r["pairs"] for r in part)
        cols.append((_values(part, "vis_iou").mean(), _values(part, "amodal").mean(), _values(part, "control").mean(),
                     right / max(1, pairs), np.nanmean(_values(part, "hidden_psnr")),
                     np.nanmean([r["psnr_plate"] for r in part])))
        c = cols[-1]
        print(f"{seed:>4} {c[0]:8.3f} {c[1]:7.3f} {c[2]:8.3f} {c[3]:6.3f} {f'{right} / {pairs}':>14} {c[4]:10.2f} "
              f"{c[5]:9.2f}")
    m = np.mean(cols, axis=0)
    print(f"{'mean':>4} {m[0]:8.3f} {m[1]:7.3f} {m[2]:8.3f} {m[3]:6.3f} {'':>14} {m[4]:10.2f} {m[5]:9.2f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenes", type=int, default=60)
    p.add_argument("--first-seed", type=int, default=1000)
    p.add_argument("--seed", type=int, nargs="+", default=[0],
                   help="seed of the decomposition; several: the scene set once per seed, and the spread")
    p.add_argument("--size", type=int, nargs=2, default=(160, 120), metavar=("W", "H"))
    p.add_argument("--objects", type=int, nargs=2, default=(2, 4), metavar=("MIN", "MAX"))
    p.add_argument("--prompt", choices=("box", "point"), default="box")
    p.add_argument("--painter", default=None)
    p.add_argument("--projector", default=None)
    p.add_argument("--painter-model", default=None, metavar="ID_OR_DIR",
                   help="checkpoint of a neural painter: a local folder or a hub id (as `paintseg decompose`)")
    p.add_argument("--projector-model", default=None, metavar="ID_OR_DIR",
                   help="checkpoint of a neural projector (dino, dinov2): a local folder or a hub id")
    p.add_argument("--device", default=None, help="torch device of the neural backends (cpu, cuda, ...)")
    p.add_argument("--amodal", choices=AMODAL_MODES, default=PeelConfig().amodal)
    p.add_argument("--working-size", type=int, default=160)
    p.add_argument("--samples", type=int, default=5, help="AMCP samples (default: the library default, 5)")
    p.add_argument("--steps", default="IOI")
    p.add_argument("--no-refine", action="store_true", help="skip AMCP's graph-cut refinement (faster)")
    p.add_argument("--revote", action="store_true", help="AMCP's re-vote after the refinement (AMCPConfig.revote)")
    p.add_argument("--takeback", action="store_true", help="the joint cut's take-back (PeelConfig.takeback)")
    p.add_argument("--learnt-cue", type=float, default=PeelConfig().learnt_cue, metavar="W",
                   help="weight of the learnt ownership cue in the depth order (PeelConfig.learnt_cue; 0: hand cues)")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS/OpenMP threads inside decompose (default: the library's, 1; "
                        "0 = leave the pools alone, the old behaviour, for a baseline)")
    p.add_argument("--cutouts", default=None, help="folder of images/ + masks/ (default ../shared/data/grabcut)")
    p.add_argument("--json", type=Path, default=None, help="also write per-scene rows here")
    p.add_argument("--merge", type=Path, nargs="+", default=None, metavar="JSON",
                   help="print the table over the rows of earlier --json runs (a long run in parts; "
                        "pass the same --amodal); runs nothing")
    p.add_argument("--pictures", type=Path, default=None, metavar="DIR",
                   help="save the worst occluded objects here (photo | visible | amodal | truth | spurious)")
    p.add_argument("--worst", type=int, default=16, help="how many objects --pictures saves (default 16)")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR)
    if args.worst < 1:
        p.error(f"--worst must be at least 1, got {args.worst}")
    if args.merge:
        rows = [r for f in args.merge for r in json.loads(f.read_text())]
        print(f"peel benchmark: {len(rows)} scenes merged from {', '.join(str(f) for f in args.merge)}")
        report(rows, sum(r["seconds"] for r in rows), args.amodal)
        seed_table(rows)
        return 0
    cut = args.cutouts
    if cut is None and not (ROOT.parent / "shared" / "data" / "grabcut" / "images").is_dir():
        cut = "none"
        print("note: ../shared/data/grabcut missing; shapes only", file=sys.stderr)
    try:
        painter, projector = build_backends(**backend_options(args))
    except (BackendError, InputError) as e:
        p.error(str(e))
    rows, pictures = [], ([] if args.pictures else None)
    from tqdm.auto import tqdm

    for seed in args.seed:
        run = argparse.Namespace(**{**vars(args), "seed": seed})
        part = []
        t0 = time.perf_counter()
        for k in tqdm(range(args.scenes), desc=f"scenes (seed {seed})", unit="scene", file=sys.stderr):
            scene = make_scene(args.first_seed + k, size=tuple(args.size), n_objects=tuple(args.objects), cutouts=cut)
            part.append(run_scene(scene, run, painter, pictures, projector))
            if pictures:  # keep only the worst, so a long run holds few strips
                pictures = sorted(pictures, key=lambda t: t[0])[:args.worst]
        total = time.perf_counter() - t0
        print(f"peel benchmark: {len(part)} scenes ({args.size[0]}x{args.size[1]}, "
              f"{args.objects[0]}-{args.objects[1]} objects, "
              f"seeds {args.first_seed}..{args.first_seed + args.scenes - 1}), prompts={args.prompt}, "
              f"painter={_backend(painter)}, projector={_backend(projector)}, amodal={args.amodal}, "
              f"working_size={args.working_size}, samples={args.samples}, steps={args.steps}, "
              f"refine={not args.no_refine}, revote={args.revote}, takeback={args.takeback}, "
              f"learnt_cue={args.learnt_cue}, "
              f"threads={'default' if args.threads is None else (args.threads or 'unlimited')}, "
              f"decomposition seed={seed}")
        report(part, total, args.amodal)
        rows += part
    seed_table(rows)
    for rank, (score, name, strip) in enumerate(pictures or []):
        write_image(make_parent(args.pictures / f"{rank:02d}_{name}_iou{score:.3f}.png", "--pictures"), strip)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
