"""AMCP settings: one frozen dataclass, checked on construction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from paintseg_layers.errors import InputError, check_known_keys, is_int, is_number


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
        Long side of the working image: the whole image's (downscaled to it) or, with
        ``object_scale``, the cap of an object's view.
    object_scale : bool
        Segment a box or mask prompt on a crop around it, at a scale chosen for the object (see
        :mod:`paintseg_layers.amcp.objectscale`); False runs every prompt on the whole image.
    object_size : int
        With ``object_scale``: the prompt's box spans this many working px on its long side.
    context : float
        With ``object_scale``: the crop reaches this many box sizes beyond the prompt's box on each side.
    max_upscale : float
        With ``object_scale``: a small object's crop is enlarged at most this many times beyond the
        photo's own pixels (1: up to full resolution; 4x measured no better on pasted small objects
        and 1.46x slower in peeling).
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
    inpaint_size : int
        The I-step's cap in place of ``paint_size`` (0: ``paint_size``) where the boundary is re-cut at the
        photo's own resolution afterwards (:func:`step_paint_size`). Its hole is the whole object, filled
        smoothly from the rim; 112 px paints 44 % less (GrabCut-set box IoU 0.8740 vs 0.8719). On views at the
        photo's resolution (no re-cut) it cost generated touching crowds 0.891 -> 0.872 visible IoU: the
        blurred rim keeps a neighbour's pixels, so those views keep ``paint_size``.
    first_keep : int
        First step of a box/point/scribble prompt clusters into 3 groups and keeps the top
        ``first_keep`` as object (the raw potential is heavy-tailed; 1 keeps only the extreme tail).
    refine : bool
        Run the graph-cut refinement after AMCP.
    refine_weight : float
        Weight of the AMCP vote fraction in the refinement's unary term (0 = colour only).
    paint_result : bool
        Paint the final mask out of the image for :attr:`SegmentationResult.painting`.
    boundary_band : float
        After the working-resolution refinement, a box or mask prompt's boundary is re-cut at the photo's own
        resolution in a band of this share of the mask's box side (long side) around it
        (:func:`paintseg_layers.amcp.refine.refine_boundary`); 0 switches it off.
    trust : float
        Below this :attr:`SegmentationResult.confidence` the painting's evidence is called weak and the
        result stays close to the prompt: the refinement ignores the AMCP votes and runs GrabCut's
        colour graph cut from the prompt alone (0 = always follow the painting).
    fragment_span : float
        A box prompt's refined mask whose box spans under this share of the prompt box is a fragment of the
        object: it is cut again with the votes weighted more (:func:`paintseg_layers.amcp.fragment.unfragment`;
        0 switches it off). 0.5 also cut again spread thin objects whose cut kept their bulk (a pasted small
        object 0.535 -> 0.246, the small-object benchmark's 1-2 % band 0.846 -> 0.831) and cost the first peel set
        0.003 amodal IoU; 0.7 cost both peel sets (0.844 / 0.837).
    revote : bool
        After the refinement of a box prompt on a view at the photo's own resolution, vote once more: an I-step
        whose hole is the refined mask dilated, then the refinement again from its mask and votes, kept where it
        overlaps the refined mask by IoU >= ``segmenter.REVOTE_IOU`` (:meth:`Segmenter._revote`); peeling then
        also gives a piece two tight masks share to the one whose contour bounds it
        (:func:`paintseg_layers.peel.joint.bounded_overlaps`). Peel-benchmark harness (first pass re-run, wrong pairs
        of ``--scenes 50`` / ``--first-seed 2000 --scenes 60``, seeds 0 / 1 / 2): 8 / 6, 10 / 8, 11 / 8 against
        9 / 8, 12 / 7, 11 / 7 (seed 0 on 4000 / 50 and 5000 / 60: 12 / 20 against 14 / 20), visible IoU within
        0.002; crowd benchmark touching / nested / similar / composites 0.899 / 0.921 / 0.960 / 0.900 -> 0.902 /
        0.923 / 0.962 / 0.910; GrabCut-set box IoU 0.876 either way. Off: on examples/coffee.png the re-vote drops the
        spoon's neck, which mirrors the cup's red (visible 1954 -> 1866 px, its hidden part a 2043 px wedge
        instead of a 247 px handle; tests/test_coffee.py).
    """

    steps: str = "IOI"
    samples: int = 5
    working_size: int = 320
    object_scale: bool = True
    object_size: int = 192
    context: float = 0.5
    max_upscale: float = 1.0
    dilation: int = 3
    band: int = 7
    crop_scale: float = 1.3
    crop_pad: int = 12
    crop_jitter: int = 3
    paint_size: int = 160
    inpaint_size: int = 112
    first_keep: int = 2
    refine: bool = True
    refine_weight: float = 0.4
    paint_result: bool = True
    boundary_band: float = 0.1
    trust: float = 0.0
    fragment_span: float = 0.25
    revote: bool = False

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
    for name in ("dilation", "band", "crop_pad", "crop_jitter", "paint_size", "inpaint_size"):
        v = getattr(cfg, name)
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise InputError(f"`{name}` must be an integer >= 0, got {v!r}")
    if not cfg.crop_scale >= 1.0:
        raise InputError(f"`crop_scale` must be >= 1, got {cfg.crop_scale!r}")
    if cfg.first_keep not in (1, 2):
        raise InputError(f"`first_keep` must be 1 or 2, got {cfg.first_keep!r}")
    if not isinstance(cfg.object_size, (int, np.integer)) or not 16 <= cfg.object_size <= 4096:
        raise InputError(f"`object_size` must be an integer in [16, 4096], got {cfg.object_size!r}")
    if not is_number(cfg.context) or not 0 <= cfg.context <= 10:
        raise InputError(f"`context` must be a number in [0, 10], got {cfg.context!r}")
    if not is_number(cfg.max_upscale) or not 1 <= cfg.max_upscale <= 16:
        raise InputError(f"`max_upscale` must be a number in [1, 16], got {cfg.max_upscale!r}")
    if not is_number(cfg.boundary_band) or not 0 <= cfg.boundary_band <= 0.5:
        raise InputError(f"`boundary_band` must be a number in [0, 0.5], got {cfg.boundary_band!r}")
    if not is_number(cfg.trust) or not 0 <= cfg.trust <= 1:
        raise InputError(f"`trust` must be a number in [0, 1], got {cfg.trust!r}")
    if not is_number(cfg.fragment_span) or not 0 <= cfg.fragment_span <= 1:
        raise InputError(f"`fragment_span` must be a number in [0, 1], got {cfg.fragment_span!r}")
    for name in ("object_scale", "revote"):
        if not isinstance(getattr(cfg, name), (bool, np.bool_)):
            raise InputError(f"`{name}` must be true or false, got {getattr(cfg, name)!r}")
    if not cfg.refine_weight >= 0:
        raise InputError(f"`refine_weight` must be >= 0, got {cfg.refine_weight!r}")


def step_paint_size(cfg: AMCPConfig, kind: str, recut: bool) -> int:
    """The long side (px) a step of ``kind`` paints its crop at, at most (0: the crop's own size).

    The I-step uses ``inpaint_size`` only where ``recut``: the boundary is re-cut at the photo's own
    resolution afterwards, so the painting decides the coarse shape alone. On a view at the photo's own
    resolution its rim, next to touching neighbours, is the boundary, and keeps ``paint_size``.
    """
    return cfg.inpaint_size if kind == "I" and recut and cfg.inpaint_size else cfg.paint_size
