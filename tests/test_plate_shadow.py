"""The plate paints out the objects' contact shadow (issue 17, coffee.png's saucer), and only a contact shadow."""

from __future__ import annotations

import cv2
import numpy as np

from paintseg_layers.painters import get_painter
from paintseg_layers.peel.plate import contact_shadow, paint_plate

SHAPE = (96, 128)


def _disc(centre=(64, 44), radius=20) -> np.ndarray:
    m = np.zeros(SHAPE, np.uint8)
    cv2.circle(m, centre, radius, 1, -1)
    return m > 0


def _table(seed: int = 0) -> np.ndarray:
    """A light wood-like background: brown with horizontal grain."""
    rng = np.random.default_rng(seed)
    grain = cv2.GaussianBlur(rng.standard_normal((SHAPE[0], 1)).astype(np.float32), (0, 0), 1.0)
    t = np.clip(0.75 + 0.08 * grain + 0.03 * rng.standard_normal(SHAPE), 0, 1).astype(np.float32)
    return np.stack([t * 0.85, t * 0.6, t * 0.4], axis=-1).astype(np.float32)


def _lightness(rgb) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.float32), cv2.COLOR_RGB2LAB)[..., 0]


def _with_object(background, shade):
    """``background`` darkened by ``shade`` (0-1), with a green disc over it."""
    disc = _disc()
    image = (background * shade[..., None]).astype(np.float32)
    image[disc] = (0.1, 0.8, 0.2)
    return image, disc


def test_a_contact_shadow_is_painted_out_with_its_object():
    table, disc = _table(), _disc()
    # the disc rests on the table and casts an umbra down and to the left, soft at its far edge
    cast = _disc(centre=(58, 52), radius=24)  # under the disc too: darkest where the disc meets the table
    crescent = cast & ~disc
    shade = 1 - 0.97 * cv2.GaussianBlur(cast.astype(np.float32), (0, 0), 1.0)
    image, removed = _with_object(table, shade)
    shadow = contact_shadow(image, removed)
    assert not (shadow & removed).any()
    assert shadow[crescent & (shade < 0.3)].mean() > 0.9  # the umbra
    assert not shadow[~_disc(centre=(58, 52), radius=28)].any()  # and nothing far from it
    painter = get_painter("telea")
    plate = paint_plate(image, removed, painter, working_size=128)
    kept = paint_plate(image, removed, painter, working_size=128, shadows=False)
    truth = _lightness(table)[removed].mean()
    # left on the plate, the shadow is continued inward (L* 53.5 -> 24.0); painted out: 50.6, the crescent 52.2 (53.6)
    assert abs(_lightness(plate)[removed].mean() - truth) < 5
    assert _lightness(kept)[removed].mean() < truth - 10
    assert abs(_lightness(plate)[crescent].mean() - _lightness(table)[crescent].mean()) < 5


def test_a_dark_background_beside_an_object_is_not_a_shadow():
    table = _table(1)
    yy, xx = np.mgrid[: SHAPE[0], : SHAPE[1]].astype(np.float32)
    # a dark region of the background that borders the disc and darkens gradually, with its own shading
    shade = np.clip(0.15 + 0.85 * (xx - 20) / 40, 0.15, 1.0) * (0.8 + 0.2 * np.sin(yy / 6))
    image, removed = _with_object(table, shade.astype(np.float32))
    assert not contact_shadow(image, removed).any()
    painter = get_painter("telea")
    np.testing.assert_array_equal(paint_plate(image, removed, painter, working_size=128),
                                  paint_plate(image, removed, painter, working_size=128, shadows=False))


def test_a_background_dark_all_round_is_not_a_shadow():
    image, removed = _with_object(_table(2), np.full(SHAPE, 0.04, np.float32))
    assert not contact_shadow(image, removed).any()
