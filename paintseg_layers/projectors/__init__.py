"""Projectors: per-pixel feature maps in which paintings are contrasted with the original."""

from paintseg_layers.projectors.base import BaseProjector, Projector
from paintseg_layers.registry import Entry, Registry

PROJECTORS = Registry("projector", Projector)
PROJECTORS.register(Entry("lab", "paintseg_layers.projectors.classical:LabProjector",
                          summary="CIE Lab colour (weight-free)"))
PROJECTORS.register(Entry("texture", "paintseg_layers.projectors.classical:TextureProjector",
                          summary="Lab colour + multi-scale texture (weight-free)"))
PROJECTORS.register(Entry("dino", "paintseg_layers.projectors.dino:DinoProjector", neural=True, extra="diffusion",
                          requires=("transformers",), default_model="facebook/dino-vits8",
                          summary="DINO ViT patch features (transformers)"))
PROJECTORS.register(Entry("dinov2", "paintseg_layers.projectors.dino:Dinov2Projector", neural=True, extra="diffusion",
                          requires=("transformers",), default_model="facebook/dinov2-small",
                          summary="DINOv2 ViT patch features (transformers)"))

#: The projector used when none is named.
DEFAULT_PROJECTOR = "lab"


def get_projector(name: str | Projector | None = None, **options) -> Projector:
    """The projector registered as ``name`` (default :data:`DEFAULT_PROJECTOR`); a projector object as is."""
    return PROJECTORS.resolve(name, DEFAULT_PROJECTOR, **options)


__all__ = ["PROJECTORS", "DEFAULT_PROJECTOR", "BaseProjector", "Projector", "get_projector"]
