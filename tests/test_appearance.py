"""peel.appearance.confident_sources: a hidden part's exemplars are the object's pixels, not what its mask took."""

from __future__ import annotations

import numpy as np

from paintseg_layers.peel.appearance import confident_sources, own_appearance, split_fill


def _saucer_on_wood(seed=0):
    """A smooth red disc on a grained brown table, its mask spilling onto the table; a grey bar hides its lower half."""
    rng = np.random.default_rng(seed)
    h, w = 120, 160
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    grain = 0.5 + 0.5 * np.sin(xx / 2.0 + 3 * np.sin(yy / 15.0))  # dark and light streaks
    rgb = np.stack([0.55 + 0.15 * grain, 0.3 + 0.1 * grain, 0.15 + 0.05 * grain], -1).astype(np.float32)
    disc = (xx - 80) ** 2 + (yy - 60) ** 2 <= 40**2
    rgb[disc] = (0.7, 0.12, 0.05)
    rgb += rng.normal(0, 0.01, rgb.shape).astype(np.float32)
    spill = ~disc & (yy > 60) & ((xx - 80) ** 2 + (yy - 60) ** 2 <= 48**2)  # a crescent of table in the mask
    bar = (yy >= 70) & (yy < 100) & (xx >= 50) & (xx < 110)  # the crescent borders the hidden part
    rgb[bar] = (0.5, 0.5, 0.5)
    visible = (disc | spill) & ~bar
    return np.clip(rgb, 0, 1), disc, spill, visible, visible | (disc & bar)


def test_the_table_a_mask_took_is_no_source():
    rgb, disc, spill, visible, amodal = _saucer_on_wood()
    src = confident_sources(rgb, visible, amodal, seed=0)
    assert not (src & ~visible).any()
    assert src[spill].mean() < 0.1  # the crescent of table is left out ...
    assert src[disc & visible].mean() > 0.95  # ... the disc's own pixels stay


def test_the_hidden_part_is_filled_with_the_objects_colour_not_the_tables():
    rgb, disc, spill, visible, amodal = _saucer_on_wood()
    hidden = amodal & ~visible
    out = own_appearance(rgb, visible, amodal, seed=0)
    # the red (0.7, 0.12, 0.05) against the table's browns (red 0.55-0.7, green 0.3-0.4)
    assert (out[hidden][:, 1] > 0.22).mean() < 0.01  # 0.047 with every visible pixel a source


def test_an_object_of_the_tables_colours_keeps_every_source():
    rgb, disc, spill, visible, amodal = _saucer_on_wood()
    rgb[disc] = rgb[~disc & ~spill].mean(0)  # the disc has the table's mean colour: nothing tells them apart
    src = confident_sources(rgb, visible, amodal, seed=0)
    assert src.sum() >= 0.25 * visible.sum()


def test_same_seed_same_sources_and_tiny_objects_keep_theirs():
    rgb, disc, spill, visible, amodal = _saucer_on_wood()
    a = confident_sources(rgb, visible, amodal, seed=3)
    assert np.array_equal(a, confident_sources(rgb, visible, amodal, seed=3))
    tiny = np.zeros_like(visible)
    tiny[60:64, 80:84] = True
    assert np.array_equal(confident_sources(rgb, tiny, tiny, seed=0), tiny)


def test_a_copied_dark_blotch_becomes_the_surrounds_shade_and_the_texture_stays_damped():
    h, w = 80, 80
    yy, xx = np.mgrid[:h, :w]
    hole = (yy >= 10) & (yy < 70) & (xx >= 10) & (xx < 70)
    stripes = 0.1 * np.where(xx % 2 == 0, 1.0, -1.0)  # 1-px texture: the exemplar's high frequencies
    filled = np.full((h, w, 3), 0.6, np.float32)
    filled[hole] += stripes[hole][:, None]
    blotch = (yy >= 20) & (yy < 60) & (xx >= 20) & (xx < 60)
    filled[blotch] -= 0.4  # a copied shadow: low frequencies the surround does not have
    out = split_fill(filled, hole, ~hole, sigma=6.0, detail=0.7)
    assert np.array_equal(out[~hole], filled[~hole])
    centre = blotch & (yy >= 35) & (yy < 45) & (xx >= 35) & (xx < 45)
    assert abs(out[centre].mean() - 0.6) < 0.03  # was 0.2: the shade is the surround's
    amplitude = np.abs(out[centre] - out[centre].mean()).mean()
    assert 0.05 < amplitude < 0.09  # 0.7 x the stripes' 0.1
    assert np.array_equal(split_fill(filled, hole, ~hole, sigma=0.0, detail=0.7), filled)


def test_a_copied_step_is_cut_to_the_sources_texture_which_passes_whole():
    h, w = 80, 80
    yy, xx = np.mgrid[:h, :w]
    hole = (yy >= 10) & (yy < 70) & (xx >= 10) & (xx < 70)
    filled = np.full((h, w, 3), 0.5, np.float32) + 0.1 * np.where(xx % 2 == 0, 1.0, -1.0)[..., None]  # 1-px grain
    line = hole & (xx >= 50) & (xx < 52)
    filled[line] += 0.4  # a copied highlight's edge: a step no source pixel shows
    whole = split_fill(filled, hole, ~hole, sigma=6.0, detail=1.0)
    capped = split_fill(filled, hole, ~hole, sigma=6.0, detail=1.0, clip=95.0)
    assert np.array_equal(capped[~hole], filled[~hole])
    assert whole[line].mean() > 0.8 and capped[line].mean() < 0.68  # the line stood out by 0.35; now by the grain's 0.1
    far = hole & (xx >= 20) & (xx < 30) & (yy >= 30) & (yy < 50)
    amplitude = np.abs(capped[far] - capped[far].mean()).mean()
    assert 0.09 < amplitude < 0.11  # the grain is the sources' own texture: kept at full strength
