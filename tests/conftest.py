"""Shared fixtures: synthetic images with known answers and the development data in ../shared."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GRABCUT = SHARED / "data" / "grabcut"


def load_benchmark(name: str):
    """The module of ``benchmarks/<name>.py`` (the benchmark scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rect(x0, y0, x1, y1, shape=(120, 160)):
    """A bool mask of ``shape`` (default the scenes' 160 x 120) true on ``[y0:y1, x0:x1]``."""
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def grid_energy(labels, unary, weights, pair=None):
    """The labelling energy alpha-expansion minimises, summed pixel by pixel (the tests' reference):
    ``sum D_p(l_p) + sum w_pq V(l_p, l_q)`` over the refinement's 8-neighbourhood offsets, ``V`` the Potts
    model or the (L, L) ``pair`` matrix."""
    from paintseg_layers.amcp.refine import _OFFSETS

    h, w = labels.shape
    e = np.take_along_axis(unary, labels[..., None], 2).sum()
    for (dy, dx, _), wt in zip(_OFFSETS, weights):
        for y in range(h):
            for x in range(w):
                qy, qx = y + dy, x + dx
                if 0 <= qy < h and 0 <= qx < w:
                    a, b = labels[y, x], labels[qy, qx]
                    e += wt[y, x] * (float(a != b) if pair is None else pair[a, b])
    return e


def make_object_scene(h=96, w=128, *, seed=0, box=(40, 28, 90, 72), colour=(0.85, 0.15, 0.1)):
    """A smooth textured background with one ellipse object; returns (image, true mask, box)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    bg = np.stack([
        0.45 + 0.15 * np.sin(xx / 9.0 + rng.uniform(0, 6)),
        0.55 + 0.1 * np.cos(yy / 7.0 + rng.uniform(0, 6)),
        0.5 + 0.1 * np.sin((xx + yy) / 11.0),
    ], axis=-1)
    bg += rng.normal(0, 0.02, bg.shape)
    x0, y0, x1, y1 = box
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    mask = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
    img = bg.copy()
    img[mask] = np.asarray(colour) + rng.normal(0, 0.02, (mask.sum(), 3))
    return np.clip(img, 0, 1).astype(np.float32), mask, box


@pytest.fixture
def scene():
    return make_object_scene()


@pytest.fixture
def grabcut_dir():
    if not (GRABCUT / "images").is_dir():
        pytest.skip("../shared/data/grabcut is not present")
    return GRABCUT
