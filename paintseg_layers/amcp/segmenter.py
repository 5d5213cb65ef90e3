"""AMCP: alternating masked contrastive painting (PaintSeg's segmentation loop).

One step paints ``N`` samples, measures how much each painted pixel moved away from the original
in a feature space (the *contrastive potential*), and binarises the potentials by 1-D k-means:

* **I-step** (inpainting): the current mask, slightly dilated, is painted from its surroundings.
  Pixels whose painting differs from the original are object (kept); pixels that the painter
  predicted well are background the mask wrongly held (dropped). The mask can only shrink.
* **O-step** (outpainting): a band of background around the mask is painted given the object.
  Band pixels that the painter reproduces are object the mask missed (added). It can only grow.

The ``N`` binary votes are averaged (the soft mask) and thresholded at 0.5. Everything runs on a
working view: for a box or mask prompt a crop around it at a scale chosen for the object
(:mod:`paintseg_layers.amcp.objectscale`), else the whole image at ``working_size`` px on the long side;
the result is pasted back at full size. A graph-cut refinement (:mod:`paintseg_layers.amcp.refine`)
then snaps the AMCP result to image edges, using the vote fraction as a unary term beside colour
models; how far it follows the votes depends on the painting's evidence
(:mod:`paintseg_layers.amcp.confidence`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import fields, replace

import numpy as np
from tqdm.auto import tqdm

from paintseg_layers import masks as morph
from paintseg_layers.amcp.clustering import kmeans_1d
from paintseg_layers.amcp.confidence import confidence_of, step_evidence
from paintseg_layers.amcp.config import AMCPConfig, step_paint_size
from paintseg_layers.amcp.fragment import unfragment
from paintseg_layers.amcp.objectscale import (
    WorkView,
    make_view,
    object_view_geometry,
    prompt_in_view,
    whole_view_geometry,
)
from paintseg_layers.amcp.paintout import paint_out
from paintseg_layers.amcp.refine import gamma_for, iterations_for, refine_boundary, refine_mask
from paintseg_layers.amcp.result import SegmentationResult, StepRecord, ViewCut
from paintseg_layers.amcp.scribbles import keep_strokes, scribble_start
from paintseg_layers.errors import InputError, check_known_keys, is_int
from paintseg_layers.image import as_rgb, upsample_soft
from paintseg_layers.painters import Painter, get_painter
from paintseg_layers.painters.base import paint_map
from paintseg_layers.painters.crops import paint_at_most
from paintseg_layers.projectors import Projector, get_projector
from paintseg_layers.prompts import BoxPrompt, MaskPrompt, PointPrompt, ScribblePrompt, check_prompt, grow_box
from paintseg_layers.timing import stage

log = logging.getLogger(__name__)

_EPS = 1e-4  # floor of the potential before the log (feature units squared)
#: the re-vote's cut replaces the refined mask where their IoU is at least this (:meth:`Segmenter._revote`). Per
#: prompt (333 box prompts of peel seeds 1000-1049 and 2000-2059) visible IoU 0.789 without the re-vote, 0.799
#: unguarded, 0.802 / 0.796 / 0.790 at 0.5 / 0.7 / 0.9; 0.7 is the lowest that keeps a leopard whose second
#: GrabCut collapsed onto its tail (peel scene 2003, 0.83 -> 0.06 unguarded)
REVOTE_IOU = 0.7


class Segmenter:
    """Segment objects in one image; the image's features are computed once and reused.

    Parameters
    ----------
    image : array (H, W, 3) or (H, W)
        uint8, uint16 or float RGB in [0, 1].
    painter, projector : str or backend object, optional
        Registered names or instances (defaults: ``telea`` and ``lab``).
    config : AMCPConfig, optional
    progress : bool
        Show a progress bar over the steps.

    Examples
    --------
    >>> import numpy as np
    >>> from paintseg_layers import Segmenter, BoxPrompt
    >>> img = np.full((64, 64, 3), 0.8, np.float32); img[20:44, 16:40] = (0.9, 0.1, 0.1)
    >>> res = Segmenter(img).segment(BoxPrompt((12, 16, 44, 48)), seed=0)
    >>> bool(res.mask[30, 28]), bool(res.mask[5, 5])
    (True, False)
    """

    def __init__(self, image, *, painter: str | Painter | None = None, projector: str | Projector | None = None,
                 config: AMCPConfig | None = None, progress: bool = False):
        self.image = as_rgb(image, name="image")
        self.config = config or AMCPConfig()
        self.painter = get_painter(painter)
        self.projector = get_projector(projector)
        self.progress = progress
        box, self.work_shape = whole_view_geometry(self.image.shape[:2], self.config.working_size)
        self.scale = self.work_shape[1] / self.image.shape[1]
        with stage("segment.resize"):
            self._whole = make_view(self.image, box, self.work_shape)
        self.work = self._whole.image
        # painters that want context (diffusion) inpaint the whole working image, as the reference does
        step_painters = [self.painter.for_step(k) for k in "IO"] if hasattr(self.painter, "for_step") else [
            self.painter]
        self._whole_only = any(getattr(p, "wants_context", False) for p in step_painters)
        self._views: dict[tuple, WorkView] = {self._whole.key: self._whole}
        self._feat_cache: dict = {}

    # -- views and features --------------------------------------------------------------------
    def view_for(self, prompt) -> WorkView:
        """The working view of ``prompt`` (full-image px): an object-scale crop or the whole image."""
        geo = None if self._whole_only else object_view_geometry(prompt, self.image.shape[:2], self.config)
        if geo is None:
            return self._whole
        key = (*geo[0], *geo[1])
        if key not in self._views:
            if len(self._views) > 32:  # peeling segments many prompts on one image: keep memory bounded
                self._views = {self._whole.key: self._whole}
                self._feat_cache = {k: v for k, v in self._feat_cache.items() if k[0] == self._whole.key}
            with stage("segment.resize"):
                self._views[key] = make_view(self.image, *geo)
        return self._views[key]

    def _original_features(self, view: WorkView, box) -> np.ndarray:
        """Features of the view's image inside ``box``, computed once per distinct crop."""
        x0, y0, x1, y1 = box
        if self.projector.pixelwise:
            if (view.key, None) not in self._feat_cache:
                self._feat_cache[(view.key, None)] = self.projector.project(view.image[None])[0]
            return self._feat_cache[(view.key, None)][y0:y1, x0:x1]
        if (view.key, box) not in self._feat_cache:
            crop = view.image[y0:y1, x0:x1]
            ref = getattr(self.projector, "reference", None)
            self._feat_cache[(view.key, box)] = ref(crop) if ref is not None else self.projector.project(crop[None])[0]
        return self._feat_cache[(view.key, box)]

    def potential(self, paintings: np.ndarray, box, view: WorkView | None = None, where=None) -> np.ndarray:
        """Squared feature distance ``(N, h, w)`` between paintings of ``box`` and the original.

        ``box`` is in the working px of ``view`` (default: the whole-image view). With ``where`` (``(h, w)``
        bool), a projector offering ``contrast_at`` computes it only there (zero elsewhere).
        """
        view = self._whole if view is None else view
        # samples often repeat (a deterministic painter given the same region and radius): project each once
        first: dict[bytes, int] = {}
        slot = [first.setdefault(p.tobytes(), len(first)) for p in paintings]
        unique = paintings[[slot.index(k) for k in range(len(first))]]
        with stage("segment.project"):
            f0 = self._original_features(view, box)
            at = getattr(self.projector, "contrast_at", None) if where is not None else None
            if at is not None:  # a pixelwise backend: features only of the pixels the step reads
                pot = np.zeros((len(unique), *paintings.shape[1:3]), np.float32)
                pot[:, where] = at(unique, f0, where)
            elif hasattr(self.projector, "contrast"):  # the backend computes it where its features live
                pot = np.asarray(self.projector.contrast(unique, f0), np.float32)
            else:
                fp = self.projector.project(unique)
                if fp.shape[1:3] != f0.shape[:2]:
                    raise RuntimeError(f"projector {self.projector.name!r} returned {fp.shape[1:3]} for a "
                                       f"{f0.shape[:2]} crop")
                pot = ((fp - f0[None]) ** 2).sum(axis=-1)
        if pot.shape != unique.shape[:3]:
            raise RuntimeError(f"projector {self.projector.name!r} returned a {pot.shape} potential for "
                               f"{unique.shape[:3]} paintings")
        return pot[slot]

    # -- one step ------------------------------------------------------------------------------
    def _crop_box(self, mask, rng, extra: int):
        h, w = mask.shape
        b = morph.bbox(mask)
        if b is None:
            return 0, 0, w, h
        b = grow_box(b, self.config.crop_scale, (h, w), min_pad=self.config.crop_pad + extra)
        j = self.config.crop_jitter
        if j:
            dx0, dy0, dx1, dy1 = rng.integers(-j, j + 1, size=4)
            b = (max(0, b[0] + dx0), max(0, b[1] + dy0), min(w, b[2] + dx1), min(h, b[3] + dy1))
        return tuple(int(v) for v in b)

    def _paint(self, painter, crop, region, n, seed, ps):
        """Paint ``n`` samples of ``region`` in ``crop``, at most at ``ps`` px (0: crop size)."""
        if painter.chooses_resolution:
            return painter.paint(crop, region, n=n, seed=seed)
        return paint_at_most(painter.paint, crop, region, ps, n=n, seed=seed)

    def _step(self, view, kind, mask, valid, step_index, k, keep_top, bump, seed, recut):
        cfg = self.config
        rng = np.random.default_rng([seed, step_index])
        n = cfg.samples
        if kind == "I":
            radii = [max(0, cfg.dilation + int(v)) for v in rng.integers(-1, 2, size=n)]
            grown = {r: morph.dilate(mask, r) & valid for r in set(radii)}  # samples share radii: one dilation each
            regions = [grown[r] for r in radii]
            box = self._crop_box(mask, rng, max(radii))
        else:
            widths = [max(2, cfg.band + int(v)) for v in rng.integers(-2, 3, size=n)]
            grown = {r: morph.dilate(mask, r) & valid & ~mask for r in set(widths)}
            regions = [grown[r] for r in widths]
            box = self._crop_box(mask, rng, max(widths))
        x0, y0, x1, y1 = box
        painter = self.painter.for_step(kind) if hasattr(self.painter, "for_step") else self.painter
        # painters that want context (diffusion) get the whole working image and crop around the hole
        # themselves, as the reference inpaints the whole image; only the features use the AMCP crop
        context = bool(getattr(painter, "wants_context", False))
        win = np.s_[:, :] if context else np.s_[y0:y1, x0:x1]
        src = view.image[win]
        # one painter call per distinct region shape keeps the backend's batching where regions agree
        with stage(f"segment.paint.{step_index}{kind}"):
            size = step_paint_size(cfg, kind, recut)
            paintings = self._paint_samples(painter, src, regions, win, rng, size)
        if context:
            paintings = paintings[:, y0:y1, x0:x1]
        regs = np.stack([r[y0:y1, x0:x1] for r in regions])
        pot = self.potential(paintings, box, view, where=regs.any(axis=0))
        with stage("segment.contrast"):
            vals = np.log(pot[regs] + _EPS)  # only the pixels each sample painted are read
            if bump is not None:
                vals = vals + (1 if kind == "I" else -1) * np.broadcast_to(bump[None, y0:y1, x0:x1], regs.shape)[regs]
        if vals.size == 0:
            return mask.copy(), np.zeros(view.shape, np.float32), None
        with stage("segment.cluster"):
            labels, _ = kmeans_1d(vals, k, seed=seed + step_index)
        top = labels.max()
        if kind == "I":
            is_obj = labels >= (top - keep_top + 1)
        else:
            is_obj = labels == 0
        votes = np.zeros(regs.shape, bool)
        votes[regs] = is_obj
        frac = votes.mean(axis=0)
        evidence = step_evidence(vals, is_obj, frac, regs.any(axis=0))
        soft = np.zeros(view.shape, np.float32)
        if kind == "I":
            soft[y0:y1, x0:x1] = frac
            new = soft >= 0.5
            new &= morph.dilate(mask, cfg.dilation + 1)
        else:
            soft[mask] = 1.0
            soft[y0:y1, x0:x1] = np.maximum(soft[y0:y1, x0:x1], frac)
            new = mask | (soft >= 0.5)
        new &= valid
        return new, soft, evidence

    def _revote(self, view, mask, valid, fg_seed, bg_seed, step_index, seed, iterations):
        """The refined ``mask`` voted on once more: an I-step whose hole is ``mask`` dilated, then the refinement
        again from that step's mask and votes; kept where it overlaps ``mask`` by IoU >= :data:`REVOTE_IOU`.

        The box-sized holes of AMCP's steps smear an object's concavities, and a blob of a differently coloured
        neighbour that the votes kept teaches the refinement's GrabCut its colours; in a hole a few px wider than
        the refined mask the painting fills such a blob from its own surroundings (peel scene 1003: a banana's blob
        into the orange suit behind it, visible IoU 0.765 -> 0.918; 2000: a tree's into the gold leaf behind it,
        0.742 -> 0.969). Only on views at the photo's own resolution: on the GrabCut photos, whose views are
        coarser and whose boundary is re-cut at full size afterwards, it cost box IoU 0.876 -> 0.868.
        """
        new, soft, _ = self._step(view, "I", mask, valid, step_index, 2, 1, None, seed, False)
        new = (morph.clean(new, 1) | fg_seed) & ~bg_seed
        if not new.any():
            return mask
        cut = refine_mask(view.image, soft, new, valid=valid, fg_seeds=fg_seed, bg_seeds=bg_seed,
                          weight=self.config.refine_weight, seed=seed, iterations=iterations)
        return cut if morph.iou(cut, mask) >= REVOTE_IOU else mask

    def _paint_samples(self, painter, src, regions, view, rng, size):
        """The ``N`` paintings of ``src``, one per region (full working-size masks cut to ``view``), at ``size`` px."""
        n = len(regions)
        paintings = np.empty((n, *src.shape), np.float32)
        groups: dict[bytes, list[int]] = {}
        for i, reg in enumerate(regions):
            groups.setdefault(np.packbits(reg[view]).tobytes(), []).append(i)
        if painter.batches_masks and len(groups) > 1:
            # backends that batch per mask (diffusion) paint all N samples in one call; they
            # choose their own resolution, so `paint_size` / `inpaint_size` do not apply
            regs = np.stack([r[view] for r in regions])
            paintings[:] = painter.paint_batch(src, regs, seed=int(rng.integers(2**31)))
        else:
            jobs = [(idx, regions[idx[0]][view], int(rng.integers(2**31)) + gi)
                    for gi, idx in enumerate(groups.values())]

            done = paint_map(painter, lambda job: self._paint(painter, src, job[1], len(job[0]), job[2], size), jobs)
            for (idx, _, _), painted in zip(jobs, done):
                paintings[idx] = painted
        return paintings

    # -- public ---------------------------------------------------------------------------------
    def segment(self, prompt, *, seed: int = 0) -> SegmentationResult:
        """Segment the object named by ``prompt`` (in full-image coordinates).

        Raises
        ------
        InputError
            If the prompt does not fit the image.
        """
        return self.finish(self.segment_view(prompt, seed=seed))

    def segment_view(self, prompt, *, seed: int = 0) -> ViewCut:
        """The first part of :meth:`segment`: AMCP and the refinement on the prompt's working view.

        :meth:`finish` does the rest (back to full size, the full-size boundary re-cut, painting out); a process
        pool may run the two parts in different workers (same result: each part depends only on its inputs).

        Raises
        ------
        InputError
            If the prompt does not fit the image.
        """
        t0 = time.perf_counter()
        full_shape = self.image.shape[:2]
        check_prompt(prompt, full_shape)
        if not is_int(seed, 0):
            raise InputError(f"`seed` must be an integer >= 0, got {seed!r}")
        seed = int(seed)
        cfg = self.config
        view = self.view_for(prompt)
        p = prompt_in_view(prompt, view, full_shape)
        shape = view.shape
        mask = p.initial_mask(shape)
        valid = p.valid_region(shape)
        fg_seed, bg_seed = p.seeds(shape)
        mask &= valid
        if isinstance(p, ScribblePrompt):  # the start grows from the strokes (see amcp.scribbles)
            mask, valid = scribble_start(self.image, prompt, shape, seed=seed)
        if not mask.any():  # a prompt that shrank to nothing at working size
            mask = fg_seed.copy() if fg_seed.any() else p.initial_mask(shape)
        history = []
        evidence = []
        start = mask.copy()
        soft = mask.astype(np.float32)
        first_k3 = isinstance(p, (BoxPrompt, PointPrompt))
        # box and mask prompts (clicks, scribbles name no extent) whose view is coarser than the photo
        recut = cfg.refine and cfg.boundary_band > 0 and isinstance(prompt, (BoxPrompt, MaskPrompt)) and view.coarser
        it = enumerate(cfg.steps.upper())
        if self.progress:
            it = tqdm(list(it), desc="AMCP", unit="step", leave=False)
        for si, kind in it:
            ts = time.perf_counter()
            before = int(mask.sum())
            if before == 0:
                break
            first = si == 0
            k, keep = (3, cfg.first_keep) if (first and first_k3) else (2, 1)
            bump = None
            if isinstance(p, PointPrompt):
                weight = 2.0 * (0.5**si)
                bump = weight * p.bump(shape)
            new, soft, ev = self._step(view, kind, mask, valid, si, k, keep, bump, seed, recut)
            new = morph.clean(new, 1)
            new = (new | fg_seed) & ~bg_seed
            if ev is not None:
                ev["stability"] = morph.iou(mask, new) if si else 1.0  # the first step moves off the prompt by design
                evidence.append(ev)
            if new.any():
                mask = new
            history.append(StepRecord(kind, before, int(mask.sum()), time.perf_counter() - ts))
            log.debug("step %d %s: area %d -> %d", si, kind, before, mask.sum())
        final = amcp_mask = mask
        conf, terms = confidence_of(evidence)
        if cfg.refine:
            # weak evidence: the votes are left out, and the colour graph cut runs from the prompt alone
            weak = conf < cfg.trust
            with stage("segment.refine"):
                init = start if weak else amcp_mask
                its = iterations_for(click=isinstance(prompt, PointPrompt), recut=recut)
                fallback = not weak and isinstance(p, BoxPrompt)  # a box's object spans it: a fragment is cut again
                gamma = gamma_for(scale=view.scale if recut else 1.0)
                final = refine_mask(view.image, init.astype(np.float32) if weak else soft, init, valid=valid,
                                    fg_seeds=fg_seed, bg_seeds=bg_seed, weight=0.0 if weak else cfg.refine_weight,
                                    seed=seed, iterations=its, again=fallback, gamma=gamma)
                if fallback:
                    final, cut_again = final
                    final = unfragment(view.image, soft, amcp_mask, final, p.box, min_span=cfg.fragment_span,
                                       valid=valid, fg_seeds=fg_seed, bg_seeds=bg_seed, seed=seed,
                                       cut_again=cut_again, gamma=gamma)
            if cfg.revote and not weak and isinstance(p, BoxPrompt) and not view.coarser:
                with stage("segment.revote"):
                    final = self._revote(view, final, valid, fg_seed, bg_seed, len(cfg.steps), seed, its)
        return ViewCut(prompt=prompt, seed=seed, working_box=view.box, working_shape=view.shape, mask=final,
                       soft=soft, amcp_mask=amcp_mask, history=tuple(history), confidence=conf, evidence=terms,
                       recut=recut, seconds=time.perf_counter() - t0)

    def finish(self, cut: ViewCut) -> SegmentationResult:
        """The :class:`SegmentationResult` of a :meth:`segment_view` part: the masks at full size, the boundary
        re-cut at the photo's resolution where the view is coarser, the painting without the object."""
        t0 = time.perf_counter()
        full_shape = self.image.shape[:2]
        cfg, prompt, seed = self.config, cut.prompt, cut.seed
        view = WorkView(box=cut.working_box, shape=cut.working_shape, image=None)  # (to_full needs the geometry)
        with stage("segment.resize"):
            full_mask = view.to_full(cut.mask, full_shape)
        if cut.recut and full_mask.any():
            with stage("segment.boundary"):
                width = max(2, round(cfg.boundary_band * max((b := morph.bbox(full_mask))[2] - b[0], b[3] - b[1])))
                full_mask = refine_boundary(self.image, full_mask, width=width, valid=prompt.valid_region(full_shape),
                                            seed=seed)
        with stage("segment.resize"):
            if isinstance(prompt, ScribblePrompt):  # strokes are hard constraints at full resolution too
                full_mask = keep_strokes(full_mask, *prompt.seeds(full_shape))
            full_soft = view.to_full(cut.soft, full_shape, soft=True)
            full_amcp = view.to_full(cut.amcp_mask, full_shape)
        with stage("segment.paint_out"):
            painting = self._paint_out(full_mask, seed) if cfg.paint_result else None
        return SegmentationResult(
            mask=full_mask,
            soft=full_soft,
            amcp_mask=full_amcp,
            painting=painting,
            history=cut.history,
            seed=seed,
            config=cfg,
            prompt=prompt.to_dict(),
            working_shape=view.shape,
            seconds=cut.seconds + time.perf_counter() - t0,
            backends={"painter": self.painter.name, "projector": self.projector.name},
            confidence=cut.confidence,
            evidence=cut.evidence,
            working_box=view.box,
        )

    def _paint_out(self, full_mask: np.ndarray, seed: int) -> np.ndarray:
        """The image with the object painted out, at full size (painted at the whole image's working size)."""
        work_mask = upsample_soft(full_mask.astype(np.float32), self.work_shape) >= 0.5
        return paint_out(self.image, full_mask, self.painter, seed=seed, work=self.work, work_mask=work_mask,
                         dilation=self.config.dilation)


