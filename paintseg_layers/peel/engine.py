"""Layer peeling: split an image into amodal object layers, a background plate and an occlusion graph.

:func:`decompose` runs in four stages (PaintSeg, supplementary C, "amodal segmentation layer by layer"):

1. **Segment** every prompted object on the input with AMCP (one :class:`~paintseg_layers.amcp.segmenter.Segmenter`,
   so the image's features are computed once). A prompt whose mask hardly differs from its
   surroundings (fewer than ``min_contrast`` of its pixels have a colour absent from a ring around
   it, :func:`object_contrast`) names no object: it yields an
   *empty* layer (empty masks, ``scores["empty"] = True``) instead of an error. Two prompts whose
   initial regions *and* masks both overlap by IoU >= ``duplicate_iou`` (or that are identical) name
   the same object: an
   :class:`~paintseg_layers.errors.InputError` by default, or, with ``duplicates="merge"``, one layer
   (the first prompt's index; ``scores["merged_prompts"]`` lists all of them).
   The masks overlap (a box around an occluded object's visible part also holds the occluder) and
   carry specks: one multi-label graph cut over colour models, the first-pass masks and the
   prompts' valid regions partitions the image among background and objects
   (:func:`paintseg_layers.peel.joint.joint_labelling`; ``joint=False``: contested pixels go to the
   claimant whose colours fit them best, :func:`resolve_contested`).
2. **Order** every pair of objects whose masks touch or overlap, by two boundary-ownership cues
   (:func:`order_evidence`): the **T-junction** cue -- where the contact between two regions starts
   and ends, the front object's contour runs on smoothly while the occluded object's contour turns
   to follow the occluder's edge (:func:`junction_turn`, mean turning angle over a few scales) -- and
   the **convexity** cue -- the boundary belongs to the front object, so the object behind is the one
   whose shape is cut into: with ``E_a`` the pixels only ``a`` claims, ``|hull(E_b) & E_a|`` (local
   hulls, within ``contact_radius`` of the contact) measures how much of ``a`` fills a bite taken out
   of ``b``. The sign of ``(turn_b - turn_a) + 0.5 * normalised hull difference`` decides who is in
   front; its size gives the edge's confidence (0.5 rad = 1). **Ambiguous case**: when the margin is
   below ``min_confidence`` (e.g. two convex objects that merely touch along a straight cut) no edge is
   added: the pair gets no occlusion, and the depth order between them falls back to the order of
   the prompts. Contradictions (cycles) are resolved for the whole graph at once by
   :func:`paintseg_layers.graph.agreeing_order` (the order contradicting the least total confidence).
3. **Peel** front to back: each layer's visible mask is its mask minus the pixels of objects in front;
   the objects already peeled are painted out of the running *painting* (each round's object-free
   painting feeds the next), and an object with occluders in front is re-segmented on that painting
   with a :class:`~paintseg_layers.prompts.MaskPrompt` covering its visible part plus the removed
   regions next to it (``amodal="paint"``), or, by default (``amodal="shape"``), the visible contour is
   continued across the occluder (:func:`paintseg_layers.peel.amodal.shape_hidden`: convex hull -- or, for
   an object that does not fill its hull, the contour's own smooth continuation --, the hull's sides
   continued and the contour's tangents into the occluder, an ellipse through the free contour, kept where they
   agree with the nearest-owner rule;
   with a box prompt, also the front pixels inside the box in the object's own colours, and -- occluded
   or not -- the box's pixels of no object in its colours: :func:`paintseg_layers.peel.amodal.box_claimed`;
   both parts cut to the object's rim where the image's edges show one,
   :func:`paintseg_layers.peel.ellipse.within_rim`);
   growth is restricted to ``visible | removed`` and to parts connected to the
   visible mask: the result is the **amodal mask**. The layer's RGBA takes the input's pixels where
   the object is visible and, where it was hidden, exemplar synthesis from the object's own visible
   pixels (:func:`paintseg_layers.peel.appearance.own_appearance`); alpha = amodal mask.
   ``amodal="nearest"`` replaces the re-segmentation by a no-painter control (each removed pixel
   takes the owner of the nearest non-removed pixel); ``amodal="none"`` keeps the visible mask.
4. **Background plate**: ``plate="peel"`` keeps the painting after the last round; ``plate="union"``
   (default) paints the union of every object's masks (dilated by ``plate_dilation`` px at the working
   resolution) out of the *input* in one go, which avoids compounding the painter's smear over rounds;
   the painter's fill or a smoother one, whichever best repaints ``plate_tests`` copies of the hole shifted
   over known background (:func:`paintseg_layers.peel.plate.paint_plate`).

Stages 1-4 run on a copy of the image no larger than ``PeelConfig.analysis_size`` (1024 px on the long side);
:mod:`paintseg_layers.peel.lift` then builds the layers and the plate at the input's size, so time and memory
on a 24-Mpx photo stay close to those of a 1-Mpx one. The first pass segments the prompts two at a time when
both backends are ``thread_safe`` (``workers``; the layers are the same for any number); with the same
``workers`` the object contrasts, the plate (beside the hidden parts' fills) and the full-size outputs also
run two at a time, and the joint labelling fits its colour models two at a time. Where the first pass forks
worker processes (:func:`~paintseg_layers.peel.first_pass.fork_pool`), they stay open until the plate is painted:
they fit the joint labelling's colour models and synthesise each hidden part while this process peels on.

All outputs are on the 8-bit grid (stored as uint8, :class:`~paintseg_layers.layers.model.Grid8`), so saving
and loading a decomposition is lossless.
"""

