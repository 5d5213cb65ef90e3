"""The discover benchmark's breakdown of false proposals by kind (part, union, leak, background)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "discover_benchmark.py"


def _bench():
    spec = importlib.util.spec_from_file_location("discover_benchmark", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rect(y0, y1, x0, x1):
    m = np.zeros((60, 80), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_false_proposals_are_counted_by_kind():
    bench = _bench()
    a, b = _rect(10, 30, 10, 30), _rect(10, 30, 30, 50)  # two touching true objects
    found = _rect(10, 30, 10, 31)  # object a, found
    patch = _rect(12, 18, 32, 38)  # wholly inside b
    both = _rect(8, 32, 8, 52)  # a and b together
    leak = _rect(5, 30, 40, 75)  # half of b and as much background
    ground = _rect(40, 58, 55, 78)  # no object
    pred = [found, patch, both, leak, ground]
    pairs, _ = bench.match(pred, [a, b])
    assert [(i, j) for i, j, _ in pairs] == [(0, 0)]
    assert bench.false_kinds(pred, [a, b], pairs) == {"part": 1, "union": 1, "leak": 1, "background": 1}
    # nothing proposed or nothing true: every proposal is background, and the counts stay in the order printed
    assert list(bench.false_kinds([ground], [], [])) == list(bench.FALSE_KINDS)
    assert bench.false_kinds([ground], [], [])["background"] == 1
    assert sum(bench.false_kinds([], [a], []).values()) == 0
