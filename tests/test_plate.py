"""The background plate (issue 18): fills measured on shifted copies of the hole, over backgrounds of known truth."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from paintseg_layers import masks as morph
from paintseg_layers.errors import InputError
from paintseg_layers.painters import get_painter
from paintseg_layers.peel import PeelConfig
from paintseg_layers.peel.plate import (
    DEFAULT_FILL,
    SIGMAS,
    candidate_fills,
    choose_fill,
    known_blur,
    paint_plate,
    push_pull,
    shifted_holes,
)


def _disc(shape=(96, 128), centre=(64, 48), radius=18) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.circle(m, centre, radius, 1, -1)
    return m > 0


def _background(kind: str, seed: int = 0) -> np.ndarray:
    """(96, 128, 3) float32: a smooth two-colour ramp, a fine checker, or smooth noise with grain."""
    yy, xx = np.mgrid[:96, :128].astype(np.float32)
    a, b = np.array((0.9, 0.3, 0.1), np.float32), np.array((0.1, 0.4, 0.9), np.float32)
    if kind == "ramp":
        t = 0.5 + 0.5 * np.sin(xx / 40.0) * np.cos(yy / 30.0)
    elif kind == "checker":
        t = ((yy // 3) + (xx // 3)) % 2
    else:  # grain: fine noise that no fill can predict, over a gentle trend
        rng = np.random.default_rng(seed)
        t = np.clip(0.5 + 0.2 * np.sin(xx / 50.0) + 0.25 * rng.standard_normal((96, 128)), 0, 1)
    return (a * t[..., None] + b * (1 - t[..., None])).astype(np.float32)


def _scene(kind: str):
    """(background, image with a green disc over it, the disc)."""
    bg, removed = _background(kind), _disc()
    image = bg.copy()
    image[removed] = (0.0, 1.0, 0.0)
    return bg, image, removed


def _mse(x, y, region) -> float:
    return float(((x - y)[region] ** 2).mean())


def test_push_pull_keeps_known_pixels_and_fills_with_local_colour():
    image = np.zeros((40, 60, 3), np.float32)
    image[:, :30] = (1.0, 0.0, 0.0)
    image[:, 30:] = (0.0, 0.0, 1.0)
    known = np.ones((40, 60), bool)
    known[15:25, 5:15] = False  # inside the red half
    known[15:25, 45:55] = False  # inside the blue half
    out = push_pull(image, known)
    assert out.dtype == np.float32 and out.shape == image.shape
    assert np.array_equal(out[known], image[known])
    assert np.abs(out[15:25, 5:15] - (1.0, 0.0, 0.0)).max() < 0.05
    assert np.abs(out[15:25, 45:55] - (0.0, 0.0, 1.0)).max() < 0.05
    flat = np.full((30, 30, 3), 0.25, np.float32)
    assert np.allclose(push_pull(flat, _disc((30, 30), (15, 15), 8) == 0), 0.25, atol=1e-5)


def test_known_blur_reads_only_known_pixels():
    image = np.full((30, 30, 3), 0.5, np.float32)
    hole = _disc((30, 30), (15, 15), 6)
    image[hole] = 1.0  # the object's colour must not bleed into the known pixels
    out = known_blur(image, ~hole, 2.0)
    assert np.allclose(out[~hole], 0.5, atol=1e-5)
    assert np.array_equal(out[hole], image[hole])


def test_shifted_holes_lie_over_known_background_at_the_same_size():
    hole = _disc((96, 128), (64, 48), 10)
    copies = shifted_holes(hole, 4)
    assert len(copies) == 4
    for moved in copies:
        assert moved.sum() == hole.sum()  # moved by 2 x its 10 px thickness: inside the image, off the hole
        assert (moved & hole).sum() < 0.05 * hole.sum()
    assert len(shifted_holes(hole, 2)) == 2
    assert shifted_holes(np.ones((20, 20), bool), 4) == []  # nothing known to test on


def test_candidate_fills_change_only_the_hole():
    bg, image, removed = _scene("ramp")
    fills = candidate_fills(image, removed, get_painter("telea"))
    assert len(fills) == len(SIGMAS) + 2
    for fill in fills:
        assert fill.shape == image.shape and fill.dtype == np.float32
        assert np.abs(fill[~removed] - image[~removed]).max() <= 0.5 / 255  # (the painter works on 8 bits)
        assert not np.any(np.all(np.isclose(fill[removed], (0.0, 1.0, 0.0), atol=0.05), axis=-1))


@pytest.mark.parametrize("kind", ["ramp", "checker", "grain"])
def test_plate_takes_the_fill_measured_best_on_the_image(kind):
    painter = get_painter("telea")
    bg, image, removed = _scene(kind)
    alone = paint_plate(image, removed, painter, working_size=128, tests=0)
    chosen = paint_plate(image, removed, painter, working_size=128, tests=2)
    outside = ~morph.dilate(removed, 2)
    assert np.array_equal(chosen[outside], image[outside])  # only the removed region is painted
    assert np.array_equal(chosen, paint_plate(image, removed, painter, working_size=128, tests=2))  # deterministic
    # the choice, made on shifted copies of the hole, is (nearly) the best fill of the real hole too
    errors = [_mse(f, bg, removed) for f in candidate_fills(image, morph.dilate(removed, 1), painter)]
    err_alone, err_chosen = _mse(alone, bg, removed), _mse(chosen, bg, removed)
    assert err_chosen <= min(errors) * 1.05 + 1e-5 and err_chosen <= err_alone, (kind, err_chosen, errors)
    if kind == "ramp":  # the painter's smear copies the edge inwards; a biharmonic fill continues the gradient
        assert err_chosen < 0.2 * err_alone, (err_chosen, err_alone)


def test_choose_fill_picks_a_smooth_fill_for_a_ramp_and_the_mean_for_grain():
    painter = get_painter("telea")
    _, image, removed = _scene("ramp")
    ramp = choose_fill(image, removed, painter, working_size=128, tests=2)
    assert 1 <= ramp <= len(SIGMAS)  # a biharmonic fill: it continues the gradient
    _, image, removed = _scene("grain")
    grain = choose_fill(image, removed, painter, working_size=128, tests=2)
    assert grain != 0 and grain >= ramp  # grain: a blurrier fill than the ramp's, never the smear
    whole = np.ones(removed.shape, bool)
    whole[:2] = False
    assert choose_fill(image, whole, painter, working_size=128, tests=2) == DEFAULT_FILL  # no copy fits


class _Spy:
    """A telea painter that records every hole it is asked to paint."""

    name = "spy"
    chooses_resolution = batches_masks = False

    def __init__(self):
        self.holes, self._telea = [], get_painter("telea")

    def paint(self, image, mask, *, n=1, seed=0):
        self.holes.append(np.asarray(mask, bool).copy())
        return self._telea.paint(image, mask, n=n, seed=seed)


def test_the_painters_test_copies_read_real_background_only():
    _, image, removed = _scene("checker")
    spy = _Spy()
    choose_fill(image, removed, spy, working_size=128, tests=3)
    assert len(spy.holes) == 3
    hole = morph.dilate(removed, 1)  # at the test size (128 // 2 = the fill size 64 x 48 here)
    small = cv2.resize(hole.astype(np.uint8), spy.holes[0].shape[::-1], interpolation=cv2.INTER_AREA) > 0
    for seen in spy.holes:
        # the real hole stays unknown to the painter (no pre-filled pixel is a source), and the copy is painted too
        assert seen[small].all() and seen.sum() > 1.5 * small.sum()


def test_plate_at_a_larger_size_paints_only_the_removed_region():
    bg, image, removed = _scene("ramp")
    big = cv2.resize(image, (256, 192), interpolation=cv2.INTER_NEAREST)
    big_removed = cv2.resize(removed.astype(np.uint8), (256, 192), interpolation=cv2.INTER_NEAREST) > 0
    plate = paint_plate(big, big_removed, get_painter("telea"), working_size=128, tests=2)
    assert plate.shape == big.shape and plate.dtype == np.float32
    outside = ~morph.dilate(big_removed, 3)
    assert np.array_equal(plate[outside], big[outside])
    big_bg = cv2.resize(bg, (256, 192), interpolation=cv2.INTER_NEAREST)
    assert _mse(plate, big_bg, big_removed) < 0.01
    assert np.array_equal(paint_plate(big, np.zeros_like(big_removed), None, tests=2), big)


def test_plate_of_a_hole_covering_the_image_is_the_painters():
    painter = get_painter("telea")
    _, image, _ = _scene("ramp")
    everything = np.ones(image.shape[:2], bool)
    for tests in (0, 3):
        plate = paint_plate(image, everything, painter, working_size=128, tests=tests)
        assert plate.shape == image.shape and np.isfinite(plate).all()
        assert np.array_equal(plate, paint_plate(image, everything, painter, working_size=128, tests=0))


def test_plate_tests_is_checked():
    for bad in (-1, 2.5, True, 5):
        with pytest.raises(InputError, match="plate_tests"):
            PeelConfig(plate_tests=bad)
    assert PeelConfig.from_dict({"plate_tests": 0}).plate_tests == 0
    with pytest.raises(InputError, match="plate_ring"):
        PeelConfig.from_dict({"plate_ring": 4})  # the ring test it replaced is gone: an unknown key
