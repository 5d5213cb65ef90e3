"""Crowded scenes: is a layer's visible mask ever worse than segmenting its object alone? (issue 17 item 0)

    python benchmarks/crowd_benchmark.py                  # 12 scenes per set
    python benchmarks/crowd_benchmark.py --smoke          # 1 small scene per set, for CI (< 1 min)
    python benchmarks/crowd_benchmark.py --scenes 20 --json out.json

Scene sets (``paintseg_layers.eval.scenes.make_crowd_scene``, seeds ``--first-seed``..):

* ``touching``: 8-15 objects (shapes and GrabCut cut-outs) on a jittered grid, each touching or slightly
  overlapping its neighbours, over a generated background;
* ``nested``: the same with a large holder and 2-4 small objects resting wholly on it (the holder's box
  holds theirs);
* ``similar``: 8-15 touching shapes in shades of one hue, darker at the rim (shading and edges, not colour,
  carry the boundaries);
* ``grabcut``: 4-8 GrabCut cut-outs pasted, touching, into a GrabCut photo (long side ``--photo-size``);
* ``davis``: real video frames with 2-4 objects each (``../shared/data/davis_multi``, people with bikes, horses,
  dogs: objects that touch and overlap), their own masks and boxes; ``--scenes`` frames from the ``--first-seed``-th
  (not in the default sets: 121 frames of 854 x 480, about 4 s each).

``--revote`` / ``--takeback`` turn on the two opt-in settings of issue 18 (``AMCPConfig.revote``,
``PeelConfig.takeback``) for both methods (the take-back is the decomposition's only).

Each object is prompted with the box of its visible part. Two methods on the same prompts, same run:
``decompose`` (every box at once; the layer's visible mask) and ``segment`` (each box alone), beside the classical
baseline, OpenCV's GrabCut on each box at full size (``eval.baselines.grabcut_box``). The table gives mean visible
IoU per set, the share of objects where the decomposition loses more than 0.05 to the object alone, and the
seconds; for nested scenes also the holders and the resting objects apart,
and the nested - touching difference.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paintseg_layers import decompose, segment  # noqa: E402
from paintseg_layers.amcp import AMCPConfig  # noqa: E402
from paintseg_layers.eval import list_dataset  # noqa: E402
from paintseg_layers.eval.baselines import grabcut_box  # noqa: E402
from paintseg_layers.eval.datasets import list_frames, load_frame, load_sample  # noqa: E402
from paintseg_layers.eval.scenes.crowd import make_crowd_scene  # noqa: E402
from paintseg_layers.masks import iou  # noqa: E402
from paintseg_layers.peel import PeelConfig  # noqa: E402
from paintseg_layers.prompts import BoxPrompt  # noqa: E402

GRABCUT = ROOT.parent / "shared" / "data" / "grabcut"
DAVIS = ROOT.parent / "shared" / "data" / "davis_multi"
SETS = ("touching", "nested", "similar", "grabcut", "davis")
DEFAULT_SETS = SETS[:4]


@dataclass
class RealObject:
    visible_mask: np.ndarray


@dataclass
class RealFrame:
    """A frame of a multi-object data set in the shape of a generated scene: image, box prompts, visible truth."""

    seed: str
    image: np.ndarray
    boxes: tuple
    objects: list
    meta: dict = field(default_factory=dict)

    def prompts(self, kind: str = "box"):
        return [BoxPrompt(b) for b in self.boxes]


def real_frame(frame) -> RealFrame:
    image, masks = load_frame(frame)
    return RealFrame(frame.name, image, frame.boxes, [RealObject(m) for m in masks])


def make_set_scene(name: str, seed: int, args, photos):
    """One scene of set ``name``."""
    size = tuple(args.size)
    if name == "touching":
        return make_crowd_scene(seed, size=size, n_objects=tuple(args.objects))
    if name == "nested":
        return make_crowd_scene(seed, size=size, n_objects=tuple(args.objects), layout="nested")
    if name == "similar":
        return make_crowd_scene(seed, size=size, n_objects=tuple(args.objects), similar=True)
    if name == "davis":
        return real_frame(photos["davis"][seed])
    photo = photos["grabcut"][seed % len(photos["grabcut"])]
    return make_crowd_scene(seed, n_objects=(4, 8), backdrop=photo, cutouts=GRABCUT, cutout_fraction=1.0, spread=1.1)


def run_scene(scene, seed: int, config: PeelConfig | None = None) -> dict:
    config = config or PeelConfig()
    prompts = scene.prompts("box")
    t0 = time.perf_counter()
    dec = decompose(scene.image, prompts, seed=seed, config=config)
    t_dec = time.perf_counter() - t0
    t0 = time.perf_counter()
    alone = [segment(scene.image, p, seed=seed, config=config.amcp).mask for p in prompts]
    t_alone = time.perf_counter() - t0
    vis = {layer.prompt_index: layer.visible_mask for layer in dec.layers}
    joint = [iou(vis[i], o.visible_mask) if i in vis else 0.0 for i, o in enumerate(scene.objects)]
    single = [iou(m, o.visible_mask) for m, o in zip(alone, scene.objects)]
    grabcut = [iou(grabcut_box(scene.image, p.box), o.visible_mask) for p, o in zip(prompts, scene.objects)]
    nested = scene.meta.get("nested", {})
    return {"seed": scene.seed, "n": len(scene.objects), "decompose": joint, "alone": single, "grabcut": grabcut,
            "holder": [nested["holder"]] if nested else [], "resting": nested.get("resting", []),
            "t_decompose": t_dec, "t_alone": t_alone}


def summarise(rows) -> dict:
    dec = np.concatenate([r["decompose"] for r in rows])
    alone = np.concatenate([r["alone"] for r in rows])
    grabcut = np.concatenate([r["grabcut"] for r in rows])
    out = {"scenes": len(rows), "objects": len(dec), "decompose": float(dec.mean()), "alone": float(alone.mean()),
           "grabcut": float(grabcut.mean()),
           "loses": float((dec < alone - 0.05).mean()),
           "s_decompose": float(np.mean([r["t_decompose"] for r in rows])),
           "s_alone": float(np.mean([r["t_alone"] for r in rows]))}
    for part in ("holder", "resting"):
        idx = [(r, i) for r in rows for i in r[part]]
        if idx:
            out[f"{part}_decompose"] = float(np.mean([r["decompose"][i] for r, i in idx]))
            out[f"{part}_alone"] = float(np.mean([r["alone"][i] for r, i in idx]))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenes", type=int, default=12, help="scenes per set")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--seed", type=int, default=0, help="seed of decompose and segment")
    p.add_argument("--sets", nargs="+", choices=SETS, default=list(DEFAULT_SETS))
    p.add_argument("--size", type=int, nargs=2, default=(320, 240), metavar=("W", "H"))
    p.add_argument("--objects", type=int, nargs=2, default=(8, 15), metavar=("MIN", "MAX"))
    p.add_argument("--photo-size", type=int, default=320, help="long side of the GrabCut photos")
    p.add_argument("--smoke", action="store_true", help="1 scene per set, 160 x 120, 8 objects (CI)")
    p.add_argument("--revote", action="store_true", help="AMCP's re-vote after the refinement (AMCPConfig.revote)")
    p.add_argument("--takeback", action="store_true", help="the joint cut's take-back (PeelConfig.takeback)")
    p.add_argument("--joint-size", type=int, default=PeelConfig().joint_size,
                   help="long side of the joint cut's view (PeelConfig.joint_size; 320 = before 2026-12-02)")
    p.add_argument("--json", type=Path, default=None, help="also write the summary and per-scene rows here")
    args = p.parse_args(argv)
    if args.smoke:
        args.scenes, args.size, args.objects, args.photo_size = 1, (160, 120), (8, 8), 200
    photos = {"grabcut": [], "davis": list_frames(DAVIS) if "davis" in args.sets else []}
    if "grabcut" in args.sets:
        for s in list_dataset(GRABCUT):
            img = load_sample(s)[0]
            k = args.photo_size / max(img.shape[:2])
            photos["grabcut"].append(cv2.resize(img, (round(img.shape[1] * k), round(img.shape[0] * k)),
                                                interpolation=cv2.INTER_AREA))
    config = PeelConfig(amcp=AMCPConfig(revote=args.revote), takeback=args.takeback, joint_size=args.joint_size)
    rows = {}
    for name in args.sets:
        count = min(args.scenes, len(photos["davis"]) - args.first_seed) if name == "davis" else args.scenes
        rows[name] = [run_scene(make_set_scene(name, args.first_seed + k, args, photos), args.seed, config)
                      for k in tqdm(range(count), desc=name, unit="scene", file=sys.stderr)]
    summary = {name: summarise(r) for name, r in rows.items()}
    print(f"crowd benchmark: {args.scenes} scenes per set, seeds {args.first_seed}.., box prompts "
          f"(visible part), default backends, joint_size={args.joint_size}; mean visible IoU, same run")
    print("| set | scenes / objects | decompose | each object alone | GrabCut on the box | objects losing > 0.05 "
          "| s decompose / alone |")
    print("|---|---|---|---|---|---|---|")
    for name, s in summary.items():
        print(f"| {name} | {s['scenes']} / {s['objects']} | {s['decompose']:.3f} | {s['alone']:.3f} | "
              f"{s['grabcut']:.3f} | "
              f"{s['loses']:.1%} | {s['s_decompose']:.1f} / {s['s_alone']:.1f} |")
    if "nested" in summary:
        s = summary["nested"]
        print(f"nested: holders {s.get('holder_decompose', float('nan')):.3f} (alone "
              f"{s.get('holder_alone', float('nan')):.3f}), resting objects "
              f"{s.get('resting_decompose', float('nan')):.3f} (alone {s.get('resting_alone', float('nan')):.3f})")
        if "touching" in summary:
            print(f"nested - touching (decompose): {s['decompose'] - summary['touching']['decompose']:+.3f}")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
