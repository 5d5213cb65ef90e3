"""Compositor benchmark (issue 5): no-edit recomposition PSNR, and what an edit uncovers.

    python benchmarks/compose_benchmark.py                      # 50 GT scenes, 8 decomposed
    python benchmarks/compose_benchmark.py --decomposed 0       # ground truth only (seconds)
    python benchmarks/compose_benchmark.py --scenes 60 --decomposed 20 --json out.json

On generated scenes (seeds 1000.., 160 x 120, 2 to 4 objects, the same family as the peel benchmark):

* **GT no-edit**: :func:`~paintseg_layers.compose.compose` of the ground-truth decomposition with no
  edits against the scene image (acceptance: >= 40 dB; inf means identical).
* **decomposed no-edit**: the same for :func:`paintseg_layers.peel.decompose` (box prompts around the
  visible parts, default backends) against the input image.
* **remove front, decomposed vs GT**: remove the truly front-most object from both decompositions and
  compare the decomposed result with the ground-truth result inside the region the object covered
  (that is the uncovered background plus the hidden parts of the objects behind: what peeling has to
  invent); also over the whole image.

PSNR over a set is the mean of per-scene PSNRs (identical scenes are counted as 99 dB in the mean).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paintseg_layers.compose import compose  # noqa: E402
from paintseg_layers.compose.edits import Remove  # noqa: E402
from paintseg_layers.eval.scenes import ground_truth_decomposition, make_scene  # noqa: E402

CAP = 99.0


def psnr(x, y, region=None) -> float:
    if region is None:
        region = np.ones(x.shape[:2], bool)
    if not region.any():
        return float("nan")
    mse = float(((np.asarray(x, np.float64)[region] - np.asarray(y, np.float64)[region]) ** 2).mean())
    return CAP if mse == 0 else min(CAP, 10 * np.log10(1.0 / mse))


def fmt(values) -> str:
    v = np.asarray([x for x in values if np.isfinite(x)], float)
    if v.size == 0:
        return "n/a"
    lo = v.min()
    return f"{v.mean():6.2f} (min {lo:.2f}{', all identical' if lo >= CAP else ''})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenes", type=int, default=50, help="ground-truth scenes (default 50)")
    ap.add_argument("--decomposed", type=int, default=8, help="of those, how many to decompose (default 8; ~10 s each)")
    ap.add_argument("--seed", type=int, default=1000, help="first scene seed (default 1000)")
    ap.add_argument("--painter", default=None, help="painter for decompose (default: the library's)")
    ap.add_argument("--json", type=Path, default=None, help="also write per-scene numbers")
    args = ap.parse_args(argv)

    rows = []
    gt_psnr, gt_sec = [], []
    for i in range(args.scenes):
        scene = make_scene(args.seed + i, size=(160, 120), n_objects=(2, 4))
        truth = ground_truth_decomposition(scene)
        t = time.perf_counter()
        out = compose(truth)
        gt_sec.append(time.perf_counter() - t)
        gt_psnr.append(psnr(out, scene.image))
        rows.append({"seed": args.seed + i, "objects": len(truth.layers), "gt_no_edit_psnr": gt_psnr[-1]})

    dec_psnr, rm_region, rm_whole, dec_sec = [], [], [], []
    if args.decomposed:
        from paintseg_layers.peel import decompose

        for i in range(min(args.decomposed, args.scenes)):
            scene = make_scene(args.seed + i, size=(160, 120), n_objects=(2, 4))
            truth = ground_truth_decomposition(scene)
            t = time.perf_counter()
            dec = decompose(scene.image, scene.prompts("box"), painter=args.painter, seed=0)
            dec_sec.append(time.perf_counter() - t)
            dec_psnr.append(psnr(compose(dec), scene.image))
            front = truth.layers[0]
            a, b = compose(dec, [Remove(front.id)]), compose(truth, [Remove(front.id)])
            rm_region.append(psnr(a, b, front.amodal_mask))
            rm_whole.append(psnr(a, b))
            rows[i].update(decomposed_no_edit_psnr=dec_psnr[-1], remove_front_region_psnr=rm_region[-1],
                           remove_front_whole_psnr=rm_whole[-1], decompose_seconds=dec_sec[-1])
            print(f"  scene {args.seed + i}: no-edit {dec_psnr[-1]:.2f} dB, remove-front region {rm_region[-1]:.2f} dB "
                  f"({dec_sec[-1]:.1f} s)", file=sys.stderr)

    print(f"compose benchmark: seeds {args.seed}..{args.seed + args.scenes - 1}, 160 x 120, 2-4 objects")
    print(f"{'measure':58s} {'scenes':>6s}  PSNR dB")
    print(f"{'GT layers, no edit vs scene image (>= 40 required)':58s} {len(gt_psnr):6d}  {fmt(gt_psnr)}")
    if args.decomposed:
        print(f"{'decomposed layers, no edit vs input':58s} {len(dec_psnr):6d}  {fmt(dec_psnr)}")
        print(f"{'remove front: decomposed vs GT, inside its amodal mask':58s} {len(rm_region):6d}  {fmt(rm_region)}")
        print(f"{'remove front: decomposed vs GT, whole image':58s} {len(rm_whole):6d}  {fmt(rm_whole)}")
        print(f"decompose: {np.mean(dec_sec):.1f} s/scene; compose: {1000 * np.mean(gt_sec):.1f} ms/scene")
    else:
        print(f"compose: {1000 * np.mean(gt_sec):.1f} ms/scene")
    ok = min(gt_psnr) >= 40.0
    print("acceptance (GT no-edit >= 40 dB on every scene):", "PASS" if ok else "FAIL")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
