"""The decomposition data model (``Layer``, ``Decomposition``) and its layer folder on disk (``folder``)."""

from paintseg_layers.layers.model import Decomposition, Layer, quantize8

__all__ = ["Decomposition", "Layer", "quantize8"]
