"""Object-discovery benchmark (issue 7): proposals with no prompts, before and after AMCP refinement.

    python benchmarks/discover_benchmark.py                 # 30 scenes + the 50 GrabCut images
    python benchmarks/discover_benchmark.py --scenes 10 --grabcut 10 --no-layers
    python benchmarks/discover_benchmark.py --no-layers --grabcut 0 --set size_prior=0.3 nested=1.0

1. **Generated scenes** (:func:`paintseg_layers.eval.scenes.make_scene`, seeds 1000..): :func:`discover` with
   ``max_objects`` = 5. A true object is *found* when some proposal's mask has IoU >= 0.5 with its
   visible mask (one-to-one, Hungarian matching on IoU): recall = found / true objects, precision =
   matched proposals / proposals; for the coarse normalised-cut masks and for the AMCP-refined ones.
   With layers on, the proposals are peeled
   (:func:`paintseg_layers.peel.decompose` with ``discover=True``) and the same layer
   metrics as ``peel_benchmark.py`` are computed over the matched objects
   (a missed object counts as visible IoU 0).
   The scenes' backgrounds are drawn from scikit-image photos (coffee, chelsea, astronaut, rocket,
   immunohistochemistry), textures (brick, grass, gravel) and procedural colour fields. A photo holds
   real objects the truth does not list (a cup, a cat, a person, a rocket, cells), so a proposal on one
   counts as false: recall / precision are also printed for the photo and the texture / procedural
   scenes apart, and ``--background texture`` (or ``procedural``) draws a scene set with no real
   objects behind (other scenes: a different set, not the default one).
   Measured (``--no-layers``, AMCP-refined recall / precision, ``--previous`` -> default, 20 scenes each):
   seeds 1000-1019 0.532 / 0.516 -> 0.629 / 0.696; seeds 1020-1039 0.459 / 0.431 -> 0.541 / 0.688;
   ``--background texture`` 0.565 / 0.574 -> 0.565 / 0.729; ``--background procedural``
   0.452 / 0.452 -> 0.468 / 0.763. GrabCut top proposal 0.546 -> 0.578 (31 of 50 at IoU >= 0.5).
   The union rule and ``refined_overlap=1.0`` (``--set union_ratio=0 refined_overlap=0.4`` -> default, same
   code): 20 scenes, seeds 1000-1019 0.629 / 0.696 -> 0.710 / 0.647; seeds 1020-1039 0.541 / 0.688 ->
   0.656 / 0.645; ``--background texture`` 0.565 / 0.729 -> 0.597 / 0.740; ``--background procedural``
   0.468 / 0.763 -> 0.694 / 0.811; 30 scenes (the default), seeds 1000-1029 0.591 / 0.663 -> 0.688 / 0.627,
   seeds 1020-1049 0.505 / 0.644 -> 0.602 / 0.629; GrabCut top proposal 0.578 (31) -> 0.576 (30).
   ``refined_overlap=1.0`` alone (``--set union_ratio=0``) keeps GrabCut at 0.578 (31) but finds fewer
   objects: 0.710 / 0.657, 0.574 / 0.625 (20 scenes); 0.667 / 0.626, 0.538 / 0.610 (30 scenes).
   ``min_proposal_area=0.014`` with the stopping rule ``min_relative=0.4`` (``--set min_proposal_area=0.01
   min_relative=0.5`` -> default, same code): 30 scenes, seeds 1000-1029 0.688 / 0.627 -> 0.785 / 0.646 (113),
   seeds 1020-1049 0.602 / 0.629 -> 0.667 / 0.660 (94); 20 scenes, ``--background texture`` 0.597 / 0.740 ->
   0.629 / 0.722, ``--background procedural`` 0.694 / 0.811 -> 0.742 / 0.807; GrabCut top proposal 0.576 (30)
   -> 0.583 (30), best proposal 0.626 -> 0.622. The scenes table also counts the false refined proposals by
   kind (:func:`false_kinds`): patches inside a true object were 23 of 57 before.
2. **GrabCut** (``../shared/data/grabcut``, one salient object per image, ignore band left out): IoU of
   the best proposal (the one closest to the truth) and of the top-scored proposal, coarse vs refined
   (the same proposals, before and after AMCP).
"""

