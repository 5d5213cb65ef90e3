"""Typed, immutable results of :func:`paintseg_layers.eval.run`: per-image records and the report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from paintseg_layers.eval.cache import cache_paths
from paintseg_layers.eval.spec import EvalSpec


def freeze(value):
    """A read-only copy of JSON-like data: mappings become ``MappingProxyType``, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value):
    """Plain ``dict``/``list`` data of :func:`freeze`'s output (for JSON)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class ImageRecord:
    """One image's scores, per method.

    Attributes
    ----------
    name : str
        Image name (file stem).
    size : tuple of int or None
        ``(width, height)`` in pixels.
    object_frac : float or None
        Fraction of the image covered by the ground-truth object.
    seconds, iou, pixel_accuracy, f_beta, boundary_f : Mapping of str to float
        Per method (the clicks protocol: IoU after 5 clicks and seconds per click).
    clicks : Mapping or None
        Clicks protocol only: per method, the click trace (``ious``, ``clicks``, ``noc85``, ``noc90``, ...).
    """

    name: str
    size: tuple | None
    object_frac: float | None
    seconds: Mapping
    iou: Mapping
    pixel_accuracy: Mapping
    f_beta: Mapping
    boundary_f: Mapping
    clicks: Mapping | None = None

    @classmethod
    def from_dict(cls, data: Mapping) -> ImageRecord:
        """The record of a JSON-like dict (as computed by one job or read from the cache)."""
        clicks = data.get("clicks")
        return cls(name=data["name"], size=freeze(data.get("size")), object_frac=data.get("object_frac"),
                   **{k: freeze(data.get(k, {})) for k in ("seconds", "iou", "pixel_accuracy", "f_beta", "boundary_f")},
                   clicks=None if clicks is None else freeze(clicks))

    def to_dict(self) -> dict:
        """JSON-ready dict (the ``images`` entries of the ``paintseg eval --json`` payload)."""
        d = {"name": self.name, "size": thaw(self.size), "object_frac": self.object_frac}
        for k in ("seconds", "iou", "pixel_accuracy", "f_beta", "boundary_f"):
            d[k] = thaw(getattr(self, k))
        if self.clicks is not None:
            d["clicks"] = thaw(self.clicks)
        return d


@dataclass(frozen=True)
class SweepResult:
    """The AMCP methods run once per value of one setting.

    Attributes
    ----------
    name : str
        The swept setting (an :class:`~paintseg_layers.amcp.AMCPConfig` field, ``painter`` or ``projector``).
    values : tuple
        Its values, typed like the setting.
    specs : tuple of EvalSpec
        One per value.
    tables : Mapping
        Value label -> per-method summary (:func:`~paintseg_layers.eval.tables.summarise`).
    images_by_value : Mapping
        Value label -> per-image records.
    """

    name: str
    values: tuple
    specs: tuple
    tables: Mapping
    images_by_value: Mapping


@dataclass(frozen=True)
class EvalReport:
    """Everything one evaluation run found.

    Attributes
    ----------
    protocol : str
        The prompt protocol.
    spec : EvalSpec
        The run's settings (with a sweep: before the sweep is applied).
    samples : tuple of Sample
        The images, in order.
    table : Mapping
        Method -> summary (mean scores, median seconds, ...); with a sweep, the baselines only.
    images : tuple of ImageRecord
        Per-image records, all methods (and all sweep values) merged.
    gallery : tuple of ImageRecord
        The records the report's gallery ranks (with a sweep: baselines and the first value).
    sweep : SweepResult or None
    cache_dir : Path or None
        Where each job's record and masks are kept.
    """

    protocol: str
    spec: EvalSpec
    samples: tuple
    table: Mapping
    images: tuple
    gallery: tuple
    sweep: SweepResult | None = None
    cache_dir: Path | None = None

    @property
    def methods(self) -> dict:
        """Method -> summary, with one ``"<method> (<name>=<value>)"`` entry per sweep value."""
        out = thaw(self.table)
        if self.sweep is not None:
            out.update({f"{m} ({self.sweep.name}={v})": thaw(r)
                        for v, t in self.sweep.tables.items() for m, r in t.items()})
        return out

    def masks_of(self) -> dict[str, Path | None]:
        """Image name -> its cached masks file (of the gallery's spec), or None when not cached."""
        spec = self.spec if self.sweep is None else self.sweep.specs[0]
        out = {}
        for s in self.samples:
            p = cache_paths(self.cache_dir, s, spec)[1] if self.cache_dir is not None else None
            out[s.name] = p if p is not None and p.is_file() else None
        return out

    def to_dict(self) -> dict:
        """The JSON payload of ``paintseg eval --json``."""
        d = {"config": dict(self.spec.config), "spec": self.spec.key_dict()}
        if self.sweep is None:
            return {**d, "methods": self.methods, "images": [r.to_dict() for r in self.images]}
        return {**d, "sweep": {"name": self.sweep.name, "values": list(self.sweep.values)}, "methods": self.methods,
                "sweep_tables": thaw(self.sweep.tables), "images": [r.to_dict() for r in self.images],
                "images_by_value": {v: [r.to_dict() for r in rows] for v, rows in self.sweep.images_by_value.items()}}


__all__ = ["EvalReport", "ImageRecord", "SweepResult", "freeze", "thaw"]
