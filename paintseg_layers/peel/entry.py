"""The one entry point of peeling: :func:`decompose`, with prompts, with discovery, or both."""

from __future__ import annotations

import logging
from dataclasses import replace

import networkx as nx

from paintseg_layers import discovery
from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.discovery import MIN_SCORE, DiscoverConfig
from paintseg_layers.image import as_rgb
from paintseg_layers.layers import Decomposition, quantize8
from paintseg_layers.peel.config import PeelConfig
from paintseg_layers.peel.engine import peel_prompts

log = logging.getLogger(__name__)


def decompose(image, prompts=None, *, discover: bool | None = None, max_objects: int = 5,
              min_score: float = MIN_SCORE, discover_config: DiscoverConfig | None = None, painter=None,
              projector=None, config: PeelConfig | AMCPConfig | None = None, seed: int = 0, progress: bool = False,
              threads: int | None = 1, workers: int | None = None,
              pool: str | None = None) -> Decomposition:
    """Peel ``image`` into amodal layers, a background plate and an occlusion graph.

    Parameters
    ----------
    image : array (H, W, 3)
        uint8 or float RGB in [0, 1].
    prompts : list of BoxPrompt, PointPrompt, MaskPrompt or ScribblePrompt, optional
        One per object, in full-image coordinates; their positions become ``prompt_index``.
    discover : bool, optional
        Find objects without prompts (:func:`paintseg_layers.discovery.discover`) and peel them too.
        Default: only when no prompts are given. Discovered objects get the prompt indices after the
        user's, best first; proposals that a user prompt already covers are dropped.
    max_objects, min_score, discover_config
        Bound on the number of discovered objects, their minimum score and the discovery settings.
    painter, projector : str or backend object, optional
        Registry names or instances (defaults: ``telea`` and ``lab``).
    config : PeelConfig or AMCPConfig, optional
        An ``AMCPConfig`` is wrapped as ``PeelConfig(amcp=config)``; when discovering, prompts naming
        the same object are merged (``duplicates="merge"``) unless a ``PeelConfig`` says otherwise.
    seed : int
        Seeds every AMCP run and painting (derived per prompt and round).
    progress : bool
        Show tqdm progress bars.
    threads : int or None
        Cap on the BLAS / OpenMP thread pools while decomposing (see :func:`~paintseg_layers.peel.engine.peel_prompts`).
    workers : int or None
        Prompts segmented at once (see :func:`~paintseg_layers.peel.engine.peel_prompts`); any number gives
        the same layers.
    pool : {None, "process", "thread"}
        Worker processes or threads for the first pass (see :func:`~paintseg_layers.peel.engine.peel_prompts`).

    Returns
    -------
    Decomposition
        Layers front to back (ids ``obj<prompt_index>``), background plate, occlusion graph; each
        layer's ``scores`` hold ``visible_area``, ``amodal_area``, ``hidden_fraction``, ``contrast``,
        ``empty`` and ``seconds``; discovered layers also ``discovered`` and ``discovery_score``. When
        discovery finds nothing and no prompt was given: no layers, the input as the background.

    Raises
    ------
    InputError
        Bad image, prompt, seed, threads or config; two prompts naming the same object
        (``duplicates="error"``).

    Examples
    --------
    >>> import numpy as np
    >>> from paintseg_layers import BoxPrompt
    >>> img = np.full((96, 96, 3), 0.9, np.float32)
    >>> img[20:70, 10:60] = (0.1, 0.2, 0.8); img[40:85, 40:90] = (0.9, 0.2, 0.1)
    >>> d = decompose(img, [BoxPrompt((10, 20, 60, 70)), BoxPrompt((40, 40, 90, 85))], seed=0)
    >>> d.order
    ['obj1', 'obj0']
    """
    user = [] if prompts is None else prompts
    want = (not user) if discover is None else bool(discover)
    if not want:
        return peel_prompts(image, user, painter=painter, projector=projector, config=config, seed=seed,
                            progress=progress, threads=threads, workers=workers, pool=pool)
    rgb = as_rgb(image, name="image")
    user = list(user)
    dcfg = discover_config or DiscoverConfig()
    found = []
    if max_objects > 0:
        # peel_prompts runs AMCP on every prompt: pass the coarse proposals and let it refine them once
        found = discovery.discover(rgb, max_objects=max_objects, projector=projector, painter=painter, seed=seed,
                         min_score=min_score, config=replace(dcfg, refine=False))
        found = discovery.exclude_prompted(found, user, rgb.shape[:2], duplicate_iou=dcfg.duplicate_iou)
    all_prompts = user + [p.prompt() for p in found]
    if not all_prompts:
        log.warning("no objects found: a decomposition with no layers")
        return Decomposition(layers=(), background=quantize8(rgb), graph=nx.DiGraph(),
                             image_size=(rgb.shape[1], rgb.shape[0]), seed=int(seed),
                             backends={"painter": str(painter or "telea"), "projector": str(projector or "lab")},
                             config={"discover": dcfg.to_dict()}, image=quantize8(rgb))
    if config is None:
        config = PeelConfig(duplicates="merge")
    elif isinstance(config, AMCPConfig):
        config = PeelConfig(amcp=config, duplicates="merge")
    dec = peel_prompts(rgb, all_prompts, painter=painter, projector=projector, config=config, seed=seed,
                       progress=progress, threads=threads, workers=workers, pool=pool)
    layers = []
    for layer in dec.layers:
        k = layer.prompt_index - len(user)
        if k >= 0:
            layer = replace(layer, scores={**layer.scores, "discovered": True,
                                           "discovery_score": round(found[k].score, 6)})
        layers.append(layer)
    return replace(dec, layers=tuple(layers))
