"""A learnt mask-shape ownership cue for the depth order, trained on generated scenes (issue 18 experiment).

    python benchmarks/order_learnt.py --out /tmp/order_learnt              # ~25 min on 2 cores
    python benchmarks/order_learnt.py --out /tmp/order_learnt --standard   # + the order harness's seven sets

``decompose`` does not use it. A small convolutional net reads each touching pair's masks at the AMCP working
resolution (the box round both masks, fitted into 48 x 48: channels ``a``, ``b`` and every other object) and gives
the log-odds that ``a`` is in front of ``b``; it is antisymmetric by construction (``f(a, b) - f(b, a)``) and is
averaged over the eight flips and quarter turns. It reads only masks, never the image, so it cannot learn the
generator's rendering (a cut-out's halo of its source photo). Its log-odds times ``--weights`` are added to each
pair's boundary evidence (:func:`paintseg_layers.peel.order_evidence`, swapped in while the order is read), and the
graph is resolved as ``decompose`` does.

Training and held-out evaluation never share a cut-out: the GrabCut objects are split by name (sorted; even
positions train, odd positions are held out), and the scenes' seeds are disjoint from every set the order harness
reports. Training (first-pass masks and the true visible masks of the truly overlapping pairs): scenes 30000-31199
and cut-outs over photos 32000-32299 (half A), nested crowds 40000-40119 (half A). Held out (half B): scenes
5000-5199, cut-outs over photos 3000-3199, nested crowds 41000-41039. ``--standard`` adds the seven sets of the order
harness (all 50 cut-outs, so half of their cut-outs were seen in training): ``--scenes 50``, ``--first-seed 2000
--scenes 60``, 4000 (50), 5000 (60), 6000 (60), nested 100 (30), cut-outs 3000 (40).

Measured: docs/order_experiments.md (the nineteenth stop's entry).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import order_diagnose as od

import paintseg_layers.peel.order as order_stage
from paintseg_layers import masks as morph
from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes.crowd import make_crowd_scene
from paintseg_layers.eval.scenes.generate import make_scene
from paintseg_layers.eval.scenes.sources import default_cutouts
from paintseg_layers.image import as_rgb
from paintseg_layers.painters import get_painter
from paintseg_layers.peel import PeelConfig
from paintseg_layers.projectors import get_projector

SIZE = 48  # the net's input side
WORKING = (160, 120)  # (W, H) the order stage reads at
CFG = PeelConfig(amcp=AMCPConfig(working_size=160, samples=5, steps="IOI"))
#: (name, kind, first seed, scenes, cut-out half); kind: scenes | cutouts | nested
TRAIN = (("train scenes", "scenes", 30000, 1200, "A"), ("train cut-outs", "cutouts", 32000, 300, "A"),
         ("train nested", "nested", 40000, 120, "A"))
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


def pair_input(mask_a: np.ndarray, mask_b: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(3, SIZE, SIZE) float32: the box round ``a | b`` (+4 px) of the three masks, fitted in, aspect kept."""
    ys, xs = np.nonzero(mask_a | mask_b)
    y0, x0 = max(0, ys.min() - 4), max(0, xs.min() - 4)
    stack = np.stack([mask_a, mask_b, others], -1)[y0 : ys.max() + 5, x0 : xs.max() + 5].astype(np.float32)
    h, w = stack.shape[:2]
    s = SIZE / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    fitted = cv2.resize(stack, (nw, nh), interpolation=cv2.INTER_AREA).reshape(nh, nw, 3)
    out = np.zeros((SIZE, SIZE, 3), np.float32)
    out[(SIZE - nh) // 2 : (SIZE - nh) // 2 + nh, (SIZE - nw) // 2 : (SIZE - nw) // 2 + nw] = fitted
    return out.transpose(2, 0, 1)


class OwnershipNet(nn.Module):
    """Log-odds that channel 0's object is in front of channel 1's; antisymmetric in the two."""

    def __init__(self):
        super().__init__()

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())

        self.body = nn.Sequential(block(3, 16), block(16, 16), nn.MaxPool2d(2), block(16, 32), block(32, 32),
                                  nn.MaxPool2d(2), block(32, 64), block(64, 64), nn.MaxPool2d(2), block(64, 64),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 1))

    def forward(self, x):
        return (self.body(x) - self.body(x[:, [1, 0, 2]])).squeeze(1)


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


