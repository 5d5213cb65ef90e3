"""The hidden fills of large objects run PatchMatch on a capped number of pixels (peel.engine.fill_scale_for)."""

from __future__ import annotations

import numpy as np

from paintseg_layers.masks import grown_box
from paintseg_layers.peel import engine
from paintseg_layers.peel.engine import FILL_PIXELS, _fill, fill_scale_for


def _crop_area(mask, pad=4):
    rows, cols = grown_box(mask, pad)
    return (rows.stop - rows.start) * (cols.stop - cols.start)


def test_small_crops_keep_their_scale_and_large_ones_are_capped():
    small = np.zeros((120, 160), bool)
    small[20:80, 30:120] = True  # 68 x 98 px with the pad: under the cap
    assert _crop_area(small) < FILL_PIXELS
    for scale in (1.0, 0.5):
        assert fill_scale_for(small, scale) == scale
    large = np.zeros((480, 640), bool)
    large[10:400, 20:600] = True
    for scale in (1.0, 0.5, 0.3):
        s = fill_scale_for(large, scale)
        assert s <= scale
        assert _crop_area(large) * s * s <= FILL_PIXELS * 1.0001
        if _crop_area(large) * scale * scale > FILL_PIXELS:
            assert s < scale


def test_a_capped_fill_takes_the_objects_colour_and_changes_nothing_else():
    h, w = 480, 640
    truth = np.zeros((h, w), bool)
    truth[40:440, 60:580] = True  # a large blue object ...
    occ = np.zeros((h, w), bool)
    occ[150:330, 200:450] = True  # ... under a red block
    vis = truth & ~occ
    rgb = np.full((h, w, 3), 0.9, np.float32)
    rgb[truth] = (0.1, 0.2, 0.8)
    rgb[occ] = (0.8, 0.1, 0.1)
    assert _crop_area(truth) * 0.5**2 > FILL_PIXELS  # the cap applies at the working scale 0.5
    hidden = truth & ~vis
    out = _fill(rgb, vis, truth, 7, 0.5)
    assert np.abs(out[hidden] - (0.1, 0.2, 0.8)).max() < 0.03  # the object's own colour, no red
    assert np.array_equal(out[~hidden], rgb[~hidden])
    assert np.array_equal(_fill(rgb, vis, truth, 7, 0.5), out)  # same seed, same fill
    assert _fill(rgb, vis, vis, 7, 0.5) is rgb  # nothing hidden: the photo's own pixels


def test_the_cap_is_what_the_engine_reads(monkeypatch):
    large = np.zeros((480, 640), bool)
    large[10:400, 20:600] = True
    monkeypatch.setattr(engine, "FILL_PIXELS", 10**9)
    assert fill_scale_for(large, 0.5) == 0.5
