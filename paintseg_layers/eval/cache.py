"""Per-image result cache: one job's record (JSON) and masks (NPZ), written atomically.

A job's files are ``<cache>/<protocol>/<name>.<digest>.json|npz``, the digest hashing the spec and
the package's source (:meth:`~paintseg_layers.eval.spec.EvalSpec.digest`). A truncated or damaged
entry is reported and recomputed, never trusted.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from paintseg_layers.eval.datasets import Sample
from paintseg_layers.eval.spec import EvalSpec

log = logging.getLogger(__name__)

#: Keys every cached record must hold.
_RECORD_KEYS = ("name", "seconds", "iou")


def cache_paths(cache_dir, sample: Sample, spec: EvalSpec) -> tuple[Path, Path]:
    """``(record.json, masks.npz)`` of one job: ``<cache>/<protocol>/<name>.<digest>.*``."""
    folder, stem = Path(cache_dir) / spec.protocol, f"{sample.name}.{spec.digest()}"
    return folder / (stem + ".json"), folder / (stem + ".npz")


def save_masks(path: Path, masks: dict) -> None:
    """Write ``{name: array}`` to ``path`` (bool arrays bit-packed), atomically."""
    arrays = {}
    for k, m in masks.items():
        m = np.asarray(m)
        arrays[k] = np.packbits(m.astype(bool)) if m.dtype == bool else m
        arrays[k + "__shape"] = np.asarray(m.shape)
        arrays[k + "__bool"] = np.asarray(m.dtype == bool)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def load_masks(path) -> dict:
    """The masks of one cached job (see :func:`save_masks`)."""
    out = {}
    with open(path, "rb") as f, np.load(f) as z:  # our own handle: np.load leaks its own on a damaged file
        for k in z.files:
            if k.endswith("__shape") or k.endswith("__bool"):
                continue
            shape = tuple(z[k + "__shape"])
            if bool(z[k + "__bool"]):
                out[k] = np.unpackbits(z[k])[: int(np.prod(shape))].reshape(shape).astype(bool)
            else:
                out[k] = z[k]
    return out


def read_entry(paths, sample: Sample) -> dict | None:
    """The cached record of one job, or None when missing, truncated or damaged (then it is recomputed)."""
    jpath, npath = paths
    if not (jpath.is_file() and npath.is_file()):
        return None
    try:
        rec = json.loads(jpath.read_text())
        if not isinstance(rec, dict) or any(k not in rec for k in _RECORD_KEYS) or rec["name"] != sample.name:
            raise ValueError("not a record of this image")
        masks = load_masks(npath)
        if any(m not in masks for m in rec["iou"]):
            raise ValueError("masks missing")
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        log.warning("damaged cache entry %s (%s): recomputing", jpath, e)
        return None
    return rec


def write_entry(paths, record: dict, masks: dict) -> None:
    """Write one job's masks, then its record (the record's presence marks the job done)."""
    jpath, npath = paths
    jpath.parent.mkdir(parents=True, exist_ok=True)
    save_masks(npath, masks)
    tmp = jpath.with_name(f".{jpath.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, jpath)