from __future__ import annotations

import contextvars
import logging
import os
import time
from dataclasses import replace
from functools import cache

import networkx as nx
import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from paintseg_layers import masks as morph
from paintseg_layers.amcp import AMCPConfig, Segmenter, paint_out
from paintseg_layers.errors import InputError, is_int
from paintseg_layers.graph import depth_order
from paintseg_layers.image import resize_image, working_scale
from paintseg_layers.layers import Decomposition, Layer, visible_masks
from paintseg_layers.painters import get_painter
from paintseg_layers.painters.base import in_background
from paintseg_layers.peel.amodal import colour_index, lost_hidden, nearest_fill, shape_amodal, within_reach
from paintseg_layers.peel.appearance import own_appearance
from paintseg_layers.peel.config import PeelConfig
from paintseg_layers.peel.first_pass import (
    check_inputs,
    collect,
    first_pass,
    fork_pool,
    submit,
    worker_map,
    worker_shared,
)
from paintseg_layers.peel.lift import layer_rgba, lift_masks, lift_plate, uint8_strips
from paintseg_layers.peel.order import LOST, order_graph
from paintseg_layers.peel.plate import paint_plate
from paintseg_layers.projectors import get_projector
from paintseg_layers.prompts import MaskPrompt
from paintseg_layers.timing import stage

log = logging.getLogger(__name__)


def peel_prompts(image, prompts, *, painter=None, projector=None, config: PeelConfig | AMCPConfig | None = None,
                 seed: int = 0, progress: bool = False, threads: int | None = 1,
                 workers: int | None = None, pool: str | None = None) -> Decomposition:
    """Peel ``image`` into one amodal layer per prompt, a background plate and an occlusion graph.

    This is :func:`paintseg_layers.peel.decompose` without discovery.

    Parameters
    ----------
    image : array (H, W, 3)
        uint8 or float RGB in [0, 1].
    prompts : list of BoxPrompt, PointPrompt, MaskPrompt or ScribblePrompt
        One per object, in full-image coordinates; their positions become ``prompt_index``.
    painter, projector : str or backend object, optional
        Registry names or instances (defaults: ``telea`` and ``lab``).
    config : PeelConfig or AMCPConfig, optional
        An ``AMCPConfig`` is wrapped as ``PeelConfig(amcp=config)``.
    seed : int
        Seeds every AMCP run and painting (derived per prompt and round).
    progress : bool
        Show tqdm progress bars.
    threads : int or None
        Cap on the BLAS / OpenMP thread pools while decomposing (``threadpoolctl``, scoped to this
        call); None leaves them alone. The classical path runs many tiny k-means and
        Gaussian-mixture fits (a few thousand pixels each), where worker threads cost far more in
        hand-offs than they save: on a busy 2-core machine one thread made the peel benchmark
        about 7x faster (25 s -> 3.6 s per scene; depth-order accuracy unchanged). Pass None for
        neural backends running on the CPU.
    workers : int or None
        Prompts segmented at once in the first pass (threads; results are the same for any number).
        None: 2 where both backends declare ``thread_safe`` and the machine has 2 or more cores, else 1.
    pool : {None, "process", "thread"}
        How the first pass runs ``workers`` prompts at once: forked worker processes (None: where the
        platform forks) or threads (:func:`~paintseg_layers.peel.first_pass.segment_all`); the layers are the same.

    Returns and raises as :func:`~paintseg_layers.peel.decompose`.
    """
    if threads is not None and not is_int(threads, 1):
        raise InputError(f"`threads` must be an integer >= 1 or None, got {threads!r}")
    if workers is not None and not is_int(workers, 1):
        raise InputError(f"`workers` must be an integer >= 1 or None, got {workers!r}")
    if threads is None:
        return _decompose(image, prompts, painter, projector, config, seed, progress, workers, pool)

    with threadpool_limits(limits=int(threads)):
        return _decompose(image, prompts, painter, projector, config, seed, progress, workers, pool)