from __future__ import annotations

import argparse
import ast
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paintseg_layers import masks  # noqa: E402
from paintseg_layers.amcp import AMCPConfig  # noqa: E402
from paintseg_layers.discovery import (  # noqa: E402
    CONTRAST_MIN_SCORE,
    EVIDENCE_MIN_SCORE,
    MIN_SCORE,
    DiscoverConfig,
    discover,
)
from paintseg_layers.eval import list_dataset  # noqa: E402
from paintseg_layers.eval.metrics import iou as iou_ignore  # noqa: E402
from paintseg_layers.eval.scenes import make_scene  # noqa: E402
from paintseg_layers.imageio import read_image, read_mask  # noqa: E402
from paintseg_layers.peel import PeelConfig, decompose  # noqa: E402

#: The ranking that was the default before the outline term, the fine-region candidates and the looser
#: part / duplicate rules (``--previous``; with ``min_score=CONTRAST_MIN_SCORE``).
PREVIOUS = DiscoverConfig(outline=False, boundary_merge=False, felzenszwalb=(), size_prior=0.15, order_prior=0.15,
                          min_relative=0.0, nested=0.8, max_overlap=0.25, union_ratio=0.0, refined_overlap=0.25)


def iou(a, b) -> float:
    return masks.iou(a, b, empty=0.0)


def match(pred: list, truth: list, thr: float = 0.5):
    """Hungarian matching on IoU; returns (pairs (p, t, iou) with iou >= thr, IoU matrix)."""
    if not pred or not truth:
        return [], np.zeros((len(pred), len(truth)))
    m = np.array([[iou(p, t) for t in truth] for p in pred])
    r, c = linear_sum_assignment(-m)
    return [(i, j, m[i, j]) for i, j in zip(r, c) if m[i, j] >= thr], m


#: Kinds of false proposal, in the order printed (:func:`false_kinds`).
FALSE_KINDS = ("part", "union", "leak", "background")


def false_kinds(pred: list, truth: list, pairs: list) -> dict:
    """Count the proposals left unmatched by kind: where the ranking loses.

    ``part``: 0.8 or more of it lies inside one true object (a patch of a textured object, or the object
    found twice); ``union``: it covers more than 0.3 of two or more true objects; ``background``: less than
    0.2 of it lies on true objects (on a photo background, often a real object the truth does not list);
    ``leak``: the rest (an object with much background or a neighbour's piece).
    """
    counts = dict.fromkeys(FALSE_KINDS, 0)
    matched = {i for i, _, _ in pairs}
    on_objects = np.any(truth, axis=0) if truth else None
    for i, p in enumerate(pred):
        area = np.count_nonzero(p)
        if i in matched or not area:
            continue
        inside = [np.count_nonzero(p & t) / area for t in truth]
        cover = [np.count_nonzero(p & t) / max(1, np.count_nonzero(t)) for t in truth]
        if max(inside, default=0.0) >= 0.8:
            kind = "part"
        elif sum(c > 0.3 for c in cover) >= 2:
            kind = "union"
        elif on_objects is None or np.count_nonzero(p & on_objects) / area < 0.2:
            kind = "background"
        else:
            kind = "leak"
        counts[kind] += 1
    return counts


