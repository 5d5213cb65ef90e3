"""Stage 1 of peeling: segment every prompt, flag prompts that name no object, merge duplicates, and give
every contested pixel one owner."""

from __future__ import annotations

import contextvars
import ctypes
import heapq
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, as_completed, wait
from contextlib import contextmanager

import cv2
import numpy as np
from scipy.spatial import cKDTree
from tqdm.auto import tqdm

from paintseg_layers import masks as morph
from paintseg_layers.amcp.result import ViewCut
from paintseg_layers.errors import InputError, is_int
from paintseg_layers.image import as_rgb, gradient_magnitude, working_scale
from paintseg_layers.painters.base import run_serially
from paintseg_layers.peel.joint import REACH, bounded_overlaps, joint_labelling, nested_claims, unclaimed_to_owner
from paintseg_layers.peel.lobes import release_lobes
from paintseg_layers.peel.snap import snap_nested
from paintseg_layers.prompts import check_prompt
from paintseg_layers.timing import add_timings, record_timings, record_value, stage

log = logging.getLogger(__name__)
# a mask whose colours its surroundings explain is still an object when its contour is this many times sharper
# than the pixels around and inside it (crowd benchmark: the similar-colour objects wrongly dropped scored 4-11)
MIN_EDGE = 2.0


def object_contrast(image: np.ndarray, mask: np.ndarray, *, ring: int = 4, tolerance: float = 3.0,
                    samples: int = 500, exclude: np.ndarray | None = None, seed: int = 0) -> float:
    """Share of ``mask``'s pixels whose colour is absent from a ring around it (0 = nothing stands out).

    A pixel is *explained* by its surroundings when some ring pixel lies within ``tolerance``
    (CIELAB units) of its colour. A prompt on empty background yields a region that its ring
    explains almost entirely; an object does not. On a textured background a prompt without an
    object still scores above zero, so it gives an ordinary (probably meaningless) layer there;
    ``scores["contrast"]`` lets callers filter. ``exclude`` (e.g. the other prompted objects) is no
    part of the ring when at least a quarter of the ring is left: in a crowd of similar objects a
    neighbour's colour says nothing about the background.
    """

    if not mask.any():
        return 0.0
    # only the pixels within the ring matter: work on the mask's box grown by it, not the whole (maybe 24 Mpx) image
    win = morph.grown_box(mask, ring + 1)
    mask, image = mask[win], image[win]
    exclude = None if exclude is None else exclude[win]
    around = morph.dilate(mask, ring) & ~mask
    if exclude is not None and (around & ~exclude).sum() >= 0.25 * around.sum():
        around &= ~exclude  # (unless the others hold nearly all of the ring: then they are its surroundings)
    if not around.any():
        return 1.0
    x0, y0, x1, y1 = morph.bbox(around | mask)
    around, mask = around[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    lab = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1], dtype=np.float32), cv2.COLOR_RGB2Lab)
    rng = np.random.default_rng(seed)
    ref = lab[around]
    if len(ref) > samples:
        ref = ref[rng.choice(len(ref), samples, replace=False)]
    pix = lab[mask]
    if len(pix) > 4 * samples:
        pix = pix[rng.choice(len(pix), 4 * samples, replace=False)]
    d, _ = cKDTree(ref).query(pix, k=1)
    return float((d > tolerance).mean())


def contour_contrast(image: np.ndarray, mask: np.ndarray, *, ring: int = 4) -> float:
    """Median Lab gradient on ``mask``'s contour over the median around it and inside it (0 for an empty mask).

    An object of the background's colours (a shade of the same hue, a cut-out on a textured photo)
    still has an edge or a shading step where it ends; a region a prompt cut out of empty background
    has none: its contour is no sharper than the pixels around it (ratio near 1 or below).
    """
    if not mask.any():
        return 0.0
    win = morph.grown_box(mask, ring + 1)  # the box of the mask dilated by ring + 1 px
    m, image = mask[win], image[win]
    lab = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2Lab)
    grad = gradient_magnitude(lab)
    contour = morph.dilate(m, 1) & ~morph.erode(m, 1)
    ref = (morph.dilate(m, ring) & ~morph.dilate(m, 1)) | morph.erode(m, 2)
    if not ref.any():
        return 0.0
    return float(np.median(grad[contour]) / (np.median(grad[ref]) + 1.0))  # + 1: flat images divide by ~0


