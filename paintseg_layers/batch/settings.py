"""The settings of a batch run: everything that changes an output, hashed to key finished work."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.errors import InputError
from paintseg_layers.peel import PeelConfig
from paintseg_layers.version import __version__

#: What a batch can do to each image, and the folder under ``OUT`` that receives the results.
TASKS = {"segment": "masks", "remove": "removed", "decompose": "layers"}


@dataclass(frozen=True)
class BatchSettings:
    """What every image of a batch is processed with (the engine and worker count are not part of it).

    Attributes
    ----------
    task : {"segment", "remove", "decompose"}
    painter, projector : str
        Registry names.
    painter_options, projector_options : dict
        Keyword arguments of the backends (``model``, ``device``, ...), JSON-ready.
    o_painter : str or None
        A different painter for O-steps (a preset's), with ``o_painter_options``; None: ``painter`` paints both.
    config : dict
        ``AMCPConfig.to_dict()`` (segment, remove) or ``PeelConfig.to_dict()`` (decompose).
    seed : int
        Used for every image.
    discover : bool
        Discover objects in images without prompts (and, for decompose, beside the given ones).
    max_objects : int
        At most this many discovered objects per image.
    contact_sheet : bool
        Decompose: also draw each folder's ``contact_sheet.png``.
    version : str
        The package version that computes the outputs.
    """

    task: str
    painter: str = "telea"
    projector: str = "lab"
    painter_options: dict = field(default_factory=dict)
    projector_options: dict = field(default_factory=dict)
    o_painter: str | None = None
    o_painter_options: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    seed: int = 0
    discover: bool = False
    max_objects: int = 5
    contact_sheet: bool = False
    version: str = __version__

    def __post_init__(self):
        if self.task not in TASKS:
            raise InputError(f"`task` must be one of {sorted(TASKS)}, got {self.task!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"`seed` must be an integer >= 0, got {self.seed!r}")
        if isinstance(self.max_objects, bool) or not isinstance(self.max_objects, int) or self.max_objects < 1:
            raise InputError(f"`max_objects` must be an integer >= 1, got {self.max_objects!r}")
        for name in ("painter_options", "projector_options", "o_painter_options", "config"):
            try:
                json.dumps(getattr(self, name), sort_keys=True)
            except TypeError as exc:
                raise InputError(
                    f"`{name}` must be JSON-ready (strings, numbers, lists, dicts), got an error: {exc}"
                ) from None
        self.peel_config() if self.task == "decompose" else self.amcp_config()  # check the config now

    def amcp_config(self) -> AMCPConfig:
        """The AMCP settings (segment, remove)."""
        return AMCPConfig.from_dict(self.config)

    def peel_config(self) -> PeelConfig:
        """The peeling settings (decompose)."""
        return PeelConfig.from_dict(self.config)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> BatchSettings:
        return cls(**data)

    def digest(self) -> str:
        """16 hex digits that change with any setting (the version included)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]
