"""Contract checks shared by every painter and projector backend (classical and neural)."""

from __future__ import annotations

import numpy as np
import pytest

from paintseg_layers.errors import InputError


def small_image(h=40, w=48, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    img = np.stack([xx / w, yy / h, 0.5 + 0.3 * np.sin(xx / 3.0)], -1) + rng.normal(0, 0.05, (h, w, 3))
    return np.clip(img, 0, 1).astype(np.float32)


def hole(h=40, w=48):
    m = np.zeros((h, w), bool)
    m[12:28, 14:34] = True
    return m


def check_painter_contract(painter, *, expect_seed_variation: bool = True):
    img, m = small_image(), hole()
    out = painter.paint(img, m, n=2, seed=3)
    assert out.shape == (2, *img.shape) and out.dtype == np.float32
    assert np.array_equal(out[:, ~m], np.broadcast_to(img[~m], out[:, ~m].shape)), "unmasked pixels changed"
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    again = painter.paint(img, m, n=2, seed=3)
    assert np.array_equal(out, again), "same seed must give the same paintings"
    if expect_seed_variation:
        other = painter.paint(img, m, n=2, seed=4)
        assert not np.array_equal(out, other), "different seeds must give different paintings"
    # uint8 input accepted
    out8 = painter.paint((img * 255).astype(np.uint8), m, n=1, seed=0)
    assert out8.shape == (1, *img.shape)
    with pytest.raises(InputError, match="mask"):
        painter.paint(img, m[:-1], n=1)
    with pytest.raises(InputError, match="`n`"):
        painter.paint(img, m, n=0)
    with pytest.raises(InputError, match="image"):
        painter.paint(img[..., 0:2], m, n=1)
    empty = painter.paint(img, np.zeros_like(m), n=1)
    assert np.array_equal(empty[0], img)


def check_projector_contract(projector):
    imgs = np.stack([small_image(seed=0), small_image(seed=1)])
    f = projector.project(imgs)
    assert f.ndim == 4 and f.shape[:3] == imgs.shape[:3] and f.dtype == np.float32
    assert np.isfinite(f).all()
    assert np.allclose(projector.project(imgs), f), "projection must be deterministic"
    one = projector.project(imgs[:1])
    assert np.allclose(one[0], f[0], atol=1e-4), "batching must not change an image's features"
    assert not np.allclose(f[0], f[1]), "different images must give different features"
    with pytest.raises(InputError, match="images"):
        projector.project(np.zeros((2, 8, 8, 2), np.float32))
