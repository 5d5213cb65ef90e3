"""The true layer decomposition of a generated scene (what a decomposition is scored against)."""

from __future__ import annotations

import numpy as np

from paintseg_layers.eval.scenes.model import Scene
from paintseg_layers.graph import occlusion_graph
from paintseg_layers.layers import Decomposition, Layer


def ground_truth_decomposition(scene: Scene, *, with_image: bool = True) -> Decomposition:
    """The true :class:`~paintseg_layers.layers.model.Decomposition` of ``scene``.

    Layer ``obj<i>`` is object ``i`` in prompt order; edges ``u -> v`` wherever ``u`` hides part of
    ``v`` (``overlap`` = hidden px, ``confidence`` 1).
    """
    h, w = scene.shape
    ids = [f"obj{i}" for i in range(len(scene.objects))]
    layers = []
    for rank, i in enumerate(scene.depth_order):
        o = scene.objects[i]
        rgba = np.concatenate([o.rgb, o.amodal_mask[..., None].astype(np.float32)], axis=2)
        layers.append(Layer(id=ids[i], prompt_index=i, depth=rank, rgba=rgba.astype(np.float32),
                            visible_mask=o.visible_mask.copy(), amodal_mask=o.amodal_mask.copy(),
                            prompt=scene.prompts("box")[i].to_dict(),
                            scores={"hidden_fraction": round(o.hidden_fraction, 6), "source": o.source}))
    nodes = {ids[i]: {"prompt_index": i, "depth": rank} for rank, i in enumerate(scene.depth_order)}
    graph = occlusion_graph(nodes, [(ids[a], ids[b], {"overlap": px, "confidence": 1.0})
                                    for a, b, px in scene.occlusion_pairs()])
    return Decomposition(layers=tuple(layers), background=scene.background.copy(), graph=graph, image_size=(w, h),
                         seed=scene.seed, backends={"painter": "ground_truth", "projector": "ground_truth"},
                         config={"scene": scene.to_dict()}, image=scene.image.copy() if with_image else None)
