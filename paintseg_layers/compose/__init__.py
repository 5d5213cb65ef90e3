"""The compositor: edits (remove, move, scale, flip, reorder, insert) and rendering of layers."""

from paintseg_layers.compose.edits import (
    Flip,
    Insert,
    InsertImage,
    Lower,
    Raise,
    Remove,
    Scale,
    Translate,
    dumps_edits,
    load_edits,
    save_edits,
)
from paintseg_layers.compose.render import AUTO_FEATHER, apply_edits, compose, render, render_order

__all__ = ["AUTO_FEATHER", "Flip", "Insert", "InsertImage", "Lower", "Raise", "Remove", "Scale", "Translate",
           "apply_edits", "compose", "dumps_edits", "load_edits", "render", "render_order", "save_edits"]
