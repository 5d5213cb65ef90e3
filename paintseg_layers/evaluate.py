"""Evaluate segmentation on a folder of image/mask pairs, with baselines computed in the same run.

A dataset folder holds ``images/``, ``masks/`` (255 = object) and optionally ``ignore/``
(255 = leave out of the score), paired by file stem.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from .amcp import AMCPConfig, Segmenter, resize_image, working_scale
from .errors import InputError
from .imageio import read_image, read_mask
from .metrics import iou
from .morphology import bbox
from .prompts import BoxPrompt, box_mask

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

#: Methods of the box protocol, in table order.
BOX_METHODS = ("default", "amcp", "refine_only", "box", "grabcut")

METHOD_NOTES = {
    "default": "AMCP + graph-cut refinement (the library default)",
    "amcp": "AMCP alone, no refinement",
    "refine_only": "graph cut with colour models from the box, no painting",
    "box": "the prompt box itself",
    "grabcut": "cv2.grabCut from the box, 5 iterations, full resolution",
}


@dataclass(frozen=True)
class Sample:
    name: str
    image: Path
    mask: Path
    ignore: Path | None


def list_dataset(root, *, limit: int | None = None) -> list[Sample]:
    """Image/mask pairs under ``root`` sorted by stem."""
    root = Path(root)
    if not (root / "images").is_dir() or not (root / "masks").is_dir():
        raise InputError(f"`DATA_DIR` must contain images/ and masks/ folders, got {root}")
    masks = {p.stem: p for p in (root / "masks").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    ignores = {}
    if (root / "ignore").is_dir():
        ignores = {p.stem: p for p in (root / "ignore").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    samples = [
        Sample(p.stem, p, masks[p.stem], ignores.get(p.stem))
        for p in sorted((root / "images").iterdir())
        if p.suffix.lower() in IMAGE_SUFFIXES and p.stem in masks
    ]
    if not samples:
        raise InputError(f"no image/mask pairs with matching stems under {root}")
    return samples[:limit] if limit else samples


def grabcut_box(image: np.ndarray, box, *, working_size: int | None = None, iterations: int = 5) -> np.ndarray:
    """OpenCV GrabCut initialised with ``box`` (at full size unless ``working_size`` is given)."""
    h, w = image.shape[:2]
    s = working_scale((h, w), working_size) if working_size else 1.0
    wshape = (max(2, round(h * s)), max(2, round(w * s)))
    small = (resize_image(image, wshape) * 255).astype(np.uint8)
    x0, y0, x1, y1 = box
    rect = (int(x0 * s), int(y0 * s), max(1, int((x1 - x0) * s)), max(1, int((y1 - y0) * s)))
    gc = np.zeros(wshape, np.uint8)
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    try:
        cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), gc, rect, bgd, fgd, iterations, cv2.GC_INIT_WITH_RECT)
    except cv2.error:
        return box_mask(box, (h, w))
    m = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    return cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR) > 0


def evaluate_box_image(sample: Sample, *, config: AMCPConfig, painter=None, projector=None, seed: int = 0,
                       methods=BOX_METHODS) -> dict:
    """Run every method on one image; returns ``{"name", "iou": {...}, "seconds": {...}, "box_area_frac"}``."""
    from .refine import refine_mask

    image = read_image(sample.image)
    gt = read_mask(sample.mask, shape=image.shape[:2], name="gt mask")
    ignore = read_mask(sample.ignore, shape=image.shape[:2], name="ignore mask") if sample.ignore else None
    b = bbox(gt)
    if b is None:
        raise InputError(f"ground-truth mask of {sample.name!r} is empty")
    prompt = BoxPrompt(tuple(float(v) for v in b))
    out = {"name": sample.name, "iou": {}, "seconds": {}, "size": [image.shape[1], image.shape[0]],
           "object_frac": float(gt.mean())}
    if "default" in methods or "amcp" in methods:
        t = time.perf_counter()
        seg = Segmenter(image, painter=painter, projector=projector, config=replace(config, paint_result=False))
        res = seg.segment(prompt, seed=seed)
        total = time.perf_counter() - t
        if "default" in methods:
            out["iou"]["default"] = iou(res.mask, gt, ignore)
            out["seconds"]["default"] = total
        if "amcp" in methods:
            out["iou"]["amcp"] = iou(res.amcp_mask, gt, ignore)
            out["seconds"]["amcp"] = total - (res.seconds - sum(h.seconds for h in res.history)) if config.refine else total
    if "refine_only" in methods:
        t = time.perf_counter()
        s = working_scale(image.shape[:2], config.working_size)
        wshape = (max(2, round(image.shape[0] * s)), max(2, round(image.shape[1] * s)))
        work = resize_image(image, wshape)
        p = prompt.scaled(wshape[1] / image.shape[1], wshape[0] / image.shape[0])
        init = p.initial_mask(wshape)
        m = refine_mask(work, init.astype(np.float32), init, valid=p.valid_region(wshape), weight=0.0, seed=seed)
        m = cv2.resize(m.astype(np.uint8), (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR) > 0
        out["iou"]["refine_only"] = iou(m, gt, ignore)
        out["seconds"]["refine_only"] = time.perf_counter() - t
    if "box" in methods:
        out["iou"]["box"] = iou(box_mask(b, gt.shape), gt, ignore)
        out["seconds"]["box"] = 0.0
    if "grabcut" in methods:
        t = time.perf_counter()
        m = grabcut_box(image, b)
        out["iou"]["grabcut"] = iou(m, gt, ignore)
        out["seconds"]["grabcut"] = time.perf_counter() - t
    return out


def summarise(images: list[dict], methods) -> dict:
    """Mean IoU and median seconds per method, and how many images end > 0.05 below the box."""
    table = {}
    for m in methods:
        ious = [r["iou"][m] for r in images if m in r["iou"]]
        secs = [r["seconds"][m] for r in images if m in r["seconds"]]
        if not ious:
            continue
        below = sum(1 for r in images if m in r["iou"] and "box" in r["iou"] and r["iou"][m] < r["iou"]["box"] - 0.05)
        table[m] = {"mean_iou": float(np.mean(ious)), "median_s": float(np.median(secs)), "n": len(ious),
                    "below_box": below}
    return table


def format_table(table: dict, *, title: str = "") -> str:
    """A Markdown table of the summary."""
    lines = [title] if title else []
    lines += ["| method | mean IoU | median s/img | images > 0.05 below box | what |", "|---|---|---|---|---|"]
    for m, r in table.items():
        lines.append(f"| {m} | {r['mean_iou']:.3f} | {r['median_s']:.2f} | {r['below_box']} | {METHOD_NOTES.get(m, '')} |")
    return "\n".join(lines)