def scenes_part(args, amcp):
    rows = []
    from tqdm.auto import tqdm

    for k in tqdm(range(args.scenes), desc="scenes", unit="scene", file=sys.stderr):
        scene = make_scene(args.first_seed + k, size=tuple(args.size), n_objects=(2, 4), background=args.background)
        truth = [o.visible_mask for o in scene.objects]
        t0 = time.perf_counter()
        props = discover(scene.image, max_objects=args.max_objects, seed=args.seed, amcp=amcp,
                         projector=args.projector, config=args.config, min_score=args.min_score)
        secs = time.perf_counter() - t0
        row = {"n": len(truth), "seconds": secs, "photo": scene.background_kind.startswith("photo")}
        for kind in ("coarse", "refined"):
            masks = [p.coarse_mask if kind == "coarse" else p.mask for p in props]
            pairs, _ = match(masks, truth)
            row[kind] = (len(pairs), len(masks))
        row["false"] = false_kinds(masks, truth, pairs)  # of the refined proposals (the last kind)
        if args.layers:
            t0 = time.perf_counter()
            dec = decompose(scene.image, discover=True, max_objects=args.max_objects, seed=args.seed,
                            projector=args.projector, config=PeelConfig(amcp=amcp, duplicates="merge"))
            row["dec_seconds"] = time.perf_counter() - t0
            vis = [layer.visible_mask for layer in dec.layers]
            pairs, _ = match(vis, truth, thr=0.0)
            got = {j: i for i, j, _ in pairs}
            row["vis"] = [iou(vis[got[j]], truth[j]) if j in got else 0.0 for j in range(len(truth))]
            row["amodal"], row["guess"] = [], []
            for j, o in enumerate(scene.objects):
                if o.hidden_fraction > 0 and j in got:
                    layer = dec.layers[got[j]]
                    row["amodal"].append(iou(layer.amodal_mask, o.amodal_mask))
                    row["guess"].append(iou(layer.visible_mask, o.amodal_mask))
            row["pairs"] = row["correct"] = 0
            for a, b, _px in scene.occlusion_pairs():
                if a in got and b in got and iou(vis[got[a]], truth[a]) >= 0.5 and iou(vis[got[b]], truth[b]) >= 0.5:
                    row["pairs"] += 1
                    row["correct"] += int(dec.layers[got[a]].depth < dec.layers[got[b]].depth)
        rows.append(row)
    return rows


