"""peel.ellipse's fast paths give what the plain loops give: the rim fit's draws and its support counts."""

from __future__ import annotations

import numpy as np
import pytest

from paintseg_layers.peel.ellipse import TOL, _outline_distances, choice_draws, outline_support


def _numpy_loop(n, trials, seed, size):
    rng = np.random.default_rng(seed)
    return np.array([rng.choice(n, size, replace=False) for _ in range(trials)])


@pytest.mark.parametrize("n", [5, 20, 33, 1408, 9999, 10000, 10001, 400_000])
@pytest.mark.parametrize("seed", [0, 5001, 2**31 - 1])
def test_choice_draws_are_numpys_draws(n, seed):
    for size in (2, 5):
        got = choice_draws(n, 400, seed, size)
        assert got.shape == (400, size)
        assert np.array_equal(got, _numpy_loop(n, 400, seed, size))


def test_choice_draws_are_distinct_and_in_range():
    got = choice_draws(30, 2000, 3)
    assert got.min() >= 0 and got.max() < 30
    assert all(len(set(row)) == 5 for row in got.tolist())


def test_outline_support_counts_what_the_distances_count():
    rng = np.random.default_rng(7)
    for _ in range(8):
        pts = (rng.random((int(rng.integers(1, 2500)), 2)) * 500).astype(np.float32)
        boxes = [((float(rng.random() * 500), float(rng.random() * 400)),
                  (float(rng.random() * 300), float(rng.random() * 300)), float(rng.random() * 180))
                 for _ in range(int(rng.integers(1, 400)))]
        boxes[0] = ((10.0, 10.0), (0.0, 5.0), 0.0)  # degenerate: on no outline
        for tol in (TOL, 25.0):
            want = (_outline_distances(boxes, pts) < tol).sum(axis=1)
            assert np.array_equal(outline_support(boxes, pts, tol=tol), want)
            assert np.array_equal(outline_support(boxes, pts, tol=tol, block=64), want)
    assert outline_support([], np.zeros((3, 2), np.float32)).shape == (0,)
