"""examples/coffee.png with its three boxes (issue 17): the spoon's tip is the spoon's, its handle continues thin."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from paintseg_layers.imageio import read_image
from paintseg_layers.masks import dilate, erode
from paintseg_layers.peel import decompose
from paintseg_layers.prompts import BoxPrompt

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _decompose(seed: int):
    words = (EXAMPLES / "coffee_parts.prompts").read_text().split()
    boxes = [tuple(float(v) for v in words[k + 1 : k + 5]) for k, word in enumerate(words) if word == "--box"]
    image = read_image(EXAMPLES / "coffee.png")
    return image, decompose(image, [BoxPrompt(b) for b in boxes], seed=seed)


@pytest.fixture(scope="module")
def coffee():
    return _decompose(0)


def test_the_spoons_tip_beside_the_cup_rim_is_the_spoons(coffee):
    image, dec = coffee
    cup, spoon, saucer = (dec.layer(i) for i in range(3))
    tip = np.zeros(image.shape[:2], bool)
    tip[40:50, 217:221] = True  # the handle's tip, right of the rim (looked at: grey steel over the table)
    assert spoon.visible_mask[tip].mean() > 0.9
    assert not cup.visible_mask[tip].any()
    assert cup.depth < spoon.depth < saucer.depth


def test_the_spoons_hidden_part_is_a_thin_handle_not_a_blob(coffee):
    _, dec = coffee
    spoon = dec.layer(1)
    hidden = spoon.amodal_mask & ~spoon.visible_mask
    assert hidden.sum() < 0.3 * spoon.visible_mask.sum()  # was 4197 px amodal for 1903 visible
    rows = np.flatnonzero(hidden.any(axis=1))
    assert hidden.sum() <= 8 * max(1, rows.size)  # a handle at most ~8 px wide



def test_the_spoon_keeps_no_wing_of_the_cups_shaded_red(coffee):
    image, dec = coffee
    cup, spoon = dec.layer(0), dec.layer(1)
    lab = cv2.cvtColor(np.ascontiguousarray(image[..., :3], dtype=np.float32), cv2.COLOR_RGB2Lab)  # (RGB in [0, 1])
    wing = np.zeros(image.shape[:2], bool)
    wing[112:128, 176:206] = True  # between the cup's lit foot and the spoon's bowl (benchmarks/coffee_diagnose.py)
    wing &= (np.hypot(lab[..., 1], lab[..., 2]) >= 22) & (lab[..., 0] < 40)  # its dark red: 314 px
    # the spoon's own segmentation kept 183-184 px of it (seeds 0-3), which no later stage moved; as a lobe of the
    # cup's colour that sticks out of the spoon between the objects (peel.lobes) it goes: 29 px (the lip's edge)
    assert (spoon.visible_mask & wing).sum() < 60, (spoon.visible_mask & wing).sum()
    assert (cup.visible_mask & wing).sum() > 150
    assert spoon.visible_mask.sum() > 1900  # the bowl, its lip and neck stay (1979 px; 2159 with the wing)


def test_the_handles_underside_is_the_cups_and_the_shadow_by_its_foot_the_saucers(coffee):
    _, dec = coffee
    cup, saucer = dec.layer(0), dec.layer(2)
    # tests/data/coffee_regions.png, drawn by hand on 8x crops of the photo (gamma 0.5): 1 is the handle's underside
    # below the joint cut's boundary (y 154-161, x 105-120: the handle's glaze in shade, L* 11-31, above its outline
    # against the shadow at y ~163), 2 the saucer's shadow below the cup foot's contact line, left of the spoon's
    # bowl (x 161-173, y 147-153, L* 1-15: as dark as the foot above the line)
    regions = cv2.imread(str(Path(__file__).parent / "data" / "coffee_regions.png"), cv2.IMREAD_GRAYSCALE)
    handle, shadow = regions == 1, regions == 2
    # before peel.snap: 2 of the handle's 109 px in the cup (the saucer had the rest), 52 of the shadow's 55
    assert cup.visible_mask[handle].mean() > 0.9, cup.visible_mask[handle].sum()
    assert cup.visible_mask[shadow].mean() < 0.2, cup.visible_mask[shadow].sum()
    assert saucer.visible_mask[shadow].mean() > 0.8, saucer.visible_mask[shadow].sum()


def test_the_spoon_keeps_no_spur_of_the_saucers_glaze(coffee):
    _, dec = coffee
    spoon, saucer = dec.layer(1), dec.layer(2)
    # tests/data/coffee_regions.png, 3: the saucer's lit glaze right of the bowl's dark rim (x 216-222, y 146-150,
    # L* 32-53: its lighter streak), drawn by hand; the spoon held 25 of its 35 px as a spur (peel.lobes.MIN_SHARE)
    regions = cv2.imread(str(Path(__file__).parent / "data" / "coffee_regions.png"), cv2.IMREAD_GRAYSCALE)
    spur = regions == 3
    assert spoon.visible_mask[spur].sum() < 5, spoon.visible_mask[spur].sum()
    assert saucer.visible_mask[spur].mean() > 0.9

def _relative_contrast(rgb):
    """Local standard deviation of log lightness (5 x 5): wood grain keeps it in shadow, smooth glaze has little."""
    lum = np.log(rgb.astype(np.float32).mean(axis=-1) + 0.02)
    mean, sq = (cv2.blur(v, (5, 5)) for v in (lum, lum * lum))
    return np.sqrt(np.maximum(sq - mean * mean, 0))


def _saucer_fill(dec):
    """The saucer layer's colours (float RGB) and its hidden interior (2 px in from the edges)."""
    saucer = dec.layer(2)
    rgb = np.asarray(saucer.rgba)[..., :3]
    rgb = rgb.astype(np.float32) / 255 if rgb.dtype == np.uint8 else rgb
    return np.ascontiguousarray(rgb), erode(saucer.amodal_mask & ~saucer.visible_mask, 2)


