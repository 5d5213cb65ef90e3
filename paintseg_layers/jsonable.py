"""JSON-ready copies of settings and scores (numpy scalars, tuples and arrays to plain types)."""

from __future__ import annotations

import numpy as np


def jsonable(x):
    """Convert numpy scalars / tuples inside ``x`` to plain JSON types."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def without_timings(x, key: str = "seconds"):
    """A copy of JSON-ready ``x`` with every ``key`` entry (wall-clock timings) removed, at any depth.

    Files that define a result leave timings out, so the same seed gives the same bytes.
    """
    if isinstance(x, dict):
        return {k: without_timings(v, key) for k, v in x.items() if k != key}
    if isinstance(x, list):
        return [without_timings(v, key) for v in x]
    return x
