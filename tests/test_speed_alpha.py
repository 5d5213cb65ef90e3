"""peel.joint.alpha_expansion's narrow working copy of the labels: the same labels, in the caller's dtype."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import grid_energy

from paintseg_layers.amcp.refine import _pairwise
from paintseg_layers.peel.joint import _label_dtype, alpha_expansion


@pytest.mark.parametrize("n_labels", [3, 130])
def test_alpha_expansion_keeps_the_callers_dtype_and_lowers_the_energy(n_labels):
    rng = np.random.default_rng(0)
    h, w = 14, 17
    img = rng.random((h, w, 3)).astype(np.float32) * 255
    weights = _pairwise(img, 5.0)
    unary = rng.random((h, w, n_labels)) * 10
    start = rng.integers(0, n_labels, (h, w))
    for dtype in (np.int64, np.int32):
        got = alpha_expansion(unary, weights, start.astype(dtype))
        assert got.dtype == dtype and got.shape == (h, w)
        assert got.min() >= 0 and got.max() < n_labels
        assert grid_energy(got, unary, weights) <= grid_energy(start, unary, weights) + 1e-9
    wide, narrow = alpha_expansion(unary, weights, start), alpha_expansion(unary, weights, start.astype(np.int32))
    assert np.array_equal(wide, narrow)


def test_label_dtype_holds_every_label():
    for n in (1, 127, 128, 32767, 32768):
        assert np.iinfo(_label_dtype(n)).max >= n - 1
