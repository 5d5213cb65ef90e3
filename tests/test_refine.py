"""The working-resolution graph-cut refinement: its numpy shortcuts give OpenCV's own numbers (issue 14)."""

from __future__ import annotations

import cv2
import numpy as np
from conftest import make_object_scene

from paintseg_layers.amcp.refine import _bgr8, _learn_step, gmm_log_likelihood, refine_mask
from paintseg_layers.masks import dilate, iou


def _labels(seed: int = 3):
    img, gt, _ = make_object_scene(h=120, w=160, box=(40, 30, 120, 95), seed=seed)
    img = np.clip(img + np.random.default_rng(seed).normal(0, 0.08, img.shape), 0, 1).astype(np.float32)
    labels = np.where(dilate(gt, 6), cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    labels[:4] = cv2.GC_BGD
    return img, gt, labels


def _grabcut(bgr, labels, iterations):
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)
    cv2.grabCut(bgr, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    return bgd, fgd


def test_the_numpy_learning_step_gives_the_next_grabcut_iterations_models():
    for seed in (3, 4):
        img, _, start = _labels(seed)
        bgr = _bgr8(img)
        want = _grabcut(bgr, start.copy(), 3)
        labels = start.copy()
        bgd, fgd = _grabcut(bgr, labels, 2)
        got = _learn_step(bgr, labels, bgd, fgd)
        assert not (np.allclose(got[0], bgd) and np.allclose(got[1], fgd))  # the step moves the models
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-7)


def test_the_learning_step_refuses_an_empty_side():
    img, _, labels = _labels()
    bgd, fgd = _grabcut(_bgr8(img), labels.copy(), 1)
    try:
        _learn_step(_bgr8(img), np.full_like(labels, cv2.GC_PR_BGD), bgd, fgd)
    except ValueError as err:
        assert "no pixels" in str(err)
    else:
        raise AssertionError("an empty foreground side must raise")


def test_the_log_likelihood_matches_a_direct_gaussian_mixture():
    img, _, labels = _labels()
    _, fgd = _grabcut(_bgr8(img), labels, 2)
    pix = np.random.default_rng(0).uniform(0, 255, (500, 3))
    m = fgd.ravel()
    dens = np.zeros(len(pix))
    for k in range(5):
        if m[k] > 0:
            cov = m[20 + 9 * k : 29 + 9 * k].reshape(3, 3) + np.eye(3) * 1e-2
            d = pix - m[5 + 3 * k : 8 + 3 * k]
            q = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
            dens += m[k] * np.exp(-0.5 * q) / np.sqrt((2 * np.pi) ** 3 * np.linalg.det(cov))
    ok = dens > 1e-300
    np.testing.assert_allclose(gmm_log_likelihood(fgd, pix)[ok], np.log(dens[ok]), rtol=1e-9, atol=1e-9)


def test_refine_mask_snaps_a_loose_start_to_the_object():
    img, gt, labels = _labels()
    start = labels == cv2.GC_PR_FGD
    soft = start.astype(np.float32) * 0.6
    out = refine_mask(img, soft, start, weight=0.4, seed=0)
    assert iou(out, gt) > iou(start, gt) + 0.05 and iou(out, gt) > 0.9


def _grid_cut(bgr, fgd, bgd, fg_seeds, bg_seeds, *, gamma, prior, weight):
    """The cut over every pixel of the image (seeds as infinite terminal costs), built independently."""
    import maxflow  # noqa: PLC0415 - only the reference cut needs it

    from paintseg_layers.amcp.refine import _OFFSETS, _pairwise  # noqa: PLC0415 - beside the reference

    pix = bgr.reshape(-1, 3).astype(np.float64)
    fg = -gmm_log_likelihood(fgd, pix).reshape(bg_seeds.shape) - weight * np.log(prior)
    bg = -gmm_log_likelihood(bgd, pix).reshape(bg_seeds.shape) - weight * np.log(1 - prior)
    fg[bg_seeds], bg[fg_seeds] = 1e9, 1e9
    g = maxflow.Graph[float]()
    ids = g.add_grid_nodes(bg_seeds.shape)
    for (dy, dx, _), wts in zip(_OFFSETS, _pairwise(bgr.astype(np.float32), gamma)):
        struct = np.zeros((3, 3))
        struct[1 + dy, 1 + dx] = 1
        g.add_grid_edges(ids, weights=wts, structure=struct, symmetric=True)
    g.add_grid_tedges(ids, bg, fg)
    g.maxflow()
    return ~g.get_grid_segments(ids)


