"""The decomposition data model (``Layer``, ``Decomposition``) and its layer folder on disk (``folder``)."""

from paintseg_layers.layers.model import Decomposition, Layer, is_layer_id, quantize8, visible_masks

__all__ = ["Decomposition", "Layer", "is_layer_id", "quantize8", "visible_masks"]