def _dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    x = torch.rot90(x, k % 4, (2, 3))
    return torch.flip(x, (3,)) if k >= 4 else x


def fit(x: np.ndarray, y: np.ndarray, *, epochs: int = 12, seed: int = 0) -> OwnershipNet:
    """Train an :class:`OwnershipNet` (AdamW, one-cycle, a random flip / quarter turn per batch)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = OwnershipNet()
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
    return net.eval()


@torch.no_grad()
def log_odds(net: OwnershipNet, x: np.ndarray) -> np.ndarray:
    """The net's log-odds for inputs ``x`` (N, 3, SIZE, SIZE), averaged over the eight flips and quarter turns."""
    xt = torch.from_numpy(np.ascontiguousarray(x, np.float32))
    return torch.stack([net(_dihedral(xt, k)) for k in range(8)]).mean(0).numpy()


@contextlib.contextmanager
def learnt_evidence(net: OwnershipNet, weight: float):
    """Swap the order stage's boundary evidence for itself plus ``weight`` times the net's log-odds."""
    plain = order_stage.order_evidence

    def evidence(mask_a, mask_b, *, radius, others=None, boxes=None):
        e_ab, e_ba, contested = plain(mask_a, mask_b, radius=radius, others=others, boxes=boxes)
        if weight and mask_a.any() and mask_b.any():
            rest = others if others is not None else np.zeros_like(mask_a)
            score = e_ab - e_ba + weight * float(log_odds(net, pair_input(mask_a, mask_b, rest)[None])[0])
            e_ab, e_ba = max(0.0, score), max(0.0, -score)
        return e_ab, e_ba, contested

    order_stage.order_evidence = evidence
    try:
        yield
    finally:
        order_stage.order_evidence = plain


def wrong_pairs(rows, net: OwnershipNet, weight: float) -> tuple[int, int]:
    """(overlapping pairs, wrongly ordered ones) over ``rows``, the order read as ``decompose`` reads it."""
    pairs = wrong = 0
    with learnt_evidence(net, weight):
        for scene, masks, rests in rows:
            scores = [{"rests_on": rests[i]} if i in rests else {} for i in range(len(scene.objects))]
            depth, _ = od.scene_order(masks, scene.shape, CFG, [p.box for p in scene.prompts("box")], scores,
                                      as_rgb(scene.image))
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
    p.add_argument("--net", type=Path, default=None,
                   help="score this saved net (a state dict) instead of training one")
    args = p.parse_args(argv)
    src = default_cutouts()
    if src is None:
        p.error("`../shared/data/grabcut` is missing: the cut-outs are split from it")
    torch.set_num_threads(max(1, args.workers))
    halves = split_cutouts(src, args.out / "cutouts")
    scaled = lambda spec: (*spec[:3], max(1, round(spec[3] * args.scale)), spec[4])
    if args.net is None:
        rows = [r for spec in TRAIN for r in first_passes(scaled(spec), halves[spec[4]], args.out, args.workers)]
        x, y = training_pairs(rows)
        print(f"training: {len(rows)} scenes, {len(x)} pairs", file=sys.stderr)
        net = fit(x, y, epochs=args.epochs, seed=args.seed)
        torch.save(net.state_dict(), args.out / f"ownership_net{'' if args.seed == 0 else f'_{args.seed}'}.pt")
    else:
        net = OwnershipNet()
        net.load_state_dict(torch.load(args.net, weights_only=True))
        net.eval()
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
