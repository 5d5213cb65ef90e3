"""Large photos: peeling at the analysis resolution, outputs built at full size in bounded memory."""

from __future__ import annotations

import dataclasses
import tracemalloc

import cv2
import numpy as np
import pytest

from paintseg_layers import BoxPrompt
from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.eval.scenes import make_scene
from paintseg_layers.image import resize_window
from paintseg_layers.layers import Layer
from paintseg_layers.masks import bbox, iou
from paintseg_layers.peel import PeelConfig, decompose


def test_resize_window_is_a_window_of_the_full_resize():
    rng = np.random.default_rng(0)
    small = rng.random((37, 53, 3), dtype=np.float32)
    full = cv2.resize(small, (530, 370), interpolation=cv2.INTER_LINEAR)
    for box in [(0, 0, 530, 370), (10, 20, 300, 200), (500, 300, 530, 370)]:
        x0, y0, x1, y1 = box
        np.testing.assert_allclose(resize_window(small, (370, 530), box), full[y0:y1, x0:x1], atol=1e-5)


def test_layer_keeps_8bit_pixels_as_cropped_uint8_and_reads_back_float():
    h, w = 400, 600
    mask = np.zeros((h, w), bool)
    mask[100:150, 200:260] = True
    rgba = np.zeros((h, w, 4), np.float32)
    rgba[mask] = (np.arange(4, dtype=np.float32) + 10) / 255
    layer = Layer(id="a", prompt_index=0, depth=0, rgba=rgba, visible_mask=mask, amodal_mask=mask)
    stored = layer.__dict__["_rgba_store"]
    assert stored.pixels.nbytes == 50 * 60 * 4  # only the box of non-zero pixels, as uint8
    assert layer.rgba.dtype == np.float32 and np.array_equal(layer.rgba, rgba)  # lossless
    assert layer.rgba8.dtype == np.uint8 and layer.shape == (h, w)
    again = dataclasses.replace(layer, scores={"x": 1})
    assert again.__dict__["_rgba_store"].pixels.nbytes == stored.pixels.nbytes
    off_grid = rgba.copy()
    off_grid[mask] = 0.123456
    kept = Layer(id="b", prompt_index=0, depth=0, rgba=off_grid, visible_mask=mask, amodal_mask=mask)
    assert np.array_equal(kept.rgba, off_grid)  # values off the 8-bit grid stay float


def test_large_photo_is_peeled_at_analysis_size_with_the_same_layers():
    sc = make_scene(11, size=(160, 120), n_objects=3, cutouts="none")
    prompts = [BoxPrompt(bbox(o.visible_mask)) for o in sc.objects]
    cfg = PeelConfig(amcp=AMCPConfig(working_size=160, steps="IOI"), analysis_size=160)
    small = decompose(sc.image, prompts, config=cfg, seed=0)
    big_image = cv2.resize(sc.image, (640, 480), interpolation=cv2.INTER_NEAREST)
    big = decompose(big_image, [p.scaled(4, 4) for p in prompts], config=cfg, seed=0)
    assert big.image_size == (640, 480) and big.order == small.order
    for a, b in zip(small.layers, big.layers):
        up = cv2.resize(a.visible_mask.astype(np.uint8), (640, 480), interpolation=cv2.INTER_NEAREST) > 0
        assert iou(up, b.visible_mask) > 0.9
        assert not (b.visible_mask & ~b.amodal_mask).any()
    union = np.zeros((480, 640), bool)
    for layer in big.layers:
        assert not (union & layer.visible_mask).any()  # visible masks stay disjoint after lifting
        union |= layer.visible_mask
    # pixels far from every object are the input's, exactly
    far = ~cv2.dilate(union.astype(np.uint8), np.ones((41, 41), np.uint8)).astype(bool)
    assert np.array_equal(big.background8[far], big.image8[far])


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_large_photo_holds_a_few_full_size_copies_at_most(dtype):
    h, w = 3000, 4000
    yy, xx = np.mgrid[0:h, 0:w]
    image = np.stack([xx / w, yy / h, np.full((h, w), 0.5)], axis=2).astype(np.float32)
    boxes = [(400 + 600 * k, 500 + 300 * k, 1100 + 600 * k, 1300 + 300 * k) for k in range(5)]
    for x0, y0, x1, y1 in boxes:
        image[y0 + 100:y1 - 100, x0 + 100:x1 - 100] = (0.9, 0.2, 0.1)
    if dtype == np.uint8:
        image = (image * 255 + 0.5).astype(np.uint8)
    cfg = PeelConfig(amcp=AMCPConfig(working_size=128, steps="IO", samples=2), analysis_size=256)
    tracemalloc.start()
    try:
        dec = decompose(image, [BoxPrompt(b) for b in boxes], config=cfg, seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    float_copy = h * w * 3 * 4
    # the float input alone is one copy; peeling at 256 px plus the uint8 outputs must stay near it
    assert peak < 2.5 * float_copy, f"peak {peak / 2**20:.0f} MiB vs a float copy of {float_copy / 2**20:.0f} MiB"
    assert len(dec.layers) == 5 and dec.layers[0].shape == (h, w)
