"""What decides one image's result: the protocols and their methods, :class:`EvalSpec` and its hash.

Four prompt protocols (:data:`PROTOCOLS`), each with its own methods (:data:`PROTOCOL_METHODS`):

* ``box``: the ground truth's bounding box;
* ``coarse``: a seeded degradation of the ground truth (:func:`paintseg_layers.eval.degrade.degrade_mask`),
  the coarse mask's own scores reported beside the refined ones;
* ``scribble``: trimap-style scribbles read from a folder (255 object, 0 background, 128 unmarked),
  or generated from the ground truth (:func:`paintseg_layers.eval.degrade.generate_scribbles`);
* ``clicks``: the simulated-click protocol (:mod:`paintseg_layers.eval.clicks`), NoC@85 / NoC@90.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.errors import InputError
from paintseg_layers.eval.degrade import DegradeConfig

#: Methods of the box protocol, in table order.
BOX_METHODS = ("default", "amcp", "refine_only", "box", "grabcut")

PROTOCOLS = ("box", "coarse", "scribble", "clicks")

#: Methods of each protocol, in table order.
PROTOCOL_METHODS = {
    "box": BOX_METHODS,
    "coarse": ("default", "amcp", "coarse", "grabcut_mask"),
    "scribble": ("default", "amcp", "scribble", "grabcut_mask"),
    "clicks": ("default", "clicks", "grabcut_clicks"),
}

#: Methods whose result depends on the AMCP config and backends (the rest are baselines).
AMCP_METHODS = ("default", "amcp")

#: The prompt itself, per protocol (the "below prompt" column compares against it).
PROMPT_METHOD = {"box": "box", "coarse": "coarse", "scribble": "scribble", "clicks": "clicks"}

#: Settings a sweep accepts besides the :class:`AMCPConfig` fields.
SWEEP_BACKENDS = ("painter", "projector")


@dataclass(frozen=True)
class EvalSpec:
    """Everything that decides one image's result (its hash is part of the cache key).

    Attributes
    ----------
    protocol : str
        One of :data:`PROTOCOLS`.
    methods : tuple of str
        Methods to run (a subset of the protocol's).
    config : dict
        :class:`AMCPConfig` fields.
    painter, projector : str or None
        Registered backend names (None = the library default).
    painter_options, projector_options : dict
        Extra keyword arguments (``model``, ``device``).
    seed : int
    degrade : dict
        :class:`paintseg_layers.eval.degrade.DegradeConfig` fields (coarse protocol).
    scribbles : str or None
        Folder of scribble maps (scribble protocol); None generates them.
    max_clicks, min_clicks : int
    stop_iou : float or None
        Early stop of the click protocol (see :mod:`paintseg_layers.eval.clicks`).
    label : str
        Row label in sweep tables (not part of the hash).
    """

    protocol: str = "box"
    methods: tuple = BOX_METHODS
    config: dict = field(default_factory=lambda: AMCPConfig().to_dict())
    painter: str | None = None
    projector: str | None = None
    painter_options: dict = field(default_factory=dict)
    projector_options: dict = field(default_factory=dict)
    seed: int = 0
    degrade: dict = field(default_factory=dict)
    scribbles: str | None = None
    max_clicks: int = 20
    min_clicks: int = 5
    stop_iou: float | None = 0.90
    label: str = ""

    def __post_init__(self):
        if self.protocol not in PROTOCOLS:
            raise InputError(f"`prompt` must be one of {list(PROTOCOLS)}, got {self.protocol!r}")
        bad = [m for m in self.methods if m not in PROTOCOL_METHODS[self.protocol]]
        if bad:
            raise InputError(f"`methods` of protocol {self.protocol!r} must be among "
                             f"{list(PROTOCOL_METHODS[self.protocol])}, got {bad}")
        if not isinstance(self.max_clicks, (int, np.integer)) or not 1 <= self.max_clicks <= 1000:
            raise InputError(f"`max_clicks` must be an integer in [1, 1000], got {self.max_clicks!r}")
        DegradeConfig.from_dict(self.degrade)  # unknown keys or bad values fail here, not in a worker

    def amcp_config(self) -> AMCPConfig:
        """The AMCP config of the AMCP methods (the painting itself is not needed)."""
        return AMCPConfig.from_dict({**self.config, "paint_result": False})

    def key_dict(self) -> dict:
        """The spec as JSON-ready data, with the code fingerprint and without the label."""
        d = asdict(self)
        d.pop("label")
        d["methods"] = list(self.methods)
        d["code"] = code_fingerprint()
        return d

    def digest(self) -> str:
        """Hash of everything that decides the result (spec and package source)."""
        return hashlib.sha1(json.dumps(self.key_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16]


def sweep_specs(base: EvalSpec, name: str, values) -> tuple[EvalSpec, list[EvalSpec]]:
    """The baselines spec (run once) and one AMCP-only spec per sweep value."""
    baselines = tuple(m for m in base.methods if m not in AMCP_METHODS)
    amcp = tuple(m for m in base.methods if m in AMCP_METHODS) or ("default",)
    specs = []
    for v in values:
        if name in SWEEP_BACKENDS:
            s = replace(base, methods=amcp, label=f"{name}={v}", **{name: v})
        else:
            s = replace(base, methods=amcp, config={**base.config, name: v}, label=f"{name}={v}")
        specs.append(s)
    return replace(base, methods=baselines, label="baselines"), specs


_CODE_FP: dict[tuple[str, ...], str] = {}

#: Presentation only (does not change the numbers): left out of the code fingerprint.
_PRESENTATION = ("cli", "report.py", "tables.py")


def code_fingerprint(exclude: tuple[str, ...] = ()) -> str:
    """Hash of the package's Python source and shipped weights (``*.npz``): a cached result is reused only by the
    same code.

    ``exclude`` names further source files (paths relative to the package, e.g. ``"peel/order.py"``)
    that cannot change the cached result.
    """
    key = tuple(sorted(exclude))
    if key not in _CODE_FP:
        h = hashlib.sha1()
        root = Path(__file__).resolve().parents[1]
        for p in sorted([*root.rglob("*.py"), *root.rglob("*.npz")]):
            rel = p.relative_to(root)
            if rel.parts[0] in _PRESENTATION or p.name in _PRESENTATION or rel.as_posix() in key:
                continue
            h.update(rel.as_posix().encode())
            h.update(p.read_bytes())
        _CODE_FP[key] = h.hexdigest()[:16]
    return _CODE_FP[key]


def image_seed(seed: int, name: str) -> int:
    """The seed of one image's random prompt: depends on the run's seed and the image name only."""
    return (int(seed) * 1_000_003 + zlib.crc32(name.encode())) % (2**31)
