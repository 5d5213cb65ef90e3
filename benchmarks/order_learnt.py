"""Train the learnt ownership cue of the depth order, and measure it on held-out scenes (issue 18).

    python benchmarks/order_learnt.py --out /tmp/order_learnt              # ~40 min on 2 cores
    python benchmarks/order_learnt.py --out /tmp/order_learnt --standard   # + the order harness's seven sets
    python benchmarks/order_learnt.py --out /tmp/order_learnt --net shipped --standard  # the shipped net, no training

The net is :class:`paintseg_layers.peel.ownership.OwnershipNet` (a small convolutional net that reads a touching
pair's masks, never the image, and gives the log-odds that ``a`` is in front of ``b``); ``decompose`` adds its
log-odds, weighted by ``PeelConfig.learnt_cue``, to each pair's boundary evidence. This script made the package's
``peel/ownership_net.npz`` (seed 0, ``--workers 2``, all six training sets: written as ``DIR/ownership_net.npz``;
``--train-sets 3`` makes the nineteenth stop's first net, on half the data) and prints, per set, the wrongly ordered
pairs at each of ``--weights`` (0: the hand-made cues alone), the order read as ``decompose`` reads it.

Training and held-out evaluation never share a cut-out: the GrabCut objects are split by name (sorted; even
positions train, odd positions are held out), and the scenes' seeds are disjoint from every set the order harness
reports. Training (first-pass masks and the true visible masks of the truly overlapping pairs): scenes 30000-31199
and 33000-34199, cut-outs over photos 32000-32299 and 34500-34799 (half A), nested crowds 40000-40119 and
42000-42119 (half A): 3,239 scenes, 17,403 pairs. Held out (half B): scenes 5000-5199, cut-outs over photos
3000-3199, nested crowds 41000-41039. ``--standard`` adds the seven sets of the order harness (all 50 cut-outs, so
half of their cut-outs were seen in training): ``--scenes 50``, ``--first-seed 2000 --scenes 60``, 4000 (50), 5000
(60), 6000 (60), nested 100 (30), cut-outs 3000 (40).

Measured: docs/order_experiments.md (the nineteenth and twentieth stops' entries).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import order_diagnose as od

from paintseg_layers import masks as morph
from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes.crowd import make_crowd_scene
from paintseg_layers.eval.scenes.generate import make_scene
from paintseg_layers.eval.scenes.sources import default_cutouts
from paintseg_layers.image import as_rgb
from paintseg_layers.painters import get_painter
from paintseg_layers.peel import PeelConfig
from paintseg_layers.peel.ownership import SIZE, OwnershipNet, load_net, pair_input, save_weights, shipped_net
from paintseg_layers.projectors import get_projector

WORKING = (160, 120)  # (W, H) the order stage reads at
CFG = PeelConfig(amcp=AMCPConfig(working_size=160, samples=5, steps="IOI"))
#: (name, kind, first seed, scenes, cut-out half); kind: scenes | cutouts | nested
TRAIN = (("train scenes", "scenes", 30000, 1200, "A"), ("train cut-outs", "cutouts", 32000, 300, "A"),
         ("train nested", "nested", 40000, 120, "A"), ("train scenes 2", "scenes", 33000, 1200, "A"),
         ("train cut-outs 2", "cutouts", 34500, 300, "A"), ("train nested 2", "nested", 42000, 120, "A"))
HELD_OUT = (("held-out scenes", "scenes", 5000, 200, "B"), ("held-out cut-outs", "cutouts", 3000, 200, "B"),
            ("held-out nested", "nested", 41000, 40, "B"))
STANDARD = (("set 1", "scenes", 1000, 50, None), ("set 2", "scenes", 2000, 60, None),
            ("4000", "scenes", 4000, 50, None), ("5000", "scenes", 5000, 60, None), ("6000", "scenes", 6000, 60, None),
            ("nested 100", "nested", 100, 30, None), ("cut-outs 3000", "cutouts", 3000, 40, None))


def split_cutouts(src: Path, out: Path) -> dict:
    """Folders ``out/A`` and ``out/B`` of links to the even / odd GrabCut objects of ``src`` (sorted by name)."""
    halves = {}
    for k, half in enumerate("AB"):
        root = out / half
        for sub in ("images", "masks"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for mask in sorted((src / "masks").iterdir())[k::2]:
            for path in [mask, *sorted((src / "images").glob(mask.stem + ".*"))]:
                link = root / path.parent.name / path.name
                if not link.exists():
                    link.symlink_to(path.resolve())
        halves[half] = root
    return halves


def make(kind: str, seed: int, cutouts):
    """The scene of ``seed`` as the order harness draws it (``cutouts``: a folder, or None for all GrabCut)."""
    if kind == "nested":
        return make_crowd_scene(seed, layout="nested", n_objects=(6, 8), cutouts=cutouts)
    kw = {"cutout_fraction": 1.0, "background": "photo"} if kind == "cutouts" else {}
    return make_scene(seed, size=WORKING, n_objects=(2, 4), cutouts=cutouts, **kw)


def _first_pass(job) -> None:
    kind, seed, cutouts, cache = job
    try:
        scene = make(kind, seed, cutouts)
    except InputError:
        return
    od.predicted_masks(scene, (get_painter(None), get_projector(None)), CFG, 0, cache)


def first_passes(spec, cutouts, out: Path, workers: int) -> list:
    """``(scene, first-pass masks, rests)`` of every placeable scene of ``spec`` (cached under ``out/cache``)."""
    name, kind, first, count, _half = spec
    cache = out / "cache" / name.replace(" ", "-")
    jobs = [(kind, s, cutouts, cache) for s in range(first, first + count)]
    if workers <= 1:
        for job in jobs:
            _first_pass(job)
    else:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_first_pass, jobs))
    rows = []
    for s in range(first, first + count):
        with contextlib.suppress(InputError):
            scene = make(kind, s, cutouts)
            rests = {}
            rows.append((scene, od.predicted_masks(scene, None, CFG, 0, cache, rests), rests))
    return rows


class TorchNet(nn.Module):
    """The trainable twin of :class:`paintseg_layers.peel.ownership.OwnershipNet` (its ``BLOCKS``; the same
    ``state_dict`` names): log-odds that channel 0's object is in front of channel 1's, antisymmetric."""

    def __init__(self):
        super().__init__()

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())

        self.body = nn.Sequential(block(3, 16), block(16, 16), nn.MaxPool2d(2), block(16, 32), block(32, 32),
                                  nn.MaxPool2d(2), block(32, 64), block(64, 64), nn.MaxPool2d(2), block(64, 64),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 1))

    def forward(self, x):
        return (self.body(x) - self.body(x[:, [1, 0, 2]])).squeeze(1)

    def weights(self) -> dict:
        """The trained weights as numpy arrays (what :class:`OwnershipNet` and ``save_weights`` take)."""
        return {k: v.detach().cpu().numpy() for k, v in self.state_dict().items() if "num_batches" not in k}


def _dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    x = torch.rot90(x, k % 4, (2, 3))
    return torch.flip(x, (3,)) if k >= 4 else x


def _others(masks: dict, a, b) -> np.ndarray:
    out = np.zeros_like(masks[a])
    for k, m in masks.items():
        if k not in (a, b):
            out |= m
    return out


def training_pairs(rows) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and labels (1: the lower index in front) of the truly overlapping pairs whose masks touch.

    Each scene gives its first-pass masks' pairs and its true visible masks' pairs, at the working resolution.
    """
    xs, ys = [], []
    for scene, predicted, _ in rows:
        truth = {(a, b) for a, b, _ in scene.occlusion_pairs()}
        for masks in (predicted, {i: o.visible_mask for i, o in enumerate(scene.objects)}):
            small = {k: morph.shrink(m, WORKING) if m.shape != WORKING[::-1] else m for k, m in masks.items()}
            for front, back in truth:
                a, b = sorted((front, back))
                if a not in small or b not in small or not small[a].any() or not small[b].any():
                    continue
                if not (morph.dilate(small[a], 2) & small[b]).any():
                    continue
                xs.append(pair_input(small[a], small[b], _others(small, a, b)))
                ys.append(float(a == front))
    return np.array(xs, np.float32).reshape(-1, 3, SIZE, SIZE), np.array(ys, np.float32)


