"""benchmarks/coffee_diagnose.py: the spoon's masks it traces through the first pass are the decomposition's own."""

from __future__ import annotations

import numpy as np
from conftest import load_benchmark

from paintseg_layers.peel import decompose

cd = load_benchmark("coffee_diagnose")


def test_trace_follows_the_spoon_to_its_final_layer():
    image, prompts = cd.coffee()
    assert len(prompts) == 3  # cup, spoon, saucer
    wing, box, _lab = cd.wing_region(image)
    assert 0 < wing.sum() < box.sum()
    seen = cd.trace(image, prompts, 0)
    for stage in ("votes", "segment", "claims", "joint", "final"):
        assert seen[stage].shape == image.shape[:2] and seen[stage].dtype == bool
    # the patched stages did not change the result: the traced final mask is the plain decomposition's spoon
    plain = decompose(image, prompts, seed=0).layer(1).visible_mask
    assert np.array_equal(seen["final"], plain)
    # the joint cut's output is what the layer keeps where the peel does not change the spoon's visible part
    assert (seen["joint"] & seen["final"]).sum() >= 0.9 * seen["final"].sum()
