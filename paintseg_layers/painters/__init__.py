"""Painters: fill a masked region of an image (see :class:`~paintseg_layers.painters.base.Painter`).

Use :func:`get_painter` with a registered name; :data:`PAINTERS` lists them.
"""

from paintseg_layers.painters.base import BasePainter, Painter
from paintseg_layers.painters.per_step import StepPainters
from paintseg_layers.registry import Entry, Registry

PAINTERS = Registry("painter", Painter)
PAINTERS.register(Entry("telea", "paintseg_layers.painters.classical:OpenCVPainter", options={"method": "telea"},
                        summary="OpenCV fast-marching fill (smooth, fast)"))
PAINTERS.register(Entry("ns", "paintseg_layers.painters.classical:OpenCVPainter", options={"method": "ns"},
                        summary="OpenCV Navier-Stokes fill (smooth, fast)"))
PAINTERS.register(Entry("patchmatch", "paintseg_layers.painters.classical:PatchMatchPainter",
                        requires=("patchmatch",), summary="PatchMatch exemplar synthesis (texture, slower)"))
PAINTERS.register(Entry("diffusion", "paintseg_layers.painters.diffusion:DiffusionPainter", neural=True,
                        extra="diffusion", requires=("diffusers", "transformers"),
                        default_model="stable-diffusion-v1-5/stable-diffusion-inpainting",
                        summary="diffusers inpainting pipeline (GPU recommended)"))

#: The painter used when none is named.
DEFAULT_PAINTER = "telea"


def get_painter(name: str | Painter | None = None, **options) -> Painter:
    """The painter registered as ``name`` (default :data:`DEFAULT_PAINTER`); a painter object is returned as is."""
    return PAINTERS.resolve(name, DEFAULT_PAINTER, **options)


__all__ = ["PAINTERS", "DEFAULT_PAINTER", "BasePainter", "Painter", "StepPainters", "get_painter"]
