"""AMCP settings: one frozen dataclass, checked on construction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from paintseg_layers.errors import InputError, check_known_keys, is_int


@dataclass(frozen=True)
class AMCPConfig:
    """Settings of one AMCP segmentation (all sizes in working-resolution px).

    Attributes
    ----------
    steps : str
        The step sequence, e.g. ``"IOIOI"`` (the reference default) or ``"I"``.
    samples : int
        Painted samples per step, ``N`` (>= 1).
    working_size : int
        Long side of the working resolution (images larger than this are downscaled).
    dilation : int
        I-step: the mask is dilated by this many px (jittered +-1 per sample) before painting.
    band : int
        O-step: width of the background band painted around the mask (jittered +-2 per sample).
    crop_scale : float
        Paint and contrast on a crop of this many times the mask's box (plus ``crop_pad`` px).
    crop_pad : int
        Minimum context around the mask in the crop.
    crop_jitter : int
        Random shift of the crop per step, in px.
    paint_size : int
        The painter works on the crop downscaled to at most this long side (0 = crop size); its
        fill is upsampled into the hole. Smooth painters lose nothing; it bounds their cost.
    first_keep : int
        First step of a box/point/scribble prompt clusters into 3 groups and keeps the top
        ``first_keep`` as object (the raw potential is heavy-tailed; 1 keeps only the extreme tail).
    refine : bool
        Run the graph-cut refinement after AMCP.
    refine_weight : float
        Weight of the AMCP vote fraction in the refinement's unary term (0 = colour only).
    paint_result : bool
        Paint the final mask out of the image for :attr:`SegmentationResult.painting`.
    """

    steps: str = "IOI"
    samples: int = 5
    working_size: int = 320
    dilation: int = 3
    band: int = 7
    crop_scale: float = 1.3
    crop_pad: int = 12
    crop_jitter: int = 3
    paint_size: int = 160
    first_keep: int = 2
    refine: bool = True
    refine_weight: float = 0.4
    paint_result: bool = True

    def __post_init__(self):
        check_config(self)

    @classmethod
    def from_dict(cls, data: dict) -> AMCPConfig:
        """Build from a dict (e.g. a recipe file); unknown keys raise :class:`InputError`."""
        check_known_keys(data, {f.name for f in fields(cls)}, "AMCP")
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


def check_config(cfg: AMCPConfig) -> None:
    """One :class:`InputError` per broken rule, naming the field and the received value."""
    if not isinstance(cfg.steps, str) or not cfg.steps or set(cfg.steps.upper()) - {"I", "O"}:
        raise InputError(f"`steps` must be a non-empty string of I and O (e.g. 'IOIOI'), got {cfg.steps!r}")
    if not is_int(cfg.samples, 1):
        raise InputError(f"`samples` must be an integer >= 1, got {cfg.samples!r}")
    if not isinstance(cfg.working_size, (int, np.integer)) or not 32 <= cfg.working_size <= 4096:
        raise InputError(f"`working_size` must be an integer in [32, 4096], got {cfg.working_size!r}")
    for name in ("dilation", "band", "crop_pad", "crop_jitter", "paint_size"):
        v = getattr(cfg, name)
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise InputError(f"`{name}` must be an integer >= 0, got {v!r}")
    if not cfg.crop_scale >= 1.0:
        raise InputError(f"`crop_scale` must be >= 1, got {cfg.crop_scale!r}")
    if cfg.first_keep not in (1, 2):
        raise InputError(f"`first_keep` must be 1 or 2, got {cfg.first_keep!r}")
    if not cfg.refine_weight >= 0:
        raise InputError(f"`refine_weight` must be >= 0, got {cfg.refine_weight!r}")
