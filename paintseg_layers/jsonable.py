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
