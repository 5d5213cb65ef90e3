"""The compositor: edits (remove, move, scale, flip, reorder, insert), edit scripts and rendering of layers.

``edits`` (the edit dataclasses), ``script`` (JSON / TOML edit scripts), ``placed`` (a layer's
geometry under edit), ``apply`` (:func:`apply_edits`, :func:`compose`), ``render`` (:func:`render`).
"""

from paintseg_layers.compose.apply import apply_edits, compose
from paintseg_layers.compose.edits import Flip, Insert, InsertImage, Lower, Raise, Remove, Scale, Translate
from paintseg_layers.compose.placed import AUTO_FEATHER
from paintseg_layers.compose.render import render, render_order
from paintseg_layers.compose.script import dumps_edits, load_edits, save_edits

__all__ = ["AUTO_FEATHER", "Flip", "Insert", "InsertImage", "Lower", "Raise", "Remove", "Scale", "Translate",
           "apply_edits", "compose", "dumps_edits", "load_edits", "render", "render_order", "save_edits"]