def resolve_contested(image: np.ndarray, masks: list[np.ndarray], *, samples: int = 400,
                      seed: int = 0) -> list[np.ndarray]:
    """Give every pixel that several masks claim to the claimant whose colours fit it best.

    Each object's colour model is a random sample of its uncontested pixels (Lab); a contested pixel
    goes to the object with the nearest sample (median distance to the 3 nearest). Box prompts of
    overlapping objects make the back object's mask swallow the front object's visible part; the
    visible part is what the image shows, so colour decides.
    """

    masks = [m.copy() for m in masks]
    count = np.sum([m.astype(np.uint8) for m in masks], axis=0) if masks else None
    if count is None or count.max() < 2:
        return masks
    lab = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2Lab)
    contested = count >= 2
    rng = np.random.default_rng(seed)
    cost = np.full((len(masks), int(contested.sum())), np.inf)
    for k, m in enumerate(masks):
        own = m & ~contested
        if own.sum() < 5:
            own = m
        if not own.any():
            continue
        pix = lab[own]
        if len(pix) > samples:
            pix = pix[rng.choice(len(pix), samples, replace=False)]
        claim = m[contested]  # only the contested pixels this mask claims need its distances
        d, _ = cKDTree(pix).query(lab[contested][claim], k=min(3, len(pix)))
        d = d if d.ndim == 2 else d[:, None]
        cost[k, claim] = np.median(d, axis=1)
    winner = np.argmin(cost, axis=0)
    ys, xs = np.nonzero(contested)
    for k, m in enumerate(masks):
        m[ys, xs] = m[ys, xs] & (winner == k)
    return masks


def check_inputs(image, prompts, seed):
    rgb = as_rgb(image, name="image")
    if isinstance(prompts, (str, bytes)) or not hasattr(prompts, "__iter__"):
        raise InputError(f"`prompts` must be a list of prompts (one per object), got {type(prompts).__name__}")
    prompts = list(prompts)
    if not prompts:
        raise InputError("`prompts` must name at least one object, got an empty list")
    for i, p in enumerate(prompts):
        try:
            check_prompt(p, rgb.shape[:2])
        except InputError as exc:
            raise InputError(f"prompt {i}: {exc}") from None
    if not is_int(seed, 0):
        raise InputError(f"`seed` must be an integer >= 0, got {seed!r}")
    return rgb, prompts


def worker_map(fn, items, workers: int, *, done=None) -> list:
    """``[fn(x) for x in items]``, ``workers`` at a time on threads of their own (unlike
    :func:`paintseg_layers.painters.base.thread_map`, whose shared pool has two); ``done()`` is called after each item.

    Results come back in the order of ``items``; each task runs in a copy of this context, so stage timers
    (:mod:`paintseg_layers.timing`) still record.
    """
    items = list(items)
    out = [None] * len(items)
    if workers <= 1 or len(items) <= 1:
        for k, x in enumerate(items):
            out[k] = fn(x)
            if done is not None:
                done()
        return out
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        futures = {pool.submit(contextvars.copy_context().run, fn, x): k for k, x in enumerate(items)}
        for fut in as_completed(futures):
            out[futures[fut]] = fut.result()
            if done is not None:
                done()
    return out


