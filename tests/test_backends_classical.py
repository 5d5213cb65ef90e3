import numpy as np
import pytest
from contracts import check_painter_contract, check_projector_contract

from paintseg_layers.errors import BackendError
from paintseg_layers.painters import PAINTERS, get_painter
from paintseg_layers.painters.base import in_background, paint_map, thread_map
from paintseg_layers.projectors import PROJECTORS, get_projector


@pytest.mark.parametrize("name", ["telea", "ns", "patchmatch"])
def test_painter_contract(name):
    check_painter_contract(get_painter(name))


@pytest.mark.parametrize("name", ["lab", "texture"])
def test_projector_contract(name):
    check_projector_contract(get_projector(name))


def test_patchmatch_continues_texture():
    # stripes: an exemplar painter continues them into the hole, a smooth one averages them away
    h, w = 48, 64
    xx = np.mgrid[:h, :w][1]
    img = np.repeat(((xx // 4) % 2).astype(np.float32)[..., None], 3, axis=2)
    m = np.zeros((h, w), bool)
    m[16:32, 24:40] = True
    pm = get_painter("patchmatch").paint(img, m, n=1, seed=0)[0]
    tl = get_painter("telea").paint(img, m, n=1, seed=0)[0]
    contrast = lambda p: p[m].std()  # noqa: E731
    assert contrast(pm) > 0.35 > contrast(tl)


def test_unknown_backend_lists_available():
    with pytest.raises(BackendError, match="available: telea"):
        get_painter("nope")
    with pytest.raises(BackendError, match="lab"):
        get_projector("nope")


def test_registries_name_neural_backends_with_extras():
    assert PAINTERS.entry("diffusion").extra == "diffusion"
    assert {"dino", "dinov2"} <= set(PROJECTORS.names())


def test_lab_contrast_at_equals_the_full_contrast_at_those_pixels():
    rng = np.random.default_rng(3)
    proj = get_projector("lab")
    original = rng.random((40, 50, 3), dtype=np.float32)
    paintings = np.repeat(original[None], 3, axis=0)
    paintings[:, 10:25, 12:30] = rng.random((3, 15, 18, 3), dtype=np.float32)
    where = np.zeros((40, 50), bool)
    where[8:27, 10:33] = True
    ref = proj.reference(original)
    full = proj.contrast(paintings, ref)
    at = proj.contrast_at(paintings, ref, where)
    assert at.shape == (3, int(where.sum()))
    np.testing.assert_array_equal(at, full[:, where])
    assert at.max() > 0.01  # the painted pixels do differ


def test_paint_map_keeps_the_order_of_the_jobs():
    painter = get_painter("telea")
    image = np.random.default_rng(0).random((30, 30, 3), dtype=np.float32)
    masks = [np.zeros((30, 30), bool) for _ in range(4)]
    for k, m in enumerate(masks):
        m[5 + 3 * k:12 + 3 * k, 6:20] = True
    jobs = [(m, 10 + k) for k, m in enumerate(masks)]
    serial = [painter.paint(image, m, n=2, seed=s) for m, s in jobs]
    threaded = paint_map(painter, lambda job: painter.paint(image, job[0], n=2, seed=job[1]), jobs)
    assert painter.thread_safe and len(threaded) == 4
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)


def test_thread_map_nested_and_background_match_the_serial_loop():
    # a job that maps again from inside the shared pool runs serially there instead of waiting on itself
    def job(k):
        return thread_map(lambda j: k * 10 + j, range(3))

    assert thread_map(job, range(5)) == [[k * 10 + j for j in range(3)] for k in range(5)]
    assert thread_map(job, range(5), threads=False) == thread_map(job, range(5))
    assert in_background(sum, [1, 2, 3]).result() == 6