def grabcut_part(args, amcp):
    root = Path(args.data)
    samples = list_dataset(root)[: args.grabcut]
    rows = []
    from tqdm.auto import tqdm

    for s in tqdm(samples, desc="grabcut", unit="img", file=sys.stderr):
        img = read_image(s.image)
        gt = read_mask(s.mask, shape=img.shape[:2])
        ign = read_mask(s.ignore, shape=img.shape[:2]) if s.ignore else None
        t0 = time.perf_counter()
        props = discover(img, max_objects=args.max_objects, seed=args.seed, amcp=amcp, projector=args.projector,
                         config=args.config, min_score=args.min_score)
        secs = time.perf_counter() - t0
        if not props:
            rows.append({"name": s.name, "n": 0, "best_c": 0.0, "best_r": 0.0, "top_c": 0.0, "top_r": 0.0,
                         "seconds": secs})
            continue
        ic = [iou_ignore(p.coarse_mask, gt, ign) for p in props]
        ir = [iou_ignore(p.mask, gt, ign) for p in props]
        b = int(np.argmax(ic))
        rows.append({"name": s.name, "n": len(props), "best_c": ic[b], "best_r": ir[b], "best_any_r": max(ir),
                     "top_c": ic[0], "top_r": ir[0], "seconds": secs})
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenes", type=int, default=30)
    p.add_argument("--first-seed", type=int, default=1000)
    p.add_argument("--size", type=int, nargs=2, default=(160, 120), metavar=("W", "H"))
    p.add_argument("--grabcut", type=int, default=50, help="number of GrabCut images (0 = skip)")
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "grabcut"))
    p.add_argument("--background", choices=("photo", "texture", "procedural"), default=None,
                   help="draw every scene's background of this kind (default: each scene draws one; a "
                        "different scene set)")
    p.add_argument("--max-objects", type=int, default=5)
    p.add_argument("--projector", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--samples", type=int, default=3, help="AMCP painted samples per step")
    p.add_argument("--no-layers", dest="layers", action="store_false", help="skip peeling the scenes")
    p.add_argument("--evidence", action="store_true",
                   help="rank with the painter evidence (DiscoverConfig(evidence=True), min_score 0.2)")
    p.add_argument("--previous", action="store_true",
                   help="the ranking that was the default before (no outline term, SLIC-graph candidates only, "
                        "size and order prior 0.15, nested 0.8, max_overlap 0.25, no stopping rule; min_score 0.3)")
    p.add_argument("--min-relative", type=float, default=None,
                   help="DiscoverConfig.min_relative (stopping rule; default: the library's)")
    p.add_argument("--no-boundary-merge", dest="boundary_merge", action="store_false", default=None,
                   help="leave the boundary merging of fine regions out of the candidates")
    p.add_argument("--felzenszwalb", type=float, nargs="*", default=None, metavar="SCALE",
                   help="Felzenszwalb scales whose regions join the candidates (DiscoverConfig.felzenszwalb; "
                        "none given: no Felzenszwalb candidates; default: the library's)")
    p.add_argument("--set", dest="overrides", nargs="*", default=(), metavar="KEY=VALUE",
                   help="other DiscoverConfig fields, e.g. --set size_prior=0.3 nested=1.0 (Python literals)")
    p.add_argument("--min-score", dest="min_score_flag", type=float, default=None,
                   help="min_score (default: the one of the ranking)")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR)
    amcp = AMCPConfig(samples=args.samples, paint_result=False)
    dcfg = PREVIOUS if args.previous else DiscoverConfig()
    dcfg = replace(dcfg, evidence=args.evidence)
    args.min_score = EVIDENCE_MIN_SCORE if args.evidence else CONTRAST_MIN_SCORE if args.previous else MIN_SCORE
    if args.min_relative is not None:
        dcfg = replace(dcfg, min_relative=args.min_relative)
    if args.boundary_merge is not None:
        dcfg = replace(dcfg, boundary_merge=False)
    if args.felzenszwalb is not None:
        dcfg = replace(dcfg, felzenszwalb=tuple(args.felzenszwalb))
    if args.overrides:
        pairs = dict(kv.split("=", 1) for kv in args.overrides)
        dcfg = DiscoverConfig.from_dict({**dcfg.to_dict(), **{k: ast.literal_eval(v) for k, v in pairs.items()}})
    if args.min_score_flag is not None:
        args.min_score = args.min_score_flag
    args.config = dcfg
    print(f"discover benchmark: projector={args.projector or 'lab'}, max_objects={args.max_objects}, "
          f"outline={dcfg.outline}, evidence={dcfg.evidence}, min_relative={dcfg.min_relative}, "
          f"min_score={args.min_score}, working_size={dcfg.working_size}, "
          f"superpixels~{dcfg.n_segments}, boundary_merge={dcfg.boundary_merge}, felzenszwalb={dcfg.felzenszwalb}, "
          f"overrides={' '.join(args.overrides) or 'none'}, "
          f"AMCP steps={amcp.steps} samples={amcp.samples} refine={amcp.refine}, seed={args.seed}")
    if args.scenes:
        t0 = time.perf_counter()
        rows = scenes_part(args, amcp)
        total = time.perf_counter() - t0
        n_true = sum(r["n"] for r in rows)
        print(f"\n[scenes] {len(rows)} generated scenes ({args.size[0]}x{args.size[1]}, 2-4 objects, "
              f"background {args.background or 'drawn'}, seeds "
              f"{args.first_seed}..{args.first_seed + args.scenes - 1}), {n_true} true objects; "
              "match = visible IoU >= 0.5")
        print(f"{'proposals':<28} {'recall':>8} {'precision':>10} {'proposals':>10}")
        for kind in ("coarse", "refined"):
            found = sum(r[kind][0] for r in rows)
            made = sum(r[kind][1] for r in rows)
            print(f"{kind + (' (ncut)' if kind == 'coarse' else ' (AMCP)'):<28} {found / n_true:8.3f} "
                  f"{found / max(1, made):10.3f} {made:10d}")
        # a photo background holds real objects (a cup, a cat, a rocket, a person, cells) that the truth
        # does not list: a proposal on one counts as false. The split shows both halves.
        for photo, name in ((True, "photo backgrounds"), (False, "texture / procedural bg")):
            part = [r for r in rows if r["photo"] == photo]
            if part:
                n_part = sum(r["n"] for r in part)
                found = sum(r["refined"][0] for r in part)
                made = sum(r["refined"][1] for r in part)
                print(f"{'  refined, ' + name + ' (' + str(len(part)) + ')':<28} {found / n_part:8.3f} "
                      f"{found / max(1, made):10.3f} {made:10d}")
        false = {k: sum(r["false"][k] for r in rows) for k in FALSE_KINDS}
        print(f"{'  refined, false proposals':<28} " + ", ".join(f"{k} {v}" for k, v in false.items()))
        if args.layers:
            vis = np.array([v for r in rows for v in r["vis"]])
            am = np.array([v for r in rows for v in r["amodal"]])
            gu = np.array([v for r in rows for v in r["guess"]])
            pairs = sum(r["pairs"] for r in rows)
            correct = sum(r["correct"] for r in rows)
            print(f"{'layer metric (discovered layers)':<52} {'value':>8}")
            print(f"{'mean visible IoU, all true objects (missed = 0)':<52} {vis.mean():8.3f}")
            print(f"{'mean amodal IoU, occluded matched objects (n=' + str(len(am)) + ')':<52} "
                  f"{am.mean() if len(am) else float('nan'):8.3f}")
            print(f"{'  visible-mask guess on the same objects':<52} {gu.mean() if len(gu) else float('nan'):8.3f}")
            print(f"{'depth-order accuracy, found overlapping pairs (n=' + str(pairs) + ')':<52} "
                  f"{correct / max(1, pairs):8.3f}")
            print(f"{'decompose seconds / scene (mean)':<52} {np.mean([r['dec_seconds'] for r in rows]):8.2f}")
        print(f"{'discover seconds / scene (mean, median)':<52} {np.mean([r['seconds'] for r in rows]):.2f}, "
              f"{np.median([r['seconds'] for r in rows]):.2f}")
        print(f"{'scenes part total seconds':<52} {total:8.1f}")
    if args.grabcut:
        if not (Path(args.data) / "images").is_dir():
            print(f"\n[grabcut] skipped: {args.data} missing")
            return 0
        t0 = time.perf_counter()
        rows = grabcut_part(args, amcp)
        total = time.perf_counter() - t0
        print(f"\n[grabcut] {len(rows)} images, IoU with the one true object (ignore band left out)")
        print(f"{'proposal':<40} {'coarse':>8} {'refined':>8}")
        bc, br = np.array([r["best_c"] for r in rows]), np.array([r["best_r"] for r in rows])
        tc, tr = np.array([r["top_c"] for r in rows]), np.array([r["top_r"] for r in rows])
        print(f"{'best proposal (closest coarse), mean IoU':<40} {bc.mean():8.3f} {br.mean():8.3f}")
        print(f"{'best proposal, median IoU':<40} {np.median(bc):8.3f} {np.median(br):8.3f}")
        print(f"{'top-scored proposal, mean IoU':<40} {tc.mean():8.3f} {tr.mean():8.3f}")
        print(f"{'images whose top proposal has IoU >= 0.5':<40} {int((tc >= 0.5).sum()):>8d} "
              f"{int((tr >= 0.5).sum()):>8d}")
        print(f"{'images where refinement raised best IoU':<40} {int((br > bc + 1e-9).sum()):>8d} / {len(rows)}")
        print(f"{'images with no proposal':<40} {sum(r['n'] == 0 for r in rows):>8d}")
        print(f"{'seconds / image (mean), total':<40} {np.mean([r['seconds'] for r in rows]):8.2f} {total:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