def segment(image, prompt, *, painter=None, projector=None, config: AMCPConfig | None = None, seed: int = 0,
            progress: bool = False, **overrides) -> SegmentationResult:
    """Segment one object with AMCP (see :class:`Segmenter`).

    ``overrides`` replace fields of ``config`` (e.g. ``samples=3, steps="IOIOI"``).
    """
    cfg = config or AMCPConfig()
    if overrides:
        check_known_keys(overrides, {f.name for f in fields(AMCPConfig)}, "AMCP")
        cfg = replace(cfg, **overrides)
    seg = Segmenter(image, painter=painter, projector=projector, config=cfg, progress=progress)
    return seg.segment(prompt, seed=seed)


def remove_object(image, prompt, *, painter=None, projector=None, config=None, seed: int = 0, **overrides):
    """Segment the prompted object and return ``(image_without_object, SegmentationResult)``."""
    res = segment(image, prompt, painter=painter, projector=projector, config=config, seed=seed, **overrides)
    painting = res.painting
    if painting is None:
        painter_obj = get_painter(painter)
        painting = paint_out(as_rgb(image), res.mask, painter_obj, seed=seed)
    return painting, res


__all__ = ["AMCPConfig", "SegmentationResult", "StepRecord", "Segmenter", "segment", "remove_object", "paint_out",
           "MaskPrompt"]
