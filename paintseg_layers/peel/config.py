"""Settings of layer peeling."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.errors import InputError, check_known_keys, is_int

AMODAL_MODES = ("shape", "paint", "nearest", "none")
PLATE_MODES = ("union", "peel")
DUPLICATE_MODES = ("error", "merge")


@dataclass(frozen=True)
class PeelConfig:
    """Settings of :func:`decompose`.

    Attributes
    ----------
    amcp : AMCPConfig
        Settings of every AMCP segmentation.
    amodal : {"shape", "paint", "nearest", "none"}
        How hidden parts are recovered: ``shape`` continues the visible contour across the occluder
        (:func:`paintseg_layers.peel.amodal.shape_hidden`; a box prompt's pixels in the object's colours that
        no mask took or a front mask took join it, :func:`~paintseg_layers.peel.amodal.box_claimed`),
        ``paint`` re-segments on the running painting,
        ``nearest`` is the no-painter control, ``none`` keeps the visible mask (see
        :mod:`paintseg_layers.peel.engine`).
    plate : {"union", "peel"}
        How the background plate is painted.
    duplicates : {"error", "merge"}
        What to do with two prompts naming the same object.
    duplicate_iou : float
        Mask IoU from which two prompts count as the same object.
    min_contrast : float
        Share of a mask's pixels that must stand out from its surroundings for it to be an object.
    contact_radius : float
        Local window of the order cue, as a fraction of the image's long side.
    min_confidence : float
        Order evidence below this confidence adds no edge (ambiguous pair).
    learnt_cue : float
        Weight of the learnt ownership cue (:mod:`paintseg_layers.peel.ownership`: a small net, shipped trained, that
        reads a touching pair's mask shapes) in the order evidence, added to the hand-made T-junction and convexity
        cues; 0 orders by the hand-made cues alone. 1 (chosen on held-out sets only): over 1,288 held-out pairs
        (generated scenes, unseen GrabCut cut-outs over photos, nested crowds) 198 -> 148 wrongly ordered pairs
        (docs/order_experiments.md).
    joint : bool
        Partition the image among the objects with one multi-label graph cut
        (:func:`paintseg_layers.peel.joint.joint_labelling`); False gives contested pixels to the
        nearest colour model (:func:`resolve_contested`) and keeps the rest of each mask.
    joint_size : int
        Long side of the joint cut's view (``joint_view``: never enlarged, at least AMCP's ``working_size``; 0:
        the analysed image's own size). The cut gives every boundary pixel one owner, so a coarse view rounds off
        thin parts and steps the boundaries of a large photo: 121 DAVIS frames (854 x 480) measured 0.527 -> 0.538
        visible IoU at 640 against AMCP's 320, GrabCut cut-outs in 640-px photos 0.880 -> 0.909
        (docs/measurements.md, crowded scenes). Photos up to 320 px never change.
    takeback : bool
        After the joint cut, take back what it gave an object inside another object's prompt box far from the
        object's own segmentation (:func:`paintseg_layers.peel.joint.unclaimed_to_owner`). Off by default: it
        orders more pairs right (peel benchmark, eleven first-pass runs: 131 -> 121 wrong pairs) but takes more
        of the objects' own pixels than others' (docs/order_experiments.md).
    hidden_reach : float
        A hidden part reaches at most this many times the visible part's own scale (the radius of a disc of
        the visible area) away from it (:func:`paintseg_layers.peel.amodal.within_reach`): a nearly hidden
        object behind a large occluder cannot flood the occluder's region. 0 turns the bound off.
    plate_dilation : int
        Margin in px (at the AMCP working resolution) added around the objects before the plate is painted;
        a wide margin throws away background the painter could have used (the peel benchmark's plate: 19.3 dB
        with 3 px, 19.8 dB with 1 px), too narrow a one keeps the halo of soft object edges.
    plate_tests : int
        Copies of the hole, shifted over known background, on which the plate's fills compete
        (:func:`paintseg_layers.peel.plate.paint_plate`); 0 paints the plate with the painter alone.
    """

    amcp: AMCPConfig = field(default_factory=AMCPConfig)
    amodal: str = "shape"
    plate: str = "union"
    duplicates: str = "error"
    duplicate_iou: float = 0.85
    min_contrast: float = 0.03
    contact_radius: float = 0.15
    min_confidence: float = 0.02
    learnt_cue: float = 1.0
    joint: bool = True
    joint_size: int = 640
    takeback: bool = False
    hidden_reach: float = 2.0
    analysis_size: int = 1024
    plate_dilation: int = 1
    plate_tests: int = 3

    def __post_init__(self):
        if not isinstance(self.amcp, AMCPConfig):
            raise InputError(f"`amcp` must be an AMCPConfig, got {type(self.amcp).__name__}")
        for name, allowed in (("amodal", AMODAL_MODES), ("plate", PLATE_MODES), ("duplicates", DUPLICATE_MODES)):
            if getattr(self, name) not in allowed:
                raise InputError(f"`{name}` must be one of {allowed}, got {getattr(self, name)!r}")
        for name in ("joint", "takeback"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(f"`{name}` must be True or False, got {getattr(self, name)!r}")
        if isinstance(self.hidden_reach, bool) or not isinstance(self.hidden_reach, (int, float)) \
                or not 0 <= self.hidden_reach <= 100:
            raise InputError(f"`hidden_reach` must be a number in [0, 100], got {self.hidden_reach!r}")
        if isinstance(self.learnt_cue, bool) or not isinstance(self.learnt_cue, (int, float)) \
                or not 0 <= self.learnt_cue <= 10:
            raise InputError(f"`learnt_cue` must be a number in [0, 10], got {self.learnt_cue!r}")
        if not is_int(self.joint_size, 0) or 0 < self.joint_size < 32:
            raise InputError(f"`joint_size` must be 0 (full size) or an integer >= 32, got {self.joint_size!r}")
        if not is_int(self.analysis_size, 0) or 0 < self.analysis_size < 64:
            raise InputError(f"`analysis_size` must be 0 (full size) or an integer >= 64, got {self.analysis_size!r}")
        if isinstance(self.plate_dilation, bool) or not isinstance(self.plate_dilation, int) \
                or not 0 <= self.plate_dilation <= 50:
            raise InputError(f"`plate_dilation` must be an integer in [0, 50], got {self.plate_dilation!r}")
        if not is_int(self.plate_tests, 0, 4):
            raise InputError(f"`plate_tests` must be an integer in [0, 4], got {self.plate_tests!r}")
        for name in ("duplicate_iou", "min_contrast", "contact_radius", "min_confidence"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise InputError(f"`{name}` must be a number in [0, 1], got {v!r}")

    @property
    def joint_view(self) -> int | None:
        """Long side of the joint cut's view: ``joint_size``, never below AMCP's working size (None: full size)."""
        return None if self.joint_size == 0 else max(self.joint_size, self.amcp.working_size)

    @classmethod
    def from_dict(cls, data: dict) -> PeelConfig:
        """Build from a dict; ``amcp`` may be a dict; unknown keys raise :class:`InputError`."""
        check_known_keys(data, {f.name for f in fields(cls)}, "peel")
        data = dict(data)
        if isinstance(data.get("amcp"), dict):
            data["amcp"] = AMCPConfig.from_dict(data["amcp"])
        return cls(**data)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["amcp"] = self.amcp.to_dict()
        return d