def test_the_cut_over_the_free_pixels_equals_the_cut_over_the_whole_image():
    from paintseg_layers.amcp.refine import _graph_cut  # noqa: PLC0415 - private, tested here only

    for seed in (3, 5):
        img, gt, labels = _labels(seed)
        bgr = _bgr8(img)
        bgd, fgd = _grabcut(bgr, labels, 2)
        rng = np.random.default_rng(seed)
        # a ragged band of free pixels between object and background seeds, and a noisy prior
        fg_seeds = ~dilate(~gt, 3) & (rng.random(gt.shape) > 0.02)
        bg_seeds = ~dilate(gt, 5) & ~fg_seeds
        prior = np.clip(np.where(gt, 0.7, 0.3) + rng.normal(0, 0.2, gt.shape), 0.03, 0.97)
        got = _graph_cut(bgr, fgd, bgd, fg_seeds, bg_seeds, gamma=50.0, prior=prior, weight=0.4)
        want = _grid_cut(bgr, fgd, bgd, fg_seeds, bg_seeds, gamma=50.0, prior=prior, weight=0.4)
        free = ~(fg_seeds | bg_seeds)
        assert 0 < got[free].sum() < free.sum()  # the band is really cut, not all one label
        assert np.array_equal(got, want)


def test_a_re_solved_cut_equals_a_fresh_cut_under_the_new_models():
    from paintseg_layers.amcp.refine import _Cut, _graph_cut  # noqa: PLC0415 - private, tested here only

    for seed in (3, 5):
        img, gt, labels = _labels(seed)
        bgr = _bgr8(img)
        rng = np.random.default_rng(seed)
        fg_seeds = ~dilate(~gt, 3) & (rng.random(gt.shape) > 0.02)
        bg_seeds = ~dilate(gt, 5) & ~fg_seeds
        prior = np.clip(np.where(gt, 0.7, 0.3) + rng.normal(0, 0.2, gt.shape), 0.03, 0.97)
        cut = _Cut(bgr, fg_seeds, bg_seeds, gamma=50.0)
        bgd, fgd = _grabcut(bgr, labels, 3)
        first = cut.solve(bgd, fgd)  # the models swapped, no prior: a very different cut
        again = cut.solve(fgd, bgd, prior=prior, weight=0.4)  # the flow and trees of the first solve re-used
        want = _graph_cut(bgr, fgd, bgd, fg_seeds, bg_seeds, gamma=50.0, prior=prior, weight=0.4)
        free = ~(fg_seeds | bg_seeds)
        assert (first ^ want)[free].sum() > 0  # the models changed the cut: the second solve had work to do
        assert np.array_equal(again, want)


def test_cut_again_equals_a_refinement_of_its_own_with_one_iteration():
    """``refine_mask(..., again=True)``'s ``cut_again(w)`` (the fragment fallback's second cut, on the first
    refinement's graph and first colour models) is the mask ``refine_mask(..., weight=w, iterations=1)`` gives."""
    for seed, iterations in ((3, 2), (5, 3), (7, 1)):
        img, gt, _ = _labels(seed)
        rng = np.random.default_rng(seed)
        start = dilate(gt, 4) & (rng.random(gt.shape) > 0.1)  # a loose, noisy AMCP mask
        soft = np.clip(start * 0.8 + rng.normal(0, 0.15, gt.shape), 0, 1).astype(np.float32)
        valid = np.zeros(gt.shape, bool)
        valid[10:110, 20:150] = True
        kw = {"valid": valid, "seed": seed}
        first, cut_again = refine_mask(img, soft, start, weight=0.4, iterations=iterations, again=True, **kw)
        assert np.array_equal(first, refine_mask(img, soft, start, weight=0.4, iterations=iterations, **kw))
        for w in (2.0, 0.4, 0.0):  # (0: GrabCut's own labelling, computed apart)
            want = refine_mask(img, soft, start, weight=w, iterations=1, **kw)
            assert np.array_equal(cut_again(w), want), (seed, iterations, w)
        assert iou(cut_again(2.0), gt) > 0.8
    # a start the refinement leaves alone (covers everything): so does the second cut
    whole = np.ones(gt.shape, bool)
    assert refine_mask(img, soft, whole, again=True)[1](2.0).all()