def _decompose(image, prompts, painter, projector, config, seed, progress, workers, pool) -> Decomposition:
    t_start = time.perf_counter()
    rgb, prompts = check_inputs(image, prompts, seed)
    seed = int(seed)
    if config is None:
        cfg = PeelConfig()
    elif isinstance(config, AMCPConfig):
        cfg = PeelConfig(amcp=config)
    elif isinstance(config, PeelConfig):
        cfg = config
    else:
        raise InputError(f"`config` must be a PeelConfig or AMCPConfig, got {type(config).__name__}")
    painter = get_painter(painter)
    projector = get_projector(projector)
    if workers is None:
        safe = getattr(painter, "thread_safe", False) and getattr(projector, "thread_safe", False)
        workers = min(2, os.cpu_count() or 1) if safe else 1
    h, w = rgb.shape[:2]
    # peel a copy no larger than analysis_size; only the outputs are built at full size (peel.lift)
    s = working_scale((h, w), cfg.analysis_size) if cfg.analysis_size else 1.0
    work, work_prompts = rgb, prompts
    if s < 1:
        shape = (max(2, round(h * s)), max(2, round(w * s)))
        with stage("decompose.resize"):
            work = resize_image(rgb, shape)
        work_prompts = [p.scaled(shape[1] / w, shape[0] / h) for p in prompts]
        raw = np.asarray(image)
        if raw.dtype in (np.uint8, np.float32) and raw.ndim == 3 and raw.shape[2] == 3:
            rgb = raw  # the outputs are uint8 (to_uint8 clips): the caller's photo serves, no full-size copy
    peeled = _peel(work, work_prompts, painter, projector, cfg, seed, progress, workers, pool)

    with stage("decompose.lift"):
        order = peeled["order"]
        vis_full, amodal_full = lift_masks([peeled["visible"][i] for i in order],
                                           [peeled["amodal"][i] for i in order], (h, w))

        def build(rank):
            i, vis, grown = order[rank], vis_full[rank], amodal_full[rank]
            sc = dict(peeled["scores"][i])
            n_vis, n_all = int(np.count_nonzero(vis)), int(np.count_nonzero(grown))
            sc.update({"visible_area": n_vis, "amodal_area": n_all,
                       "hidden_fraction": round(1 - n_vis / n_all, 6) if n_all else 0.0})
            return Layer(id=f"obj{i}", prompt_index=i, depth=rank,
                         rgba=layer_rgba(rgb, peeled["fill"][i], vis, grown), visible_mask=vis,
                         amodal_mask=grown, prompt=prompts[i].to_dict(), scores=sc)

        # the full-size outputs are independent strip-wise numpy / OpenCV passes (GIL released): `workers` at once
        jobs = [*(lambda r=rank: build(r) for rank in range(len(order))),
                lambda: lift_plate(rgb, peeled["plate"], work), lambda: uint8_strips(rgb)]
        *layers, plate, image8 = worker_map(lambda job: job(), jobs, workers)
    graph = peeled["graph"]
    for *_, d in graph.edges(data=True):  # contested areas in full-size pixels
        d["overlap"] = int(round(d.get("overlap", 0) / (s * s)))
    for layer in layers:
        graph.nodes[layer.id].update({"depth": layer.depth, "visible_area": layer.scores["visible_area"],
                                      "amodal_area": layer.scores["amodal_area"]})
    graph.graph["seconds"] = round(time.perf_counter() - t_start, 4)
    log.info("decomposed %d prompts into %d layers in %.2f s", len(prompts), len(layers),
             time.perf_counter() - t_start)
    return Decomposition(layers=tuple(layers), background=plate, graph=graph, image_size=(w, h), seed=seed,
                         backends={"painter": painter.name, "projector": projector.name}, config=cfg.to_dict(),
                         image=image8)


