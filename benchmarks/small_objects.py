"""Small objects in real clutter: GrabCut objects shrunk to 1-10 % of another GrabCut photo and pasted into it.

    python benchmarks/small_objects.py [--pairs 60] [--seed 0] [--smoke]

Each case takes the object of one GrabCut photo (its mask, ``ignore/`` band left out), scales its cut-out so
that it covers a drawn share of the destination photo's area, and pastes it at a random place into a
different GrabCut photo; the truth is the pasted mask and the prompt is its box. Three methods run on
the same cases in this process: the library default (``segment``), the box itself, and ``cv2.grabCut``
from the box (5 iterations, full resolution). The default segments each object on a crop around its
box at a scale chosen for the object (``AMCPConfig.object_scale``), so a small object is enlarged. The
table gives the mean IoU per object-size band, so the issue "never worse than the prompt" can be read
directly: a band where the default is below the box is a band where the output carries less
information than the user gave.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paintseg_layers import BoxPrompt, segment  # noqa: E402
from paintseg_layers.eval import list_dataset  # noqa: E402
from paintseg_layers.eval.baselines import grabcut_box  # noqa: E402
from paintseg_layers.eval.datasets import load_sample  # noqa: E402
from paintseg_layers.masks import bbox, iou  # noqa: E402

BANDS = ((0.01, 0.02), (0.02, 0.05), (0.05, 0.10))
GRABCUT = ROOT.parent / "shared" / "data" / "grabcut"


def paste_case(src_img, src_mask, dst_img, share: float, rng: np.random.Generator):
    """``(image, truth mask)``: the source object scaled to ``share`` of the destination's area, pasted."""
    x0, y0, x1, y1 = bbox(src_mask)
    cut, cmask = src_img[y0:y1, x0:x1], src_mask[y0:y1, x0:x1].astype(np.float32)
    h, w = dst_img.shape[:2]
    s = np.sqrt(share * h * w / max(1, src_mask.sum()))
    nw, nh = max(4, round(cut.shape[1] * s)), max(4, round(cut.shape[0] * s))
    nw, nh = min(nw, w - 2), min(nh, h - 2)
    cut = cv2.resize(cut, (nw, nh), interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(cmask, (nw, nh), interpolation=cv2.INTER_AREA)[..., None]
    px, py = int(rng.integers(0, w - nw + 1)), int(rng.integers(0, h - nh + 1))
    out = dst_img.copy()
    out[py:py + nh, px:px + nw] = cut * alpha + out[py:py + nh, px:px + nw] * (1 - alpha)
    truth = np.zeros((h, w), bool)
    truth[py:py + nh, px:px + nw] = alpha[..., 0] >= 0.5
    return np.clip(out, 0, 1).astype(np.float32), truth


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=60, help="cases (source, destination, size drawn per band)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="3 cases, for CI")
    args = p.parse_args(argv)
    samples = list_dataset(GRABCUT)
    data = [load_sample(s)[:2] for s in samples]
    rng = np.random.default_rng(args.seed)
    n = 3 if args.smoke else args.pairs
    rows = []
    for k in range(n):
        band = BANDS[k % len(BANDS)]
        i, j = rng.choice(len(data), 2, replace=False)
        (src, src_mask), (dst, _) = data[i], data[j]
        image, truth = paste_case(src, src_mask, dst, float(rng.uniform(*band)), rng)
        if not truth.any():
            continue
        x0, y0, x1, y1 = bbox(truth)
        t0 = time.perf_counter()
        mask = segment(image, BoxPrompt((x0, y0, x1, y1)), seed=args.seed).mask
        t_default = time.perf_counter() - t0
        t0 = time.perf_counter()
        gc = grabcut_box(image, (x0, y0, x1, y1))
        t_gc = time.perf_counter() - t0
        box = np.zeros_like(truth)
        box[y0:y1, x0:x1] = True
        rows.append({"band": band, "default": iou(mask, truth), "box": iou(box, truth), "grabcut": iou(gc, truth),
                     "t_default": t_default, "t_grabcut": t_gc})
    print(f"small objects: {len(rows)} pasted GrabCut objects, seed {args.seed} (mean IoU per object-size band)")
    print("| object share of the image | cases | default | the box | cv2.grabCut | default >= box "
          "| default >= grabCut | s/img default / grabCut |")
    print("|---|---|---|---|---|---|---|---|")
    for band in BANDS:
        sel = [r for r in rows if r["band"] == band]
        if not sel:
            continue
        m = {k: float(np.mean([r[k] for r in sel])) for k in ("default", "box", "grabcut")}
        t_gc = max(1e-9, float(np.median([r["t_grabcut"] for r in sel])))
        t = float(np.median([r["t_default"] for r in sel])) / t_gc
        ok = "yes" if m["default"] >= m["box"] else "NO"
        ok_gc = "yes" if m["default"] >= m["grabcut"] else "NO"
        print(f"| {band[0]:.0%}-{band[1]:.0%} | {len(sel)} | {m['default']:.3f} | {m['box']:.3f} | "
              f"{m['grabcut']:.3f} | {ok} | {ok_gc} | {t:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
