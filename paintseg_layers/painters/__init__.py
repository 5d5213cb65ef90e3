"""Painters: fill a masked region of an image (see :class:`~paintseg_layers.painters.base.Painter`).

Use :func:`get_painter` with a registered name; :data:`PAINTERS` lists them.
"""

from paintseg_layers.painters.base import Painter
from paintseg_layers.registry import Entry, Registry

PAINTERS = Registry("painter")
PAINTERS.register(Entry("telea", "paintseg_layers.painters.classical:TeleaPainter",
                        summary="OpenCV fast-marching fill (smooth, fast)"))
PAINTERS.register(Entry("ns", "paintseg_layers.painters.classical:NavierStokesPainter",
                        summary="OpenCV Navier-Stokes fill (smooth, fast)"))
PAINTERS.register(Entry("patchmatch", "paintseg_layers.painters.classical:PatchMatchPainter",
                        requires=("patchmatch",), summary="PatchMatch exemplar synthesis (texture, slower)"))
PAINTERS.register(Entry("diffusion", "paintseg_layers.painters.diffusion:DiffusionPainter", extra="diffusion",
                        requires=("diffusers", "transformers"), default_model="stable-diffusion-v1-5/stable-diffusion-inpainting",
                        summary="diffusers inpainting pipeline (GPU recommended)"))

#: The painter used when none is named.
DEFAULT_PAINTER = "telea"


def get_painter(name: str | None = None, **options) -> Painter:
    """Create the painter registered as ``name`` (default :data:`DEFAULT_PAINTER`)."""
    return PAINTERS.create(name or DEFAULT_PAINTER, **options)


__all__ = ["PAINTERS", "DEFAULT_PAINTER", "Painter", "get_painter"]