def test_the_saucers_hidden_interior_is_glaze_not_table_grain(coffee):
    rgb, hidden = _saucer_fill(coffee[1])
    grainy = (_relative_contrast(rgb)[hidden] > 0.1).mean()
    assert grainy < 0.25, grainy  # 0.36 when the fill copied the table and shadow the saucer's mask took


def test_the_saucers_hidden_part_ends_at_its_rim(coffee):
    image, dec = coffee
    saucer = dec.layer(2)
    # the saucer's outline, measured by hand on the photo (3x crops): rim points at (41, 110), (50, 78), (67, 57),
    # (83, 47), (95, 40) left of the cup, (230, 57), (247, 80), (255, 110), (253, 140), (243, 167), (230, 182),
    # (213, 193) right of it, (140, 205), (110, 200), (83, 190), (63, 173), (50, 153), (43, 133) along the front;
    # cv2.fitEllipse of them, grown by 2 px for the hand's error
    rim = np.zeros(image.shape[:2], np.uint8)
    cv2.ellipse(rim, ((149.2, 118.1), (179.3, 217.8), 93.0), 1, -1)
    outside = (saucer.amodal_mask & ~saucer.visible_mask) & ~dilate(rim > 0, 2)
    assert outside.sum() < 30, outside.sum()  # 124 px above the rim, under the cup, before the rim fit
    spill = saucer.visible_mask & ~dilate(rim > 0, 3)
    assert spill.sum() < 150, spill.sum()  # the shadow and table below the rim: 2794 px before
    # the saucer itself stays: 16053 px inside the rim at 333c4c9; since peel.snap gave the cup its handle's
    # underside (108 px) and peel.lobes the spoon's spur to the saucer, 15700 (decomposition seeds 0-11: 15700-16344,
    # as the rim fit trims the front rim)
    assert saucer.visible_mask[rim > 0].sum() > 15600


def test_the_saucers_hidden_interior_is_lit_glaze_not_copied_shadow(coffee):
    rgb, hidden = _saucer_fill(coffee[1])
    lightness = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[..., 0][hidden]  # L* 0-100
    # the saucer's visible glaze: L* median 36.7, its shadow under the cup L* ~5 (darkest decile). Copying that
    # shadow into the hidden interior (the exemplar's own low frequencies) left 19-23 % of it under L* 15 and an
    # L* spread of 11.7-12.3 (three fill seeds, measured); shading interpolated from the surround: 7 %, 7.8-7.9
    dark = (lightness < 15).mean()
    assert dark < 0.12, dark
    assert lightness.std() < 10, lightness.std()
    assert 25 < np.median(lightness) < 45  # still the saucer's glaze (32.2 now), not washed out


def _steep_share(rgb, region):
    """Share of ``region`` where L* changes by more than 6 per px (Sobel): seams and steps, not the glaze's grain."""
    lightness = cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.float32), cv2.COLOR_RGB2LAB)[..., 0]
    grad = np.hypot(cv2.Sobel(lightness, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(lightness, cv2.CV_32F, 0, 1, ksize=3))
    return float((grad[region] / 8 > 6).mean())


def test_the_saucers_hidden_interior_has_no_copied_shadow_steps(coffee):
    rgb, hidden = _saucer_fill(coffee[1])
    # PatchMatch copies patches with the edge of the cup's shadow in them; kept whole as texture, those steps drew
    # seams across the hidden interior: 0.0096-0.0119 of it steeper than 6 L*/px over four fill seeds (0.0113 at
    # this seed), measured; the fill's texture capped at the 90th percentile of the glaze's own: 0.0019-0.0023
    # (the saucer's lit glaze, its confident sources: 0.0065)
    steep = _steep_share(rgb, hidden)
    assert steep < 0.009, steep


@pytest.mark.parametrize("seed", [0, 2])
def test_the_plate_under_the_objects_is_the_lit_table_not_their_shadow(coffee, seed):
    dec = coffee[1] if seed == 0 else _decompose(seed)[1]
    plate = np.asarray(dec.background)
    plate = plate.astype(np.float32) / 255 if plate.dtype == np.uint8 else plate.astype(np.float32)
    under = np.zeros(plate.shape[:2], bool)
    for layer in dec.layers:
        under |= layer.amodal_mask
    lightness = cv2.cvtColor(np.ascontiguousarray(plate[..., :3]), cv2.COLOR_RGB2LAB)[..., 0][under]
    # the saucer's contact shadow (L* ~2-5 below and left of it) left on the plate was continued inward by the fill:
    # mean L* 29.1 under the objects, 29 % of it under L* 15, against L* ~51 on the table round them (seed 0,
    # measured; seed 2's fill test picked telea's star-shaped smear, 26 % under 15); painted out with the objects
    # (peel.plate.contact_shadow) and the fills tested on the hole they paint: 47.0 / 51.7, none under 15
    assert (lightness < 15).mean() < 0.05, (lightness < 15).mean()
    assert lightness.mean() > 42, lightness.mean()
