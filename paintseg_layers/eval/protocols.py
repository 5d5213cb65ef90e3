"""One image under one :class:`~paintseg_layers.eval.spec.EvalSpec`: its prompt and every method's mask.

Each method is one function in a name-keyed table (:data:`METHODS`, :data:`CLICK_METHODS`); the
methods run in the protocol's table order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from paintseg_layers.amcp import Segmenter, refine_mask
from paintseg_layers.errors import InputError
from paintseg_layers.eval.baselines import click_prompt, grabcut_box, grabcut_clicks, grabcut_mask
from paintseg_layers.eval.clicks import iou_after, simulate_clicks
from paintseg_layers.eval.datasets import IMAGE_SUFFIXES, Sample, load_sample
from paintseg_layers.eval.degrade import DegradeConfig, degrade_mask, generate_scribbles
from paintseg_layers.eval.metrics import SCORE_NAMES, scores
from paintseg_layers.eval.spec import AMCP_METHODS, PROTOCOL_METHODS, EvalSpec, image_seed
from paintseg_layers.image import resize_image, working_scale
from paintseg_layers.imageio import read_label_map
from paintseg_layers.masks import bbox
from paintseg_layers.prompts import BoxPrompt, MaskPrompt, ScribblePrompt, box_mask


def make_prompt(sample: Sample, spec: EvalSpec, gt, ignore=None):
    """The prompt of ``sample`` under ``spec``'s protocol (not for ``clicks``), and its label map.

    Returns ``(prompt, extra)``: ``extra`` is the coarse mask (coarse), the scribble map (scribble),
    or None (box).
    """
    if spec.protocol == "box":
        return BoxPrompt(tuple(float(v) for v in bbox(gt))), None
    if spec.protocol == "coarse":
        coarse = degrade_mask(gt, seed=image_seed(spec.seed, sample.name), config=DegradeConfig.from_dict(spec.degrade))
        return MaskPrompt(coarse), coarse
    if spec.protocol == "scribble":
        labels = None
        if spec.scribbles is not None:
            folder = Path(spec.scribbles)
            found = [p for p in sorted(folder.glob(sample.name + ".*")) if p.suffix.lower() in IMAGE_SUFFIXES]
            if found:
                labels = read_label_map(found[0], shape=gt.shape, name=f"scribble of {sample.name}")
        if labels is None:
            labels = generate_scribbles(gt, ignore=ignore, seed=image_seed(spec.seed, sample.name))
        return ScribblePrompt.from_label_map(labels), labels
    raise InputError(f"`protocol` {spec.protocol!r} has no single prompt; use simulate_clicks")


@dataclass
class _Job:
    """Working state of one image (the AMCP run is shared by ``default`` and ``amcp``)."""

    image: np.ndarray
    gt: np.ndarray
    spec: EvalSpec
    seg: Segmenter | None
    prompt: object = None
    _amcp: tuple | None = field(default=None, repr=False)

    def amcp(self) -> tuple:
        """``(result, total seconds, refinement seconds)`` of the one AMCP run."""
        if self._amcp is None:
            t = time.perf_counter()
            res = self.seg.segment(self.prompt, seed=self.spec.seed)
            total = time.perf_counter() - t
            refine_s = res.seconds - sum(h.seconds for h in res.history) if self.spec.amcp_config().refine else 0.0
            self._amcp = (res, total, refine_s)
        return self._amcp


def _timed(fn):
    def run(job: _Job):
        t = time.perf_counter()
        m = fn(job)
        return m, time.perf_counter() - t
    return run


def _default(job: _Job):
    res, total, _ = job.amcp()
    return res.mask, total


def _amcp(job: _Job):
    res, total, refine_s = job.amcp()
    return res.amcp_mask, total - refine_s


@_timed
def _refine_only(job: _Job):
    image = job.image
    s = working_scale(image.shape[:2], job.spec.amcp_config().working_size)
    wshape = (max(2, round(image.shape[0] * s)), max(2, round(image.shape[1] * s)))
    work = resize_image(image, wshape)
    p = job.prompt.scaled(wshape[1] / image.shape[1], wshape[0] / image.shape[0])
    init = p.initial_mask(wshape)
    m = refine_mask(work, init.astype(np.float32), init, valid=p.valid_region(wshape), weight=0.0, seed=job.spec.seed)
    return cv2.resize(m.astype(np.uint8), (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR) > 0


def _box(job: _Job):
    return box_mask(bbox(job.gt), job.gt.shape), 0.0


@_timed
def _grabcut(job: _Job):
    return grabcut_box(job.image, bbox(job.gt))


def _prompt_mask(job: _Job):
    return job.prompt.initial_mask(job.gt.shape), 0.0


@_timed
def _grabcut_mask(job: _Job):
    init = job.prompt.initial_mask(job.gt.shape)
    if job.spec.protocol == "scribble":
        fg, bg = job.prompt.seeds(job.gt.shape)
        return grabcut_mask(job.image, init, fg=fg, bg=bg)
    return grabcut_mask(job.image, init)


#: Method name -> ``fn(job) -> (mask, seconds)`` for the single-prompt protocols.
METHODS = {
    "default": _default, "amcp": _amcp, "refine_only": _refine_only, "box": _box, "grabcut": _grabcut,
    "coarse": _prompt_mask, "scribble": _prompt_mask, "grabcut_mask": _grabcut_mask,
}

#: Method name -> ``fn(job) -> segment(clicks, previous) -> mask`` for the clicks protocol.
CLICK_METHODS = {
    "default": lambda job: lambda clicks, prev: job.seg.segment(click_prompt(clicks), seed=job.spec.seed).mask,
    "clicks": lambda job: lambda clicks, prev: click_prompt(clicks).initial_mask(job.gt.shape),
    "grabcut_clicks": lambda job: lambda clicks, prev: grabcut_clicks(job.image, clicks, prev),
}


def evaluate_image(sample: Sample, spec: EvalSpec, *, painter=None, projector=None) -> tuple[dict, dict]:
    """Run ``spec``'s methods on one image.

    Returns
    -------
    record : dict
        ``{"name", "iou": {method: float}, "pixel_accuracy", "f_beta", "boundary_f", "seconds",
        "size", "object_frac"}``; the clicks protocol adds ``"clicks": {method: trace dict}`` and
        its ``"iou"`` is the IoU after 5 clicks (``"seconds"``: mean seconds per click).
    masks : dict
        ``{method: (H, W) bool}`` final predictions, plus ``"_prompt"`` (coarse mask or scribble map).
    """
    image, gt, ignore = load_sample(sample)
    rec = {"name": sample.name, "size": [int(image.shape[1]), int(image.shape[0])], "object_frac": float(gt.mean()),
           "seconds": {}}
    for k in SCORE_NAMES:
        rec[k] = {}
    masks: dict = {}
    want = [m for m in PROTOCOL_METHODS[spec.protocol] if m in spec.methods]
    seg = None
    if any(m in AMCP_METHODS for m in want):
        seg = Segmenter(image, painter=painter if painter is not None else spec.painter,
                        projector=projector if projector is not None else spec.projector, config=spec.amcp_config())
    job = _Job(image, gt, spec, seg)

    def put(method, mask, seconds):
        masks[method] = np.asarray(mask, bool)
        for k, v in scores(mask, gt, ignore).items():
            rec[k][method] = v
        rec["seconds"][method] = float(seconds)

    if spec.protocol == "clicks":
        rec["clicks"] = {}
        for method in want:
            tr = simulate_clicks(CLICK_METHODS[method](job), gt, ignore, max_clicks=spec.max_clicks,
                                 min_clicks=spec.min_clicks, stop_iou=spec.stop_iou)
            put(method, tr.mask, float(np.mean(tr.seconds)))
            rec["iou"][method] = iou_after(tr.ious, 5)
            d = tr.to_dict()
            d["noc85"], d["noc90"] = tr.noc(0.85), tr.noc(0.90)
            rec["clicks"][method] = d
        return rec, masks

    job.prompt, extra = make_prompt(sample, spec, gt, ignore)
    if extra is not None:
        masks["_prompt"] = extra
    for method in want:
        put(method, *METHODS[method](job))
    return rec, masks
