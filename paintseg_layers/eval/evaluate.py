"""Evaluate segmentation on a folder of image/mask pairs, with baselines computed in the same run.

A dataset folder holds ``images/``, ``masks/`` (255 = object) and optionally ``ignore/``
(255 = leave out of the score), paired by file stem.

Four prompt protocols (:data:`PROTOCOLS`), each with its own methods (:data:`PROTOCOL_METHODS`):

* ``box``: the ground truth's bounding box;
* ``coarse``: a seeded degradation of the ground truth (:func:`paintseg_layers.eval.degrade.degrade_mask`),
  the coarse mask's own scores reported beside the refined ones;
* ``scribble``: trimap-style scribbles read from a folder (255 object, 0 background, 128 unmarked),
  or generated from the ground truth (:func:`paintseg_layers.eval.degrade.generate_scribbles`);
* ``clicks``: the simulated-click protocol (:mod:`paintseg_layers.eval.clicks`), NoC@85 / NoC@90.

One *job* is one image under one :class:`EvalSpec`; :func:`run_jobs` runs jobs in parallel
processes, caches each job's record (JSON) and masks (NPZ) under a key made of the image name, the
protocol and a hash of the spec and of the package's source, and returns the records in input order,
so results never depend on the number of workers and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import zlib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import cv2
import numpy as np

from paintseg_layers.amcp.config import AMCPConfig
from paintseg_layers.amcp.segmenter import Segmenter
from paintseg_layers.errors import InputError
from paintseg_layers.eval.metrics import SCORE_NAMES, scores
from paintseg_layers.image import resize_image, working_scale
from paintseg_layers.imageio import read_image, read_label_map, read_mask
from paintseg_layers.masks import bbox
from paintseg_layers.prompts import BoxPrompt, MaskPrompt, PointPrompt, ScribblePrompt, box_mask

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

#: Methods of the box protocol, in table order.
BOX_METHODS = ("default", "amcp", "refine_only", "box", "grabcut")

PROTOCOLS = ("box", "coarse", "scribble", "clicks")

#: Methods of each protocol, in table order.
PROTOCOL_METHODS = {
    "box": BOX_METHODS,
    "coarse": ("default", "amcp", "coarse", "grabcut_mask"),
    "scribble": ("default", "amcp", "scribble", "grabcut_mask"),
    "clicks": ("default", "clicks", "grabcut_clicks"),
}

#: Methods whose result depends on the AMCP config and backends (the rest are baselines).
AMCP_METHODS = ("default", "amcp")

#: The prompt itself, per protocol (the "below prompt" column compares against it).
PROMPT_METHOD = {"box": "box", "coarse": "coarse", "scribble": "scribble", "clicks": "clicks"}

#: Settings ``--sweep`` accepts besides the :class:`AMCPConfig` fields.
SWEEP_BACKENDS = ("painter", "projector")

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


# -- baselines -------------------------------------------------------------------------------------
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
    cv2.setRNGSeed(0)  # GrabCut's k-means draws from OpenCV's global RNG: results must not depend on call order
    try:
        cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), gc, rect, bgd, fgd, iterations, cv2.GC_INIT_WITH_RECT)
    except cv2.error:
        return box_mask(box, (h, w))
    m = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    return cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR) > 0


def grabcut_mask(image: np.ndarray, init, *, fg=None, bg=None, iterations: int = 5) -> np.ndarray:
    """OpenCV GrabCut in mask mode at full size: ``init`` probable object, ``fg``/``bg`` hard seeds.

    Returns ``init`` (with the seeds applied) when GrabCut cannot run (e.g. one class is empty).
    """
    init = np.asarray(init, bool)
    gc = np.where(init, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    if fg is not None:
        gc[np.asarray(fg, bool)] = cv2.GC_FGD
    if bg is not None:
        gc[np.asarray(bg, bool)] = cv2.GC_BGD
    fallback = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    is_fg = np.isin(gc, (cv2.GC_FGD, cv2.GC_PR_FGD))
    if is_fg.all() or not is_fg.any():
        return fallback
    bgr = cv2.cvtColor((np.clip(image, 0, 1) * 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)  # see grabcut_box
    try:
        cv2.grabCut(bgr, gc, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return fallback
    return (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)


def _discs(shape, points, radius: int) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    for x, y in points:
        cv2.circle(out, (int(round(x)), int(round(y))), int(radius), 1, -1)
    return out > 0


def grabcut_clicks(image: np.ndarray, clicks, previous=None, *, radius: int = 5, iterations: int = 5) -> np.ndarray:
    """Click baseline: GrabCut (mask mode) from the previous result, clicks as ``radius`` px hard seeds.

    Without a previous result the start is the click prompt's own start mask.
    """
    pos = [(c.x, c.y) for c in clicks if c.positive]
    neg = [(c.x, c.y) for c in clicks if not c.positive]
    shape = image.shape[:2]
    init = previous if previous is not None else PointPrompt(tuple(pos), tuple(neg)).initial_mask(shape)
    fg, bg = _discs(shape, pos, radius), _discs(shape, neg, radius)
    return grabcut_mask(image, init, fg=fg & ~bg, bg=bg, iterations=iterations)


def _click_prompt(clicks) -> PointPrompt:
    return PointPrompt(tuple((float(c.x), float(c.y)) for c in clicks if c.positive),
                       tuple((float(c.x), float(c.y)) for c in clicks if not c.positive))


# -- specs and jobs --------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvalSpec:
    """Everything that decides one image's result (its hash is part of the cache key).

    Attributes
    ----------
    protocol : str
        One of :data:`PROTOCOLS`.
    methods : tuple of str
        Methods to run (a subset of the protocol's).
    config : dict
        :class:`AMCPConfig` fields.
    painter, projector : str or None
        Registered backend names (None = the library default).
    painter_options, projector_options : dict
        Extra keyword arguments (``model``, ``device``).
    seed : int
    degrade : dict
        :class:`paintseg_layers.eval.degrade.DegradeConfig` fields (coarse protocol).
    scribbles : str or None
        Folder of scribble maps (scribble protocol); None generates them.
    max_clicks, min_clicks : int
    stop_iou : float or None
        Early stop of the click protocol (see :mod:`paintseg_layers.eval.clicks`).
    label : str
        Row label in sweep tables (not part of the hash).
    """

    protocol: str = "box"
    methods: tuple = BOX_METHODS
    config: dict = field(default_factory=lambda: AMCPConfig().to_dict())
    painter: str | None = None
    projector: str | None = None
    painter_options: dict = field(default_factory=dict)
    projector_options: dict = field(default_factory=dict)
    seed: int = 0
    degrade: dict = field(default_factory=dict)
    scribbles: str | None = None
    max_clicks: int = 20
    min_clicks: int = 5
    stop_iou: float | None = 0.90
    label: str = ""

    def __post_init__(self):
        if self.protocol not in PROTOCOLS:
            raise InputError(f"`prompt` must be one of {list(PROTOCOLS)}, got {self.protocol!r}")
        bad = [m for m in self.methods if m not in PROTOCOL_METHODS[self.protocol]]
        if bad:
            raise InputError(f"`methods` of protocol {self.protocol!r} must be among "
                             f"{list(PROTOCOL_METHODS[self.protocol])}, got {bad}")
        if not isinstance(self.max_clicks, (int, np.integer)) or not 1 <= self.max_clicks <= 1000:
            raise InputError(f"`max_clicks` must be an integer in [1, 1000], got {self.max_clicks!r}")

    def amcp_config(self) -> AMCPConfig:
        return AMCPConfig.from_dict({**self.config, "paint_result": False})

    def key_dict(self) -> dict:
        d = asdict(self)
        d.pop("label")
        d["methods"] = list(self.methods)
        d["code"] = code_fingerprint()
        return d

    def digest(self) -> str:
        """Hash of everything that decides the result (spec and package source)."""
        return hashlib.sha1(json.dumps(self.key_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16]


_CODE_FP: str | None = None


def code_fingerprint() -> str:
    """Hash of the package's Python source: a cached result is reused only by the same code."""
    global _CODE_FP
    if _CODE_FP is None:
        h = hashlib.sha1()
        root = Path(__file__).resolve().parent
        for p in sorted(root.rglob("*.py")):
            if "commands" in p.parts or p.name in ("report.py", "cli.py"):
                continue  # presentation only: does not change the numbers
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
        _CODE_FP = h.hexdigest()[:16]
    return _CODE_FP


def _image_seed(seed: int, name: str) -> int:
    return (int(seed) * 1_000_003 + zlib.crc32(name.encode())) % (2**31)


def _load(sample: Sample):
    image = read_image(sample.image)
    gt = read_mask(sample.mask, shape=image.shape[:2], name="gt mask")
    ignore = read_mask(sample.ignore, shape=image.shape[:2], name="ignore mask") if sample.ignore else None
    if not gt.any():
        raise InputError(f"ground-truth mask of {sample.name!r} is empty")
    return image, gt, ignore


def make_prompt(sample: Sample, spec: EvalSpec, gt, ignore=None):
    """The prompt of ``sample`` under ``spec``'s protocol (not for ``clicks``), and its label map.

    Returns ``(prompt, extra)``: ``extra`` is the coarse mask (coarse), the scribble map (scribble),
    or None (box).
    """
    from paintseg_layers.eval.degrade import DegradeConfig, degrade_mask, generate_scribbles

    if spec.protocol == "box":
        return BoxPrompt(tuple(float(v) for v in bbox(gt))), None
    if spec.protocol == "coarse":
        coarse = degrade_mask(gt, seed=_image_seed(spec.seed, sample.name), config=DegradeConfig(**spec.degrade))
        return MaskPrompt(coarse), coarse
    if spec.protocol == "scribble":
        labels = None
        if spec.scribbles is not None:
            folder = Path(spec.scribbles)
            found = [p for p in sorted(folder.glob(sample.name + ".*")) if p.suffix.lower() in IMAGE_SUFFIXES]
            if found:
                labels = read_label_map(found[0], shape=gt.shape, name=f"scribble of {sample.name}")
        if labels is None:
            labels = generate_scribbles(gt, ignore=ignore, seed=_image_seed(spec.seed, sample.name))
        return ScribblePrompt.from_label_map(labels), labels
    raise InputError(f"`protocol` {spec.protocol!r} has no single prompt; use simulate_clicks")


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
    from paintseg_layers.amcp.refine import refine_mask
    from paintseg_layers.eval.clicks import iou_after, simulate_clicks

    image, gt, ignore = _load(sample)
    cfg = spec.amcp_config()
    rec = {"name": sample.name, "size": [int(image.shape[1]), int(image.shape[0])], "object_frac": float(gt.mean()),
           "seconds": {}}
    for k in SCORE_NAMES:
        rec[k] = {}
    masks: dict = {}
    want = [m for m in PROTOCOL_METHODS[spec.protocol] if m in spec.methods]
    need_amcp = any(m in AMCP_METHODS for m in want)
    seg = None
    if need_amcp:
        seg = Segmenter(image, painter=painter if painter is not None else spec.painter,
                        projector=projector if projector is not None else spec.projector, config=cfg)

    def put(method, mask, seconds):
        masks[method] = np.asarray(mask, bool)
        for k, v in scores(mask, gt, ignore).items():
            rec[k][method] = v
        rec["seconds"][method] = float(seconds)

    if spec.protocol == "clicks":
        rec["clicks"] = {}
        for method in want:
            if method == "default":
                def fn(clicks, prev):
                    return seg.segment(_click_prompt(clicks), seed=spec.seed).mask
            elif method == "clicks":
                def fn(clicks, prev):
                    return _click_prompt(clicks).initial_mask(gt.shape)
            else:
                def fn(clicks, prev):
                    return grabcut_clicks(image, clicks, prev)
            tr = simulate_clicks(fn, gt, ignore, max_clicks=spec.max_clicks, min_clicks=spec.min_clicks,
                                 stop_iou=spec.stop_iou)
            put(method, tr.mask, float(np.mean(tr.seconds)))
            rec["iou"][method] = iou_after(tr.ious, 5)
            d = tr.to_dict()
            d["noc85"], d["noc90"] = tr.noc(0.85), tr.noc(0.90)
            rec["clicks"][method] = d
        return rec, masks

    prompt, extra = make_prompt(sample, spec, gt, ignore)
    if extra is not None:
        masks["_prompt"] = extra
    if need_amcp:
        t = time.perf_counter()
        res = seg.segment(prompt, seed=spec.seed)
        total = time.perf_counter() - t
        refine_s = res.seconds - sum(h.seconds for h in res.history) if cfg.refine else 0.0
        if "default" in want:
            put("default", res.mask, total)
        if "amcp" in want:
            put("amcp", res.amcp_mask, total - refine_s)
    if "refine_only" in want:
        t = time.perf_counter()
        s = working_scale(image.shape[:2], cfg.working_size)
        wshape = (max(2, round(image.shape[0] * s)), max(2, round(image.shape[1] * s)))
        work = resize_image(image, wshape)
        p = prompt.scaled(wshape[1] / image.shape[1], wshape[0] / image.shape[0])
        init = p.initial_mask(wshape)
        m = refine_mask(work, init.astype(np.float32), init, valid=p.valid_region(wshape), weight=0.0, seed=spec.seed)
        m = cv2.resize(m.astype(np.uint8), (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR) > 0
        put("refine_only", m, time.perf_counter() - t)
    if "box" in want:
        put("box", box_mask(bbox(gt), gt.shape), 0.0)
    if "grabcut" in want:
        t = time.perf_counter()
        m = grabcut_box(image, bbox(gt))
        put("grabcut", m, time.perf_counter() - t)
    if spec.protocol in ("coarse", "scribble") and spec.protocol in want:
        put(spec.protocol, prompt.initial_mask(gt.shape), 0.0)
    if "grabcut_mask" in want:
        t = time.perf_counter()
        if spec.protocol == "scribble":
            fg, bg = prompt.seeds(gt.shape)
            m = grabcut_mask(image, prompt.initial_mask(gt.shape), fg=fg, bg=bg)
        else:
            m = grabcut_mask(image, prompt.initial_mask(gt.shape))
        put("grabcut_mask", m, time.perf_counter() - t)
    return rec, masks


def evaluate_box_image(sample: Sample, *, config: AMCPConfig, painter=None, projector=None, seed: int = 0,
                       methods=BOX_METHODS) -> dict:
    """Run every box-protocol method on one image; returns ``{"name", "iou": {...}, "seconds": {...}, ...}``."""
    spec = EvalSpec("box", tuple(methods), config.to_dict(), seed=seed)
    return evaluate_image(sample, spec, painter=painter, projector=projector)[0]


# -- cache and parallel runs -----------------------------------------------------------------------
def cache_paths(cache_dir, sample: Sample, spec: EvalSpec) -> tuple[Path, Path]:
    """``(record.json, masks.npz)`` of one job: ``<cache>/<protocol>/<name>.<digest>.*``."""
    folder, stem = Path(cache_dir) / spec.protocol, f"{sample.name}.{spec.digest()}"
    return folder / (stem + ".json"), folder / (stem + ".npz")


def save_masks(path: Path, masks: dict) -> None:
    arrays = {}
    for k, m in masks.items():
        m = np.asarray(m)
        arrays[k] = np.packbits(m.astype(bool)) if m.dtype == bool else m
        arrays[k + "__shape"] = np.asarray(m.shape)
        arrays[k + "__bool"] = np.asarray(m.dtype == bool)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def load_masks(path) -> dict:
    """The masks of one cached job (see :func:`save_masks`)."""
    out = {}
    with np.load(path) as z:
        for k in z.files:
            if k.endswith("__shape") or k.endswith("__bool"):
                continue
            shape = tuple(z[k + "__shape"])
            out[k] = np.unpackbits(z[k])[: int(np.prod(shape))].reshape(shape).astype(bool) if bool(z[k + "__bool"]) \
                else z[k]
    return out


def _run_one(sample: Sample, spec: EvalSpec, paths) -> dict:
    rec, masks = evaluate_image(sample, spec, painter=_backend("painter", spec), projector=_backend("projector", spec))
    if paths is not None:  # computed by the parent: a worker's own code fingerprint could differ
        jpath, npath = paths
        jpath.parent.mkdir(parents=True, exist_ok=True)
        save_masks(npath, masks)
        tmp = jpath.with_name(f".{jpath.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(rec))
        os.replace(tmp, jpath)  # the record's presence marks the job done
    return rec


_BACKENDS: dict = {}


def _backend(kind: str, spec: EvalSpec):
    """One backend instance per process and settings (neural backends load once)."""
    from paintseg_layers.painters import get_painter
    from paintseg_layers.projectors import get_projector

    name, opts = (spec.painter, spec.painter_options) if kind == "painter" else (spec.projector, spec.projector_options)
    key = (kind, name, json.dumps(opts, sort_keys=True))
    if key not in _BACKENDS:
        _BACKENDS[key] = (get_painter if kind == "painter" else get_projector)(name, **opts)
    return _BACKENDS[key]


def _init_worker() -> None:
    """One thread per worker process: the workers already share the cores between them."""
    import sys

    from threadpoolctl import threadpool_limits

    cv2.setNumThreads(1)
    threadpool_limits(1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def run_jobs(jobs, *, workers: int = 1, cache_dir=None, progress: bool = True) -> list[dict]:
    """Run ``(sample, spec)`` jobs; cached ones are read back, the rest computed.

    Parameters
    ----------
    jobs : list of (Sample, EvalSpec)
    workers : int
        Processes (1 = in this process). Results do not depend on it.
    cache_dir : path, optional
        Where records and masks are kept (None = no cache).
    progress : bool
        Show a tqdm bar over the jobs.

    Returns
    -------
    list of dict
        One record per job, in the order of ``jobs``.
    """
    from tqdm.auto import tqdm

    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise InputError(f"`workers` must be an integer >= 1, got {workers!r}")
    results: list = [None] * len(jobs)
    todo = []
    paths = [None] * len(jobs)
    for i, (sample, spec) in enumerate(jobs):
        if cache_dir is not None:
            jpath, npath = paths[i] = cache_paths(cache_dir, sample, spec)
            if jpath.is_file() and npath.is_file():
                try:
                    results[i] = json.loads(jpath.read_text())
                    continue
                except (OSError, ValueError):
                    log.warning("unreadable cache record %s: recomputing", jpath)
        todo.append(i)
    log.info("%d of %d jobs cached, %d to run on %d worker(s)", len(jobs) - len(todo), len(jobs), len(todo), workers)
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc="eval", unit="img", disable=not progress)
    try:
        if workers == 1 or len(todo) <= 1:
            for i in todo:
                results[i] = _run_one(*jobs[i], paths[i])
                bar.update(1)
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=mp.get_context("spawn"),
                                       initializer=_init_worker)
            try:
                futures = {pool.submit(_run_one, *jobs[i], paths[i]): i for i in todo}
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    bar.update(1)
            except BaseException:
                # interrupted: stop the workers now (their finished jobs are in the cache; a job is
                # written atomically, so a stopped one leaves nothing half-written)
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    proc.terminate()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown()
    finally:
        bar.close()
    return results


# -- sweeps ----------------------------------------------------------------------------------------
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


def sweep_specs(base: EvalSpec, name: str, values) -> tuple[EvalSpec, list[EvalSpec]]:
    """The baselines spec (run once) and one AMCP-only spec per sweep value."""
    baselines = tuple(m for m in base.methods if m not in AMCP_METHODS)
    amcp = tuple(m for m in base.methods if m in AMCP_METHODS) or ("default",)
    specs = []
    for v in values:
        if name in SWEEP_BACKENDS:
            s = replace(base, methods=amcp, label=f"{name}={v}", **{name: v})
        else:
            s = replace(base, methods=amcp, config={**base.config, name: v}, label=f"{name}={v}")
        specs.append(s)
    return replace(base, methods=baselines, label="baselines"), specs


# -- summaries -------------------------------------------------------------------------------------
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
            from paintseg_layers.eval.clicks import iou_after

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
    from paintseg_layers.eval.clicks import iou_after

    traces = [r["clicks"][method] for r in images if method in r.get("clicks", {})]
    return [float(np.mean([iou_after(c["ious"], k) for c in traces])) for k in range(1, max_clicks + 1)] if traces else []


def format_table(table: dict, *, title: str = "", prompt_method: str = "box") -> str:
    """A Markdown table of the summary (the clicks protocol gets NoC columns)."""
    lines = [title] if title else []
    clicky = any("noc90" in r for r in table.values())
    if clicky:
        lines += ["| method | NoC@85 | NoC@90 | IoU@1 | IoU@3 | IoU@5 | clicks run | median s/click | what |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for m, r in table.items():
            lines.append(f"| {m} | {r['noc85']:.2f} | {r['noc90']:.2f} | {r['iou@1']:.3f} | {r['iou@3']:.3f} | "
                         f"{r['iou@5']:.3f} | {r['clicks_run']:.1f} | {r['median_s']:.2f} | {METHOD_NOTES.get(m, '')} |")
        return "\n".join(lines)
    lines += [f"| method | mean IoU | pixel acc | F-beta | boundary F | median s/img | images > 0.05 below {prompt_method} "
              "| what |", "|---|---|---|---|---|---|---|---|"]
    for m, r in table.items():
        below = r.get(f"below_{prompt_method}", r.get("below_box", 0))
        lines.append(f"| {m} | {r['mean_iou']:.3f} | {r.get('mean_pixel_accuracy', float('nan')):.3f} | "
                     f"{r.get('mean_f_beta', float('nan')):.3f} | {r.get('mean_boundary_f', float('nan')):.3f} | "
                     f"{r['median_s']:.2f} | {below} | {METHOD_NOTES.get(m, '')} |")
    return "\n".join(lines)


def format_sweep_table(rows: dict, *, name: str, title: str = "") -> str:
    """One row per sweep value: ``rows`` maps a value label to its :func:`summarise` table."""
    lines = [title] if title else []
    clicky = any("noc90" in r for t in rows.values() for r in t.values())
    if clicky:
        lines += [f"| {name} | NoC@85 | NoC@90 | IoU@1 | IoU@3 | IoU@5 | median s/click |", "|---|---|---|---|---|---|---|"]
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