def pool_workers(requested: int, n: int) -> int:
    """Worker processes for ``n`` prompts: ``requested`` capped by the CPUs this process may run on and by ``n``."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # (not on Linux)
        cpus = os.cpu_count() or 1
    return max(1, min(int(requested), cpus, n))


_SEGMENTER = None  # the worker process's Segmenter, set once by the pool's initializer
_SHARED: dict = {}  # what else the workers inherit from the fork (the engine's analysis image, painter)
# pool=None forks worker processes only for at least this many pixels x prompts: a pool costs about 65 ms of CPU
# (measured: fork of a 400 MB process, 2 workers, 3 tiny tasks), 8% of a 160 x 120 peel-benchmark scene, where
# threads serve; one prompt of a 640 x 480 photo takes about a second
MIN_POOL_PIXELS = 2**19


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` dies (Linux ``PR_SET_PDEATHSIG``; elsewhere nothing).

    A forked worker keeps the write end of its own task pipe, so a parent killed mid-decomposition (SIGKILL,
    out of memory) would leave it waiting forever; with this the kernel ends it with SIGTERM instead.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # (no prctl: not Linux)
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _init_worker(seg, shared, parent: int) -> None:
    global _SEGMENTER
    die_with_parent(parent)
    run_serially()  # one worker per core already: our thread pool would only oversubscribe
    _SEGMENTER = seg
    _SHARED.clear()
    _SHARED.update(shared)


def worker_shared() -> dict:
    """In a worker of :func:`fork_pool`: the objects its ``shared`` named (inherited from the fork, never pickled)."""
    return _SHARED


def _timed_segment(seg, prompt, seed: int):
    """``(result, seconds)`` of ``seg.segment`` on one prompt, its time recorded as stage ``decompose.segment``."""
    t0 = time.perf_counter()
    with stage("decompose.segment"):
        res = seg.segment(prompt, seed=seed)
    return res, time.perf_counter() - t0


def _segment_in_worker(prompt, seed: int):
    """``(result, seconds, stage seconds)`` of one prompt, in a worker process; the result is a
    :class:`~paintseg_layers.amcp.result.ViewCut` where its full-size boundary re-cut is left for a task of its own
    (:func:`_finish_in_worker`), else the :class:`~paintseg_layers.amcp.SegmentationResult`."""
    return _call_in_worker(_view_or_result, (prompt, seed))


def _view_or_result(prompt, seed: int):
    with stage("decompose.segment"):
        cut = _SEGMENTER.segment_view(prompt, seed=seed)
        return cut if cut.recut else _SEGMENTER.finish(cut)


def recut_cost(cut) -> float:
    """A :class:`~paintseg_layers.amcp.result.ViewCut`'s full-size boundary re-cut cost, up to a factor: the pixels
    of its band (the mask's outline times its long side, at full size; 0 where nothing is re-cut).

    Orders the waiting re-cuts only (:func:`segment_all`): results never depend on it."""
    b = morph.bbox(cut.mask)
    if not cut.recut or b is None:
        return 0.0
    s = (cut.working_box[2] - cut.working_box[0]) / cut.working_shape[1]  # full-size px per working px
    outline = np.count_nonzero(cut.mask & ~morph.erode(cut.mask, 1))
    return float(outline * s * max(b[2] - b[0], b[3] - b[1]) * s)


def _finish_in_worker(cut):
    """``(result, seconds, stage seconds)`` of :meth:`~paintseg_layers.amcp.Segmenter.finish`, in a worker process."""
    return _call_in_worker(_finish, (cut,))


def _finish(cut):
    with stage("decompose.segment"):
        return _SEGMENTER.finish(cut)


def _call_in_worker(fn, args):
    """``(fn(*args), seconds, stage seconds)`` in a worker process."""
    with record_timings() as stages:
        t0 = time.perf_counter()
        out = fn(*args)
    return out, time.perf_counter() - t0, stages


def submit(executor, fn, *args):
    """``fn(*args)`` in a worker of ``executor`` (:func:`fork_pool`); the future gives ``(result, seconds)``.

    ``fn`` must be a module-level function (pickled by name); the stages it records reach the caller's recording
    when the result is collected with :func:`collect`.
    """
    return executor.submit(_call_in_worker, fn, args)


def collect(future):
    """``(result, seconds)`` of a :func:`submit` future; its stage timings are added to the active recording."""
    out, secs, stages = future.result()
    add_timings(stages)
    return out, secs


def process_map(executor):
    """``run(fn, jobs)`` -> ``[fn(*job) for job in jobs]``: the first job in this process, the others in the workers
    of ``executor`` (:func:`fork_pool`); ``fn`` must be a module-level function."""
    def run(fn, jobs):
        jobs = list(jobs)
        futures = [submit(executor, fn, *job) for job in jobs[1:]]
        return [fn(*jobs[0]), *(collect(f)[0] for f in futures)] if jobs else []
    return run


def pool_processes(seg, n: int, workers: int, pool: str | None) -> int:
    """Worker processes :func:`segment_all` forks for ``n`` prompts (1: none; see there for the rules)."""
    if pool not in (None, "process", "thread"):
        raise InputError(f"`pool` must be 'process', 'thread' or None, got {pool!r}")
    big = pool == "process" or (pool is None and seg.image.shape[0] * seg.image.shape[1] * n >= MIN_POOL_PIXELS)
    # (a daemonic process, e.g. a multiprocessing.Pool worker, may not start processes of its own; a fork from a
    # thread other than the main one, e.g. the editor's server, copies locks its other threads may hold: threads
    # there, unless the caller asks for processes)
    forks = ("fork" in mp.get_all_start_methods() and not mp.current_process().daemon
             and (pool == "process" or threading.current_thread() is threading.main_thread()))
    return pool_workers(workers, n) if big and forks else 1


@contextmanager
def fork_pool(seg, n: int, workers: int, pool: str | None, **shared):
    """Forked worker processes for a decomposition of ``n`` prompts, or None where threads serve
    (:func:`pool_processes`).

    The workers inherit ``seg`` (image, views, features) and ``shared`` (:func:`worker_shared`) instead of
    receiving them; they fork at the first submit (:func:`segment_all`, which stops OpenCV's thread pool
    meanwhile). After the first pass the same workers take other independent jobs (:func:`submit`).
    """
    procs = pool_processes(seg, n, workers, pool)
    if procs <= 1:
        yield None
        return
    with ProcessPoolExecutor(procs, mp_context=mp.get_context("fork"), initializer=_init_worker,
                             initargs=(seg, shared, os.getpid())) as ex:
        ex.processes = procs
        yield ex


def segment_all(seg, prompts, seed: int, *, progress: bool = False, workers: int = 1, pool: str | None = None,
                executor=None):
    """``(results, seconds, processes)`` of ``seg.segment`` on every prompt (seed ``seed + i``), ``workers`` at a
    time.

    Each prompt's segmentation depends only on the image, the prompt and its seed, so any number of workers
    gives the same results in the same order; the backends must declare ``thread_safe`` (the engine checks).
    ``pool="process"`` (``None``: where ``fork`` exists, ``workers > 1``, the caller is the main thread and the
    image's pixels times the number of prompts reach ``MIN_POOL_PIXELS``) runs them in forked worker
    processes that inherit ``seg`` (image, views, features) instead of receiving it: the graph cuts and parts
    of the refinement hold the GIL, which threads share and processes do not. There a prompt whose working view
    is coarser than the photo is two tasks (:meth:`~paintseg_layers.amcp.Segmenter.segment_view`, then
    :meth:`~paintseg_layers.amcp.Segmenter.finish` with its full-size boundary re-cut, up to half of a large
    object's time): the re-cuts wait until a worker has nothing else to do and start costliest first
    (:func:`recut_cost`), so both workers end together (the 4-box speed photo's first pass: 1.46 -> 1.16-1.28 s
    CPU on the busier worker). ``pool="thread"`` keeps them in threads; one prompt or one CPU runs serially.
    ``executor``: a :func:`fork_pool` of ``seg`` to run them in (None: one is opened here where the rules above
    ask for one). ``processes`` is the number of worker processes used (0 without a process pool).
    """
    n = len(prompts)
    if executor is None:
        with fork_pool(seg, n, workers, pool) as ex:
            if ex is not None:
                return segment_all(seg, prompts, seed, progress=progress, executor=ex)
    else:
        out, seconds = [None] * n, [0.0] * n
        # OpenCV's thread pool does not survive a fork (a child that touches it waits forever): stop it while
        # the workers are forked (at the first submit) and run (they are one per core anyway), restart it after
        cv_threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            with tqdm(total=n, desc="segment", unit="obj", leave=False, disable=not progress) as bar:
                # a large object's full-size boundary re-cut (up to half of its time) is a task of its own: it starts
                # when a worker has nothing else to do, the costliest of those waiting first, so the workers' last
                # tasks are short and both end together (the costs are unknown before the views are cut)
                futures = {executor.submit(_segment_in_worker, p, seed + i): i for i, p in enumerate(prompts)}
                pending, ready = set(futures), []  # ready: heap of (-estimated cost, prompt, ViewCut)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        i = futures.pop(fut)
                        res, secs, stages = fut.result()
                        add_timings(stages)
                        seconds[i] += secs
                        if isinstance(res, ViewCut):
                            heapq.heappush(ready, (-recut_cost(res), i, res))
                        else:
                            out[i] = res
                            bar.update()
                    while ready and len(pending) < executor.processes:
                        _, i, cut = heapq.heappop(ready)
                        again = executor.submit(_finish_in_worker, cut)
                        futures[again] = i
                        pending.add(again)
        finally:
            cv2.setNumThreads(cv_threads)
        return out, seconds, executor.processes

    with tqdm(total=n, desc="segment", unit="obj", leave=False, disable=not progress) as bar:
        out = worker_map(lambda i: _timed_segment(seg, prompts[i], seed + i), range(n), pool_workers(workers, n),
                         done=bar.update)
    return [r for r, _ in out], [s for _, s in out], 0


def first_pass(rgb, prompts, seg, cfg, seed, progress, workers: int = 1, pool: str | None = None, executor=None,
               own: dict | None = None):
    """Stage 1: segment every prompt, flag empty ones, merge duplicates, resolve contested pixels.

    ``executor``: a :func:`fork_pool` of ``seg`` for the segmentations (None: :func:`segment_all` decides).
    ``own``: a dict that receives each kept prompt's own mask before the joint cut (prompt index -> mask)."""
    h, w = rgb.shape[:2]
    n = len(prompts)
    # 1. segment every prompt on the input
    results, seconds, procs = segment_all(seg, prompts, seed, progress=progress, workers=workers, pool=pool,
                                          executor=executor)
    record_value("processes", procs)  # (not a stage: the benchmark reports it)
    masks = [r.mask for r in results]
    scores = []
    claimed = np.sum([m.astype(np.uint8) for m in masks], axis=0)
    ring = max(3, int(round(0.03 * max(h, w))))

    def measure(i):
        t0 = time.perf_counter()
        with stage("decompose.object_contrast"):
            others = (claimed - masks[i]) > 0  # the other objects are no background
            contrast = object_contrast(rgb, masks[i], ring=ring, exclude=others, seed=seed)
            # an object of its surroundings' colours still ends at an edge or a shading step
            edge = contour_contrast(rgb, masks[i], ring=ring) if contrast < cfg.min_contrast else None
        return contrast, edge, time.perf_counter() - t0

    # OpenCV and the k-d tree queries release the GIL: two objects at a time
    for i, (contrast, edge, secs) in enumerate(worker_map(measure, range(n), workers)):
        m = masks[i]
        empty = not m.any() or (contrast < cfg.min_contrast and edge < MIN_EDGE)
        if empty:
            log.warning("prompt %d names no object (only %.3f of its mask's pixels stand out from their "
                        "surroundings, < min_contrast %.3f, and its contour is no edge): empty layer", i, contrast,
                        cfg.min_contrast)
            masks[i] = np.zeros((h, w), bool)
        scores.append({"contrast": round(contrast, 6), "confidence": results[i].confidence, "empty": bool(empty),
                       "seconds": round(seconds[i] + secs, 4)})

    # duplicates: identical prompts, or masks that are the same object
    owner = list(range(n))  # prompt -> prompt index of the layer it belongs to
    for i in range(n):
        for j in range(i + 1, n):
            if owner[j] != j or owner[i] != i:
                continue
            same = prompts[i].to_dict() == prompts[j].to_dict() and type(prompts[i]) is type(prompts[j])
            if not same and masks[i].any() and masks[j].any():
                # both the prompts and the masks must agree: two different objects can get the same
                # mask when one prompt's box holds the other object
                regions = morph.iou(prompts[i].initial_mask((h, w)), prompts[j].initial_mask((h, w)), empty=0.0)
                same = min(regions, morph.iou(masks[i], masks[j], empty=0.0)) >= cfg.duplicate_iou
            if not same:
                continue
            if cfg.duplicates == "error":
                raise InputError(f"prompts {i} and {j} name the same object (prompt and mask IoU >= "
                                 f"duplicate_iou {cfg.duplicate_iou}); "
                                 "give one prompt per object or use duplicates='merge'")
            owner[j] = i
            masks[i] = masks[i] | masks[j]
            log.info("prompt %d merged into prompt %d (same object)", j, i)
    kept = [i for i in range(n) if owner[i] == i]
    for i in kept:
        scores[i]["merged_prompts"] = [j for j in range(n) if owner[j] == i]

    # box prompts of overlapping objects overlap: one joint cut (or colour fit) gives every pixel one owner
    with stage("decompose.joint"):
        valid = [prompts[i].valid_region((h, w)) for i in kept]
        # an object resting on another (its box inside the other's) owns its own mask; other contested
        # pixels go to the nearest colour, then the cut cleans the boundaries: there the first-pass masks
        # (support), not the nearest colour, say which pixels an object claims
        support = [masks[i] for i in kept]
        if own is not None:
            own.update(zip(kept, support))
        claims = nested_claims(support, valid)
        resolved = resolve_contested(rgb, claims, seed=seed)
        if cfg.amcp.revote:  # tight masks: a piece two share is the one's whose contour bounds it
            resolved = bounded_overlaps(claims, resolved, valid)
        if cfg.joint and len(kept) > 1:
            boxes = [getattr(prompts[i], "box", None) for i in kept]
            # (the colour models' fits in the first pass's worker processes, where there are some)
            rests = []  # (j, k): the cut found kept[j] swallowed by kept[k], resting on it
            resolved = joint_labelling(rgb, resolved, valid, working_size=cfg.joint_view, boxes=boxes,
                                       support=support, seed=seed, rests=rests,
                                       fit_map=None if executor is None else process_map(executor))
            for j, k in rests:  # the order stage's evidence (engine -> order_graph(rests=))
                scores[kept[j]]["rests_on"] = kept[k]
        if len(kept) > 1:  # a lobe of a neighbour's colour that a mask swallowed goes to that neighbour
            resolved = release_lobes(rgb, resolved, seed=seed)
            # an object resting on another of its colours ends at the image's edges between them, not the colours'
            resolved = snap_nested(rgb, resolved, valid, seed=seed)
        if cfg.joint and cfg.takeback and len(kept) > 1:  # what the cut gave inside another's box, far from its own
            reach = int(round(REACH / working_scale((h, w), cfg.amcp.working_size)))
            resolved = unclaimed_to_owner(resolved, support, boxes, reach=reach)
    for i, m in zip(kept, resolved):
        masks[i] = m

    return masks, scores, kept
