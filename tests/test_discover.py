"""Object discovery: proposals without prompts, their score, drop rules and the decompose path."""

from __future__ import annotations

import numpy as np
import pytest

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.discovery.discover import (
    MIN_SCORE,
    DiscoverConfig,
    Proposal,
    discover,
    discover_and_decompose,
    propose,
)
from paintseg_layers.errors import InputError
from paintseg_layers.prompts import BoxPrompt

FAST = AMCPConfig(samples=2, working_size=128, paint_result=False)


def two_objects(seed=0):
    """Textured background with a red disc and a blue square; returns (image, [disc, square])."""
    rng = np.random.default_rng(seed)
    h, w = 96, 128
    yy, xx = np.mgrid[:h, :w]
    img = np.stack([0.55 + 0.05 * np.sin(xx / 5.0), 0.6 + 0.05 * np.cos(yy / 6.0), np.full((h, w), 0.5)], -1)
    img = img + rng.normal(0, 0.01, img.shape)
    disc = (xx - 35) ** 2 + (yy - 45) ** 2 <= 18**2
    square = (xx >= 75) & (xx < 110) & (yy >= 25) & (yy < 60)
    img[disc] = (0.85, 0.1, 0.1)
    img[square] = (0.1, 0.15, 0.8)
    return np.clip(img, 0, 1).astype(np.float32), [disc, square]


def iou(a, b):
    return (a & b).sum() / max(1, (a | b).sum())


def test_finds_both_objects_and_refines():
    img, truth = two_objects()
    props = discover(img, max_objects=4, seed=0, amcp=FAST)
    assert all(isinstance(p, Proposal) for p in props)
    for t in truth:
        assert max(iou(p.mask, t) for p in props) > 0.8
    p = props[0]
    assert p.mask.shape == img.shape[:2] and p.mask.dtype == bool
    assert p.coarse_mask is not None and 0 < p.score <= 1
    ys, xs = np.nonzero(p.mask)
    assert p.box == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    assert set(p.to_dict()) >= {"score", "box", "area", "terms"}


def test_same_seed_same_result_and_max_objects():
    img, _ = two_objects(1)
    a, _ = propose(img, max_objects=3, seed=3)
    b, _ = propose(img, max_objects=3, seed=3)
    assert len(a) == len(b) and all((x[0] == y[0]).all() for x, y in zip(a, b))
    one, _ = propose(img, max_objects=1, seed=0)
    assert len(one) == 1
    assert propose(img, max_objects=0)[0] == []


def test_no_duplicates():
    img, _ = two_objects()
    props, _ = propose(img, max_objects=5, seed=0)
    for i, (m, _, _) in enumerate(props):
        for n, _, _ in props[:i]:
            assert (m & n).sum() <= 0.25 * min(m.sum(), n.sum())


@pytest.mark.parametrize("kind", ["flat", "uniform_noise", "gaussian_noise"])
def test_nothing_on_flat_or_noise(kind):
    rng = np.random.default_rng(0)
    if kind == "flat":
        img = np.full((96, 128, 3), 0.4, np.float32)
    elif kind == "uniform_noise":
        img = rng.random((96, 128, 3)).astype(np.float32)
    else:
        img = np.clip(0.5 + rng.normal(0, 0.05, (96, 128, 3)), 0, 1).astype(np.float32)
    assert discover(img, seed=0, amcp=FAST) == []
    # even with no score threshold, what is left scores far below a real object (> 0.6 here)
    low, _ = propose(img, seed=0, min_score=0.0)
    assert all(sc < MIN_SCORE + 0.1 for _, sc, _ in low)
    objects, _ = propose(two_objects()[0], seed=0)
    assert objects[0][1] > 0.6


def test_decompose_with_nothing_found_is_valid(tmp_path):
    from paintseg_layers.layers import Decomposition

    img = np.full((64, 80, 3), 0.3, np.float32)
    dec = discover_and_decompose(img, seed=0)
    assert dec.layers == () and dec.background.shape == img.shape
    dec.save(tmp_path / "out", contact_sheet=False)
    assert Decomposition.load(tmp_path / "out").layers == ()


def test_decompose_discovers_and_keeps_user_prompts():
    img, truth = two_objects()
    user = [BoxPrompt((14, 24, 57, 67))]  # the disc
    dec = discover_and_decompose(img, user, max_objects=3, discover_more=True, seed=0, config=FAST)
    by_prompt = {layer.prompt_index: layer for layer in dec.layers}
    assert iou(by_prompt[0].visible_mask, truth[0]) > 0.7
    found = [layer for layer in dec.layers if layer.scores.get("discovered")]
    assert found and max(iou(layer.visible_mask, truth[1]) for layer in found) > 0.7
    # the disc was prompted, so discovery does not add it again
    assert all(iou(layer.visible_mask, truth[0]) < 0.5 for layer in found)


@pytest.mark.parametrize("kwargs, word", [
    ({"max_objects": -1}, "max_objects"), ({"seed": -2}, "seed"), ({"min_score": 2.0}, "min_score"),
])
def test_bad_arguments(kwargs, word):
    img, _ = two_objects()
    with pytest.raises(InputError, match=word):
        discover(img, **kwargs)


def test_bad_config():
    with pytest.raises(InputError, match="min_area"):
        DiscoverConfig(min_area=0.7, max_area=0.6)
    with pytest.raises(InputError, match="unknown"):
        DiscoverConfig.from_dict({"nope": 1})


def test_grabcut_image_finds_the_object(grabcut_dir):
    from paintseg_layers.eval import list_dataset
    from paintseg_layers.imageio import read_image, read_mask

    s = list_dataset(grabcut_dir)[1]
    img = read_image(s.image)
    gt = read_mask(s.mask, shape=img.shape[:2])
    props, ws = propose(img, max_objects=5, seed=0)
    import cv2

    g = cv2.resize(gt.astype(np.uint8), (ws[1], ws[0]), interpolation=cv2.INTER_NEAREST) > 0
    assert max(iou(m, g) for m, _, _ in props) > 0.5
