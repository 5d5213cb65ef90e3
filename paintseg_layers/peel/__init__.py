"""Layer peeling: repeated AMCP whose object-free paintings reveal what was hidden.

``entry`` (:func:`decompose`, the one entry point, with or without discovery), ``engine`` (the peeling
rounds), ``config`` (:class:`PeelConfig`), ``first_pass`` (segment, de-duplicate, share contested pixels),
``joint`` (the multi-label graph cut), ``order`` (depth cues and the occlusion graph), ``ownership`` (the learnt
depth cue), ``amodal`` (hidden parts).
"""

from paintseg_layers.peel.amodal import nearest_fill, within_reach
from paintseg_layers.peel.config import AMODAL_MODES, PLATE_MODES, PeelConfig
from paintseg_layers.peel.engine import peel_prompts
from paintseg_layers.peel.entry import decompose
from paintseg_layers.peel.first_pass import object_contrast, resolve_contested
from paintseg_layers.peel.order import junction_turn, order_evidence, order_graph

__all__ = ["AMODAL_MODES", "PLATE_MODES", "PeelConfig", "decompose", "junction_turn", "nearest_fill",
           "object_contrast", "order_evidence", "order_graph", "peel_prompts", "resolve_contested", "within_reach"]
