"""Layer peeling: repeated AMCP whose object-free paintings reveal what was hidden."""

from paintseg_layers.peel.engine import (
    AMODAL_MODES,
    PLATE_MODES,
    PeelConfig,
    decompose,
    junction_turn,
    nearest_fill,
    object_contrast,
    order_evidence,
    resolve_contested,
)

__all__ = ["AMODAL_MODES", "PLATE_MODES", "PeelConfig", "decompose", "junction_turn", "nearest_fill",
           "object_contrast", "order_evidence", "resolve_contested"]
