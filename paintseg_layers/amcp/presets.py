"""Named backend presets: which painter, projector and AMCP settings to run, by one name.

``paper`` is the reference implementation's setting (lxa9867/PaintSeg, ``scripts/PaintSeg.py``):
Stable Diffusion inpainting at 512 px and DINO ViT-B/8 features at 480 px; ``paper-dinov2`` swaps in
DINOv2 ViT-B/14 at 840 px. The library's own default (``telea`` + ``lab``) needs no weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from paintseg_layers.amcp.config import AMCPConfig
from paintseg_layers.errors import InputError
from paintseg_layers.painters import Painter, StepPainters, get_painter
from paintseg_layers.projectors import Projector, get_projector

SD_INPAINTING = "stable-diffusion-v1-5/stable-diffusion-inpainting"


@dataclass(frozen=True)
class Preset:
    """Backends and AMCP settings under one name.

    Attributes
    ----------
    name : str
    painter, projector : str
        Registered backend names.
    painter_options, projector_options : dict
        Constructor options (model ids, sizes).
    o_painter, o_painter_options : str or None, dict
        A different painter for O-steps (None: ``painter`` paints both step kinds).
    amcp : dict
        :class:`AMCPConfig` fields the preset sets.
    summary : str
    """

    name: str
    painter: str
    projector: str
    painter_options: dict = field(default_factory=dict)
    projector_options: dict = field(default_factory=dict)
    o_painter: str | None = None
    o_painter_options: dict = field(default_factory=dict)
    amcp: dict = field(default_factory=dict)
    summary: str = ""

    def config(self, base: AMCPConfig | None = None) -> AMCPConfig:
        """``base`` (default :class:`AMCPConfig`) with the preset's AMCP fields set."""
        return replace(base or AMCPConfig(), **self.amcp)

    def backends(self, *, device=None, local_files_only: bool | None = None) -> tuple[Painter, Projector]:
        """``(painter, projector)`` built from the preset (a :class:`StepPainters` when ``o_painter`` is set)."""
        run = {k: v for k, v in (("device", device), ("local_files_only", local_files_only)) if v is not None}
        return build_backends(self.painter, {**self.painter_options, **run}, self.projector,
                              {**self.projector_options, **run}, self.o_painter,
                              {**self.o_painter_options, **run})


def build_backends(painter: str, painter_options: dict, projector: str, projector_options: dict,
                   o_painter: str | None = None, o_painter_options: dict | None = None
                   ) -> tuple[Painter, Projector]:
    """``(painter, projector)`` instances from registry names and constructor options; with ``o_painter``
    the painter is a :class:`StepPainters` that paints O-steps with it."""
    paint = get_painter(painter, **painter_options)
    if o_painter is not None:
        paint = StepPainters(paint, get_painter(o_painter, **(o_painter_options or {})))
    return paint, get_projector(projector, **projector_options)


_PAPER = Preset(
    "paper", painter="diffusion", projector="dino",
    painter_options={"model": SD_INPAINTING, "resolution": 512},
    projector_options={"model": "facebook/dino-vitb8", "input_size": 480},
    amcp={"steps": "IOIOI", "samples": 5},
    summary="reference settings: SD inpainting at 512 px, DINO ViT-B/8 at 480 px, IOIOI x 5 samples")

#: Presets by name.
PRESETS: dict[str, Preset] = {
    "paper": _PAPER,
    "paper-dinov2": replace(_PAPER, name="paper-dinov2", projector="dinov2",
                            projector_options={"model": "facebook/dinov2-base", "input_size": 840},
                            summary="reference settings with DINOv2 ViT-B/14 at 840 px"),
    "default": Preset("default", painter="telea", projector="lab", summary="weight-free: OpenCV fill, Lab colour"),
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; an unknown name raises :class:`InputError` listing the known ones."""
    if name not in PRESETS:
        raise InputError(f"`preset` must be one of {sorted(PRESETS)}, got {name!r}")
    return PRESETS[name]


__all__ = ["PRESETS", "Preset", "build_backends", "get_preset"]
