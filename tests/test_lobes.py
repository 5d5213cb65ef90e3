"""peel.lobes: a lobe of a neighbour's colour that a mask swallowed goes back; the object's own thin parts stay."""

from __future__ import annotations

import numpy as np
import pytest

from paintseg_layers.peel.lobes import release_lobes

RED, STEEL, TABLE = (0.55, 0.12, 0.08), (0.62, 0.62, 0.6), (0.45, 0.3, 0.18)


def _disc(shape, cy, cx, r):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def _scene(seed=0):
    """A steel bowl (with a red reflection, as the coffee spoon's) on a red saucer on a wooden table (the coffee
    photo's size: a lobe may be up to 4 % of the frame deep, ``lobes.MAX_DEPTH``)."""
    shape = (240, 320)
    rng = np.random.default_rng(seed)
    image = np.empty(shape + (3,), np.float32)
    image[:] = TABLE
    saucer = _disc(shape, 120, 160, 100)
    bowl = _disc(shape, 132, 168, 16)
    image[saucer] = RED
    image[bowl] = STEEL
    image[bowl & _disc(shape, 142, 168, 8)] = RED  # the saucer mirrored in the bowl's lower half
    image += rng.normal(0, 0.02, image.shape).astype(np.float32)
    return np.clip(image, 0, 1), saucer, bowl


def test_a_lobe_of_the_neighbours_colour_goes_back_to_it():
    image, saucer, bowl = _scene()
    lobe = np.zeros_like(bowl)
    lobe[108:120, 146:166] = True  # a wing of saucer red above and left of the bowl, 12 px thick
    lobe &= ~bowl
    spoon = bowl | lobe
    out = release_lobes(image, [spoon, saucer & ~spoon], seed=0)
    assert (out[0] & lobe).sum() < 0.1 * lobe.sum(), (out[0] & lobe).sum()  # the wing left the bowl
    assert (out[1] & lobe).sum() > 0.9 * lobe.sum()  # ... to the saucer it is part of
    assert (out[0] & bowl).sum() > 0.97 * bowl.sum()  # the bowl, its red reflection included, stays
    assert not (out[0] & out[1]).any()


@pytest.mark.parametrize("colour", [STEEL, RED])
def test_the_objects_own_thin_handle_and_a_lined_strip_stay(colour):
    image, saucer, bowl = _scene()
    handle = np.zeros_like(bowl)
    handle[86:126, 180:183] = True  # a thin steel handle up from the bowl (joined to it)
    handle &= ~bowl
    image[handle] = STEEL
    # a red strip that lines the bowl's contour (its cut from the bowl is as long as its outline): not a lobe
    strip = _disc(bowl.shape, 132, 168, 19) & ~bowl & (np.mgrid[:240, :320][0] > 136)
    image[strip] = colour
    spoon = bowl | handle | strip
    out = release_lobes(image, [spoon, saucer & ~spoon], seed=0)
    assert (out[0] & handle).sum() == handle.sum()
    assert (out[0] & strip).sum() == strip.sum()
    assert (out[0] & bowl).sum() == bowl.sum()


def test_no_masks_and_lone_objects():
    image, saucer, bowl = _scene()
    assert release_lobes(image, []) == []
    out = release_lobes(image, [bowl], seed=0)
    assert (out[0] == bowl).all()
