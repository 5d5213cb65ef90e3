"""The faster exact paths of `segment` give the values of the plain numpy / SciPy / scikit-image code they replace."""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage.color import rgb2lab

from paintseg_layers.amcp.refine import _OFFSETS, _pairwise, _quad
from paintseg_layers.masks import connected_to, fill_holes_2d
from paintseg_layers.painters.base import keep_unmasked, paste
from paintseg_layers.projectors.classical import lab_pixels


def test_fill_holes_matches_scipy_on_random_masks():
    rng = np.random.default_rng(0)
    for trial in range(400):
        h, w = rng.integers(1, 30, 2)
        m = rng.random((h, w)) < rng.random() * 0.9
        if trial % 2:
            m = cv2.dilate(m.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        np.testing.assert_array_equal(fill_holes_2d(m), ndi.binary_fill_holes(m))
    ring = np.zeros((9, 9), bool)
    ring[2:7, 2:7] = True
    ring[4, 4] = False
    assert fill_holes_2d(ring)[4, 4]  # an enclosed hole is filled
    ring[4, 2] = False
    assert fill_holes_2d(ring)[4, 4]  # a notch from the outside does not reach the hole
    ring[4, 3] = False
    assert not fill_holes_2d(ring)[4, 4]  # opened to the outside: background


def test_connected_to_keeps_the_components_holding_a_seed_as_scipy_labels_them():
    rng = np.random.default_rng(1)
    eight = np.ones((3, 3), bool)
    for _ in range(300):
        h, w = rng.integers(1, 25, 2)
        m = rng.random((h, w)) < rng.random()
        seed = rng.random((h, w)) < 0.03
        for connectivity, structure in ((4, None), (8, eight)):
            labels, _ = ndi.label(m, structure=structure)
            want = np.isin(labels, np.unique(labels[seed & m])) & m
            np.testing.assert_array_equal(connected_to(m, seed, connectivity=connectivity), want)
    diagonal = np.eye(4, dtype=bool)  # pixels touching only at corners: one component of 8, four of 4
    corner = np.zeros((4, 4), bool)
    corner[0, 0] = True
    assert connected_to(diagonal, corner).sum() == 4
    assert connected_to(diagonal, corner, connectivity=4).sum() == 1


def test_lab_pixels_is_rgb2lab_bit_for_bit():
    rng = np.random.default_rng(1)
    for shape in ((1, 3), (500, 3), (20, 30, 3)):
        x = rng.random(shape).astype(np.float32)
        x.reshape(-1)[::7] = 0.0
        x.reshape(-1)[::11] = 1.0
        x.reshape(-1)[::13] = 0.04045  # the sRGB curve's threshold
        np.testing.assert_array_equal(lab_pixels(x), rgb2lab(x))
    x64 = rng.random((10, 3))
    np.testing.assert_array_equal(lab_pixels(x64), rgb2lab(x64))


def test_paste_and_keep_unmasked_copy_exactly_the_masked_pixels():
    rng = np.random.default_rng(2)
    for shape in ((17, 23, 3), (17, 23)):
        dst, src = rng.random(shape).astype(np.float32), rng.random(shape).astype(np.float32)
        where = rng.random(shape[:2]) > 0.5
        want = dst.copy()
        want[where] = src[where]
        paste(dst, src, where)
        np.testing.assert_array_equal(dst, want)
    image = rng.random((12, 9, 3)).astype(np.float32)
    painted = rng.random((3, 12, 9, 3)).astype(np.float32)
    mask = rng.random((12, 9)) > 0.3
    out = keep_unmasked(image, painted, mask)
    np.testing.assert_array_equal(out[:, mask], painted[:, mask])
    np.testing.assert_array_equal(out[:, ~mask], np.broadcast_to(image[~mask], (3, *image[~mask].shape)))


def test_edge_weights_and_quadratic_form_match_their_formulas():
    rng = np.random.default_rng(3)
    img = rng.random((15, 11, 3)).astype(np.float32)
    padded = np.pad(img, ((1, 1), (1, 1), (0, 0)), mode="edge")
    diffs = [((img - padded[1 + dy : 16 + dy, 1 + dx : 12 + dx]) ** 2).sum(-1) for dy, dx, _ in _OFFSETS]
    beta = 1.0 / (2 * float(np.mean(diffs)) + 1e-8)
    for got, d, (_, _, dist) in zip(_pairwise(img, 50.0), diffs, _OFFSETS):
        np.testing.assert_array_equal(got, 50.0 * np.exp(-beta * d) * dist)
    pix = rng.integers(0, 256, (3, 200)).astype(np.float64)
    mean = rng.random(3) * 255
    a = rng.random((3, 3))
    inv = np.linalg.inv(a @ a.T * 100 + np.eye(3))
    x, y, z = pix - mean[:, None]
    want = (x * (x * inv[0, 0] + 2 * (y * inv[0, 1] + z * inv[0, 2])) + y * (y * inv[1, 1] + 2 * z * inv[1, 2])
            + z * z * inv[2, 2])
    np.testing.assert_array_equal(_quad(pix, mean, inv), want)
