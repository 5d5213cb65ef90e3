"""Generated scenes: seeded, exact ground truth, prompts."""

from pathlib import Path

import numpy as np
import pytest

from paintseg_layers.compose import render
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes import ground_truth_decomposition, make_scene, scene_set
from paintseg_layers.prompts import BoxPrompt, PointPrompt

GRABCUT = Path(__file__).resolve().parents[2] / "shared" / "data" / "grabcut"


def test_same_seed_same_scene_other_seed_other_scene():
    a = make_scene(5, size=(96, 80), cutouts="none")
    b = make_scene(5, size=(96, 80), cutouts="none")
    c = make_scene(6, size=(96, 80), cutouts="none")
    assert np.array_equal(a.image, b.image)
    assert [o.depth for o in a.objects] == [o.depth for o in b.objects]
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize("seed", range(6))
def test_ground_truth_is_consistent(seed):
    s = make_scene(seed, size=(112, 96), n_objects=(2, 5), cutouts="none")
    assert 2 <= len(s.objects) <= 5
    assert s.image.dtype == np.float32 and s.image.shape == (96, 112, 3)
    assert sorted(o.depth for o in s.objects) == list(range(len(s.objects)))
    union = np.zeros(s.shape, int)
    for o in s.objects:
        assert (o.visible_mask <= o.amodal_mask).all()
        assert o.visible_mask.any()
        assert o.hidden_fraction <= 0.55 + 1e-9
        union += o.visible_mask
    assert union.max() <= 1  # visible masks are disjoint
    # visible = amodal minus everything in front
    for o in s.objects:
        front = np.zeros(s.shape, bool)
        for p in s.objects:
            if p.depth < o.depth:
                front |= p.amodal_mask
        assert np.array_equal(o.visible_mask, o.amodal_mask & ~front)
    assert any(o.hidden_fraction > 0 for o in s.objects)
    bg_only = union == 0
    assert np.array_equal(s.image[bg_only], s.background[bg_only])
    for a, b, px in s.occlusion_pairs():
        assert s.objects[a].depth < s.objects[b].depth and px > 0


def test_prompts_cover_the_visible_parts():
    s = make_scene(11, size=(128, 96), cutouts="none")
    boxes = s.prompts("box")
    points = s.prompts("point")
    for o, b, p in zip(s.objects, boxes, points):
        assert isinstance(b, BoxPrompt) and isinstance(p, PointPrompt)
        x0, y0, x1, y1 = (int(v) for v in b.box)
        assert o.visible_mask[y0:y1, x0:x1].sum() == o.visible_mask.sum()
        x, y = p.positive[0]
        assert o.visible_mask[int(y), int(x)]
    with pytest.raises(InputError):
        s.prompts("scribble")


def test_ground_truth_decomposition_recomposes_the_image():
    s = make_scene(3, size=(96, 96), n_objects=3, cutouts="none")
    d = ground_truth_decomposition(s)
    assert np.array_equal(render(d), s.image)
    assert [layer.prompt_index for layer in d.layers] == s.depth_order
    for a, b, _ in s.occlusion_pairs():
        assert d.graph.has_edge(f"obj{a}", f"obj{b}")


@pytest.mark.parametrize("kwargs", [dict(size=(10, 10)), dict(n_objects=(3, 2)), dict(n_objects=6),
                                    dict(cutouts="/definitely/not/here")])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(InputError):
        make_scene(0, **kwargs)


@pytest.mark.skipif(not (GRABCUT / "images").is_dir(), reason="../shared/data/grabcut not available")
def test_real_cutouts_are_used():
    scenes = scene_set(4, seed=1000, size=(160, 120), cutouts=GRABCUT, cutout_fraction=1.0)
    assert all(o.source.startswith("cutout:") for s in scenes for o in s.objects)
    assert all(s.to_dict()["objects"] for s in scenes)
