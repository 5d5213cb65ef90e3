"""The decomposition data model (``Layer``, ``Decomposition``) and its layer-folder files."""

from paintseg_layers.layers.model import Decomposition, Layer, contact_sheet_image, quantize8

__all__ = ["Decomposition", "Layer", "contact_sheet_image", "quantize8"]
