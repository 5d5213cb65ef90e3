"""TRANSITIONAL (issue 12): discovery + peeling in one call, until ``peel.decompose(..., discover=...)`` exists.

This module breaks the layer rule on purpose (discovery sits below peel and must not import it). It is
not exported from :mod:`paintseg_layers.discovery`; the lead moves this logic into
``paintseg_layers.peel.decompose`` on top of :func:`~paintseg_layers.discovery.discover` and
:func:`~paintseg_layers.discovery.exclude_prompted`, then deletes this file.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import networkx as nx

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.discovery.config import MIN_SCORE, DiscoverConfig
from paintseg_layers.discovery.proposal import Proposal
from paintseg_layers.discovery.ranking import exclude_prompted
from paintseg_layers.discovery.refine import discover
from paintseg_layers.image import as_rgb
from paintseg_layers.layers import Decomposition, quantize8
from paintseg_layers.peel import PeelConfig, decompose

log = logging.getLogger(__name__)


def discover_and_decompose(image, prompts=(), *, max_objects: int = 5, discover_more: bool | None = None,
                           painter=None, projector=None, config=None, seed: int = 0, min_score: float = MIN_SCORE,
                           discover_config: DiscoverConfig | None = None, progress: bool = False) -> Decomposition:
    """Peel ``image`` into layers, discovering objects where the user gave no (or not enough) prompts.

    Parameters
    ----------
    image : array (H, W, 3)
    prompts : list of prompts
        The user's prompts; they keep their indices ``0 .. len(prompts) - 1``.
    max_objects : int
        Bound on the number of *discovered* objects.
    discover_more : bool, optional
        Discover objects beside the user's prompts; default: only when there are no prompts.
        Proposals overlapping a user prompt's initial mask by IoU > ``duplicate_iou`` are dropped.
    painter, projector, config, seed, progress
        As for :func:`paintseg_layers.peel.decompose` (``config`` a PeelConfig or AMCPConfig).
    min_score, discover_config
        As for :func:`~paintseg_layers.discovery.discover`.

    Returns
    -------
    Decomposition
        Discovered layers carry ``scores["discovered"]`` and ``scores["discovery_score"]``; with nothing
        to peel, a decomposition with no layers whose background is the input.
    """
    rgb = as_rgb(image, name="image")
    prompts = list(prompts)
    want = (not prompts) if discover_more is None else bool(discover_more)
    dcfg = discover_config or DiscoverConfig()
    found: list[Proposal] = []
    if want and max_objects > 0:
        # decompose runs AMCP on every prompt: pass the coarse proposals and let it refine them once
        found = discover(rgb, max_objects=max_objects, projector=projector, painter=painter, seed=seed,
                         min_score=min_score, config=replace(dcfg, refine=False))
        found = exclude_prompted(found, prompts, rgb.shape[:2], duplicate_iou=dcfg.duplicate_iou)
    all_prompts = prompts + [p.prompt() for p in found]
    if not all_prompts:
        log.warning("no objects found: writing a decomposition with no layers")
        return Decomposition(layers=(), background=quantize8(rgb), graph=nx.DiGraph(),
                             image_size=(rgb.shape[1], rgb.shape[0]), seed=int(seed),
                             backends={"painter": str(painter or "telea"), "projector": str(projector or "lab")},
                             config={"discover": dcfg.to_dict()}, image=quantize8(rgb))
    if config is None:
        config = PeelConfig(duplicates="merge")
    elif isinstance(config, AMCPConfig):
        config = PeelConfig(amcp=config, duplicates="merge")
    dec = decompose(rgb, all_prompts, painter=painter, projector=projector, config=config, seed=seed, progress=progress)
    layers = []
    for layer in dec.layers:
        k = layer.prompt_index - len(prompts)
        if k >= 0:
            layer = replace(layer, scores={**layer.scores, "discovered": True,
                                           "discovery_score": round(found[k].score, 6)})
        layers.append(layer)
    return replace(dec, layers=tuple(layers))