def _peel(rgb, prompts, painter, projector, cfg, seed, progress, workers, pool) -> dict:
    """Stages 1-4 on ``rgb`` (the analysis copy): masks, fills and plate at its size, and the graph."""
    # the AMCP runs here need masks only; peeling paints the objects out itself
    amcp_cfg = replace(cfg.amcp, paint_result=False)
    seg = Segmenter(rgb, painter=painter, projector=projector, config=amcp_cfg)
    # where the first pass forks worker processes, they also synthesise the hidden parts while this process peels
    with fork_pool(seg, len(prompts), workers, pool, rgb=rgb) as procs:
        return _peel_with(rgb, prompts, seg, painter, projector, cfg, amcp_cfg, seed, progress, workers, procs)


def _peel_with(rgb, prompts, seg, painter, projector, cfg, amcp_cfg, seed, progress, workers, procs) -> dict:
    h, w = rgb.shape[:2]
    # 1. segment every prompt on the input
    own = {}  # each object's own mask before the joint cut (a lost object's hidden part: peel.amodal.lost_hidden)
    masks, scores, kept = first_pass(rgb, prompts, seg, cfg, seed, progress, workers=workers, executor=procs,
                                     own=own)

    # 2. pairwise order
    ids = {i: f"obj{i}" for i in kept}
    index_of = {lid: i for i, lid in ids.items()}
    radius = max(2, int(round(cfg.contact_radius * max(h, w))))
    with stage("decompose.order"):
        graph = order_graph({ids[i]: masks[i] for i in kept}, (h, w), working_size=amcp_cfg.working_size,
                            contact_radius=cfg.contact_radius, min_confidence=cfg.min_confidence,
                            boxes={ids[i]: getattr(prompts[i], "box", None) for i in kept},
                            rests={ids[i]: ids[scores[i]["rests_on"]] for i in kept if "rests_on" in scores[i]},
                            image=rgb, learnt=cfg.learnt_cue)
    for i in kept:
        graph.nodes[ids[i]]["prompt_index"] = i
    order = [index_of[lid] for lid in depth_order(graph)]
    ancestors = {i: sorted(index_of[a] for a in nx.ancestors(graph, ids[i])) for i in kept}

    # visible masks: contested pixels go to the front-most claimant
    visible = dict(zip(order, visible_masks([masks[i] for i in order])))

    # 3. peel front to back
    owned = np.zeros((h, w), bool)
    for v in visible.values():
        owned |= v
    painting = rgb.copy()
    amodal, fills = {}, {}
    removed_so_far = np.zeros((h, w), bool)
    fill_scale = working_scale((h, w), amcp_cfg.working_size)  # hidden parts at the masks' own resolution
    # the running painting feeds only the re-segmentation (amodal="paint") and the "peel" plate: then every
    # round waits for the last one's painting; otherwise the fills and the plate are independent of each other
    chained = cfg.amodal == "paint" or cfg.plate == "peel"
    # with worker processes each fill starts as soon as its amodal mask is known, while this process peels on
    in_workers = {} if procs is not None and not chained else None
    colours = cache(lambda: colour_index(rgb))  # box claims: the image's quantised Lab, once for every object
    it = enumerate(order)
    if progress:

        it = tqdm(list(it), desc="peel", unit="layer", leave=False)
    for rank, i in it:
        with stage(f"decompose.peel.{rank}"):
            t0 = time.perf_counter()
            vis = visible[i]
            front = np.zeros((h, w), bool)
            for a in ancestors[i]:
                front |= amodal.get(a, visible[a])
            front &= ~vis
            grown, extra = vis.copy(), np.zeros((h, w), bool)
            if cfg.amodal == "shape":  # a box prompt also names the object's colours inside it
                box = getattr(prompts[i], "box", None)
                vis, grown = shape_amodal(rgb, vis, front, ~owned, box=box, reach=cfg.hidden_reach,
                                          seed=seed + 5000 + i, index=None if box is None else colours())
                grown |= lost_hidden(vis, own.get(i), front, box, lost=LOST)
                visible[i] = vis
            elif vis.any() and front.any() and cfg.amodal != "none":
                if cfg.amodal == "nearest":  # the object's share of the nearest rule needs no other owner
                    extra = nearest_fill([vis], front)[0]
                elif (near := front & morph.dilate(vis, radius)).any():  # only the re-segmentation reads it
                    sub = Segmenter(painting, painter=painter, projector=projector, config=amcp_cfg)
                    res = sub.segment(MaskPrompt(vis | near), seed=seed + 1000 + i)
                    extra = res.mask & front
            if extra.any():
                extra = within_reach(extra, vis, reach=cfg.hidden_reach)
                grown = vis | morph.connected_to(extra | vis, vis)
            amodal[i] = grown
            if chained:
                fills[i] = _fill(rgb, vis, grown, seed + 4000 + i, fill_scale)
            elif in_workers is not None and (grown & ~vis).any():
                in_workers[i] = submit(procs, _fill_patch, vis, grown, seed + 4000 + i, fill_scale, rank)
            scores[i] = dict(scores[i], seconds=round(scores[i]["seconds"] + time.perf_counter() - t0, 4))
            region = (grown | vis) & ~removed_so_far
            if region.any() and chained and (rank < len(order) - 1 or cfg.plate == "peel"):
                painting = paint_out(painting, grown | vis, painter, seed=seed + 2000 + i,
                                     working_size=amcp_cfg.working_size, dilation=amcp_cfg.dilation)
            removed_so_far |= grown | vis

    # 4. background plate: on a second thread while this one synthesises the hidden parts (PatchMatch and
    # OpenCV release the GIL; each fill and the plate have their own seed, so the layers are the same)
    def plate_job():
        with stage("decompose.plate"):
            if cfg.plate != "union":
                return painting
            union = np.zeros((h, w), bool)
            for i in kept:
                union |= amodal[i] | visible[i]
            return paint_plate(rgb, union, painter, seed=seed + 3000, working_size=amcp_cfg.working_size,
                               dilation=cfg.plate_dilation, tests=cfg.plate_tests)

    if in_workers is not None:  # this process paints the plate while the workers finish the fills
        plate = plate_job()
        for i in order:
            if i not in in_workers:  # nothing hidden: the photo's own pixels (as _fill gives)
                fills[i] = rgb
                continue
            patch, secs = collect(in_workers[i])
            fills[i] = _patched(rgb, patch)
            scores[i] = dict(scores[i], seconds=round(scores[i]["seconds"] + secs, 4))
    else:
        side = not chained and workers > 1 and getattr(painter, "thread_safe", False)
        pending = in_background(contextvars.copy_context().run, plate_job) if side else None
        for rank, i in enumerate([] if chained else order):
            with stage(f"decompose.peel.{rank}"):
                t0 = time.perf_counter()
                fills[i] = _fill(rgb, visible[i], amodal[i], seed + 4000 + i, fill_scale)
                scores[i] = dict(scores[i], seconds=round(scores[i]["seconds"] + time.perf_counter() - t0, 4))
        plate = pending.result() if side else plate_job()
    return {"order": order, "visible": visible, "amodal": amodal, "fill": fills, "scores": scores,
            "plate": plate, "graph": graph}


def _fill_patch(vis, grown, seed, scale, rank):
    """In a worker process: :func:`_fill` on the inherited analysis image, as ``(box, pixels)`` of what it changed
    (None: nothing) instead of a whole copy (:func:`_patched` rebuilds it)."""
    rgb = worker_shared()["rgb"]
    with stage(f"decompose.peel.{rank}"):
        out = _fill(rgb, vis, grown, seed, scale)
        box = morph.bbox(np.any(out != rgb, axis=2))
    return None if box is None else (box, out[box[1]:box[3], box[0]:box[2]])


def _patched(rgb, patch):
    """A copy of ``rgb`` with ``patch`` (:func:`_fill_patch`) pasted in."""
    out = rgb.copy()
    if patch is not None:
        (x0, y0, x1, y1), pixels = patch
        out[y0:y1, x0:x1] = pixels
    return out


def _fill(rgb, vis, grown, seed, scale):
    """What the layer shows where it is hidden: a fill from the object's own visible pixels (peel.appearance).

    Nothing hidden: the layer is the photo's own pixels, so the analysis image serves uncopied.
    """
    return own_appearance(rgb, vis, grown, seed=seed, scale=scale) if (grown & ~vis).any() else rgb