def fit(x: np.ndarray, y: np.ndarray, *, epochs: int = 12, seed: int = 0) -> OwnershipNet:
    """Train the net (:class:`TorchNet`; AdamW, one-cycle, a random flip / quarter turn per batch) and return its
    numpy inference (:class:`OwnershipNet`)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = TorchNet()
    opt = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-3)
    batches = -(-len(x) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=max(1, epochs * batches))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for epoch in range(epochs):
        net.train()
        order, total = torch.from_numpy(rng.permutation(len(x))), 0.0
        for k in range(0, len(x), 64):
            idx = order[k : k + 64]
            loss = nn.functional.binary_cross_entropy_with_logits(net(_dihedral(xt[idx], int(rng.integers(8)))),
                                                                  yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"  epoch {epoch + 1}/{epochs}: loss {total / max(1, len(x)):.4f}", file=sys.stderr, flush=True)
    return OwnershipNet(net.eval().weights())


def wrong_pairs(rows, net: OwnershipNet, weight: float) -> tuple[int, int]:
    """(overlapping pairs, wrongly ordered ones) over ``rows``, the order read as ``decompose`` reads it."""
    pairs = wrong = 0
    cfg = replace(CFG, learnt_cue=weight)
    for scene, masks, rests in rows:
        scores = [{"rests_on": rests[i]} if i in rests else {} for i in range(len(scene.objects))]
        depth, _ = od.scene_order(masks, scene.shape, cfg, [p.box for p in scene.prompts("box")], scores,
                                  as_rgb(scene.image), net=net)
        pairs += len(scene.occlusion_pairs())
        wrong += len(od.wrong_pairs(scene, depth))
    return pairs, wrong


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="folder for the cut-out halves, caches and the net")
    p.add_argument("--scale", type=float, default=1.0, help="fraction of every set's scenes (a quick look: 0.1)")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--weights", default="0,0.5,1", help="comma-separated weights of the net's log-odds")
    p.add_argument("--workers", type=int, default=2, help="processes for the first passes")
    p.add_argument("--standard", action="store_true", help="also the order harness's seven sets")
    p.add_argument("--seed", type=int, default=0, help="seed of the training (initial weights, batches, flips)")
    p.add_argument("--train-sets", type=int, default=len(TRAIN), choices=range(1, len(TRAIN) + 1), metavar="N",
                   help=f"train on the first N of the {len(TRAIN)} training sets (default all)")
    p.add_argument("--net", default=None, metavar="NPZ",
                   help="score this saved net (``ownership_net.npz``; ``shipped``: the package's) instead of training")
    args = p.parse_args(argv)
    src = default_cutouts()
    if src is None:
        p.error("`../shared/data/grabcut` is missing: the cut-outs are split from it")
    torch.set_num_threads(max(1, args.workers))
    halves = split_cutouts(src, args.out / "cutouts")
    scaled = lambda spec: (*spec[:3], max(1, round(spec[3] * args.scale)), spec[4])
    if args.net is None:
        rows = [r for spec in TRAIN[: args.train_sets]
                for r in first_passes(scaled(spec), halves[spec[4]], args.out, args.workers)]
        x, y = training_pairs(rows)
        print(f"training: {len(rows)} scenes, {len(x)} pairs", file=sys.stderr)
        net = fit(x, y, epochs=args.epochs, seed=args.seed)
        save_weights(net.weights, args.out / f"ownership_net{'' if args.seed == 0 else f'_{args.seed}'}.npz")
    else:
        net = shipped_net() if str(args.net) == "shipped" else load_net(args.net)
    weights = [float(w) for w in args.weights.split(",")]
    print(f"wrong pairs at weight {' / '.join(map(str, weights))} (telea first pass, seed 0)")
    print(f"{'set':<22} {'pairs':>6}  wrong")
    sets = [*HELD_OUT, *(STANDARD if args.standard else ())]
    for spec in sets:
        rows = first_passes(scaled(spec), halves[spec[4]] if spec[4] else None, args.out, args.workers)
        counts = [wrong_pairs(rows, net, w) for w in weights]
        print(f"{spec[0]:<22} {counts[0][0]:>6}  " + " / ".join(str(n) for _, n in counts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
