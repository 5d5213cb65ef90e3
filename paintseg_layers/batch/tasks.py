"""One image of a batch: read it, run the task, write its output atomically, return its record.

A :class:`Worker` builds the painter and projector once and then serves many images; every engine
runs one per process (local pool) or per actor (Ray). Outputs hold no wall-clock time, so the
same settings give byte-identical files whatever the engine and the worker count; timings go
to the record only.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import networkx as nx
from threadpoolctl import threadpool_limits

from paintseg_layers.amcp import Segmenter
from paintseg_layers.amcp.presets import build_backends
from paintseg_layers.batch.inputs import Item
from paintseg_layers.batch.settings import TASKS, BatchSettings
from paintseg_layers.discovery import discover
from paintseg_layers.errors import InputError
from paintseg_layers.imageio import read_image, read_mask, write_image
from paintseg_layers.layers import Decomposition
from paintseg_layers.peel import decompose
from paintseg_layers.prompts import BoxPrompt, MaskPrompt, PointPrompt

log = logging.getLogger(__name__)


def single_thread() -> None:
    """One BLAS / OpenMP / OpenCV / torch thread in this process: the workers share the cores."""
    threadpool_limits(1)
    cv2.setNumThreads(1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def output_path(out_dir, settings: BatchSettings, name: str) -> Path:
    """Where the output of image ``name`` goes: ``masks/NAME.png``, ``removed/NAME.png`` or ``layers/NAME/``."""
    folder = Path(out_dir) / TASKS[settings.task]
    return folder / name if settings.task == "decompose" else folder / f"{name}.png"


def make_prompt(obj: dict, shape):
    """A prompt object from one entry of the prompts file (see :mod:`paintseg_layers.batch.inputs`)."""
    if "box" in obj:
        return BoxPrompt(tuple(obj["box"]))
    if "points" in obj:
        return PointPrompt(tuple(map(tuple, obj["points"])), tuple(map(tuple, obj.get("neg_points", ()))))
    return MaskPrompt(read_mask(obj["mask"], shape=shape, name="mask"))


def strip_timing(dec: Decomposition) -> Decomposition:
    """The decomposition without its wall-clock ``seconds`` (layer scores, graph attribute)."""
    layers = tuple(replace(la, scores={k: v for k, v in la.scores.items() if k != "seconds"}) for la in dec.layers)
    graph = nx.DiGraph(dec.graph)
    graph.graph.pop("seconds", None)
    return replace(dec, layers=layers, graph=graph)


class Worker:
    """Processes images with one set of backends, built once.

    Parameters
    ----------
    settings : BatchSettings
    out_dir : path
        The batch's output folder (it must exist).
    """

    def __init__(self, settings: BatchSettings, out_dir):
        self.settings = settings
        self.out_dir = Path(out_dir)
        self.painter, self.projector = build_backends(
            settings.painter, settings.painter_options, settings.projector, settings.projector_options,
            settings.o_painter, settings.o_painter_options)

    def __call__(self, item: Item) -> dict:
        """Process one image.

        Returns ``{"status", "error", "seconds", "cpu_seconds", "layers", "scores", "host", "pid"}``.

        Never raises for a bad image or prompt: the record says ``failed`` and why.
        """
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            image = read_image(item.path)
            prompts = [make_prompt(o, image.shape[:2]) for o in item.objects or ()]
            target = output_path(self.out_dir, self.settings, item.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            if self.settings.task == "decompose":
                layers, scores = self._decompose(image, prompts, target)
            else:
                layers, scores = self._segment(image, prompts, target)
            status, error = "ok", None
        except InputError as exc:
            status, error, layers, scores = "failed", str(exc), None, {}
        except Exception as exc:  # one image's failure must not stop the batch
            log.debug("image %s failed", item.path, exc_info=True)
            status, error, layers, scores = "failed", f"{exc.__class__.__name__}: {exc}", None, {}
        return {
            "status": status,
            "error": error,
            "seconds": round(time.perf_counter() - t0, 4),
            "cpu_seconds": round(time.thread_time() - c0, 4),
            "layers": layers,
            "scores": scores,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }

    def _one_prompt(self, image, prompts):
        if len(prompts) == 1:
            return prompts[0]
        if not prompts and self.settings.discover:
            found = discover(image, max_objects=1, painter=self.painter, projector=self.projector,
                             seed=self.settings.seed, amcp=self.settings.amcp_config())
            if not found:
                raise InputError("discovery found no object in this image")
            return found[0].prompt()
        raise InputError(f"task {self.settings.task!r} needs exactly one object per image, got {len(prompts)}")

    def _segment(self, image, prompts, target):
        s = self.settings
        cfg = s.amcp_config()
        res = Segmenter(image, painter=self.painter, projector=self.projector, config=cfg,
                        progress=False).segment(self._one_prompt(image, prompts), seed=s.seed)
        write_image(target, res.mask if s.task == "segment" else res.painting)
        return None, {"area": int(res.mask.sum()), "amcp_area": int(res.amcp_mask.sum()),
                      "image_size": [int(image.shape[1]), int(image.shape[0])]}

    def _decompose(self, image, prompts, target):
        s = self.settings
        cfg = s.peel_config()
        if prompts and not s.discover:
            dec = decompose(image, prompts, painter=self.painter, projector=self.projector, config=cfg, seed=s.seed)
        elif prompts or s.discover:
            if cfg.duplicates == "error":
                cfg = replace(cfg, duplicates="merge")  # a discovered object may repeat a prompted one
            dec = decompose(image, prompts, discover=True, max_objects=s.max_objects, painter=self.painter,
                            projector=self.projector, config=cfg, seed=s.seed)
        else:
            raise InputError("no prompts for this image")
        strip_timing(dec).save(target, contact_sheet=s.contact_sheet)
        scores = {"layers": [{"id": la.id, "visible_area": int(la.visible_mask.sum()),
                              "amodal_area": int(la.amodal_mask.sum()),
                              "hidden_fraction": round(float(la.scores.get("hidden_fraction", 0.0)), 6)}
                             for la in dec.layers],
                  "image_size": list(dec.image_size)}
        return len(dec.layers), scores
