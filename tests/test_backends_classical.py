import numpy as np
import pytest
from contracts import check_painter_contract, check_projector_contract

from paintseg_layers.errors import BackendError, InputError
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


def _stripes(h=48, w=64, period=4) -> np.ndarray:
    xx = np.mgrid[:h, :w][1]
    return np.repeat(((xx // period) % 2).astype(np.float32)[..., None], 3, axis=2)


def test_patchmatch_share_paints_one_fill_for_every_sample():
    img = _stripes()
    m = np.zeros(img.shape[:2], bool)
    m[16:32, 24:40] = True
    own = get_painter("patchmatch").paint(img, m, n=3, seed=4)
    shared = get_painter("patchmatch", share=True).paint(img, m, n=3, seed=4)
    assert not np.array_equal(own[0], own[1])  # each sample has its own seed and grid
    assert np.array_equal(shared[0], shared[1]) and np.array_equal(shared[0], shared[2])
    np.testing.assert_array_equal(shared[0], own[0])  # the shared fill is the first sample's


def test_patchmatch_margin_reads_only_pixels_near_the_hole():
    img = _stripes(96, 128)
    m = np.zeros(img.shape[:2], bool)
    m[40:56, 48:64] = True  # 16 px: a margin of 0.5 reaches 8 px beyond it
    far = img.copy()
    far[:, :32] = (1.0, 0.0, 0.0)  # changed far from the hole
    painter = get_painter("patchmatch", margin=0.5)
    a, b = painter.paint(img, m, n=1, seed=0), painter.paint(far, m, n=1, seed=0)
    np.testing.assert_array_equal(a[0][m], b[0][m])
    assert a[0][m].std() > 0.35  # the stripes still continue
    np.testing.assert_array_equal(a[0][~m], img[~m])


def test_patchmatch_max_size_paints_a_large_image_small_and_keeps_the_texture():
    img = _stripes(192, 256, period=8)
    m = np.zeros(img.shape[:2], bool)
    m[64:128, 96:160] = True
    out = get_painter("patchmatch", max_size=96).paint(img, m, n=2, seed=0)
    assert out.shape == (2, 192, 256, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[:, ~m], np.broadcast_to(img[~m], out[:, ~m].shape))
    # the stripes continue (at the truth's phase), where telea's smear misses them
    error = lambda p: np.abs(p[m] - img[m]).mean()  # noqa: E731
    assert error(out[0]) < 0.5 * error(get_painter("telea").paint(img, m, n=1, seed=0)[0])


@pytest.mark.parametrize(("option", "value"), [("patch_size", 0), ("max_size", 4), ("margin", -1.0), ("margin", "x")])
def test_patchmatch_options_are_checked(option, value):
    with pytest.raises(BackendError, match=f"`{option}`.*got"):
        get_painter("patchmatch", **{option: value})


def test_patchmatch_for_step_paints_amcp_samples_small_each_its_own_fill():
    img = _stripes(96, 128)
    m = np.zeros(img.shape[:2], bool)
    m[32:64, 48:80] = True
    painter = get_painter("patchmatch")
    step = painter.for_step("I")
    assert step is painter.for_step("O") and (step.max_size, step.share) == (96, False)
    assert (painter.max_size, painter.share) == (None, False)  # plates and removal keep the full size
    samples = step.paint(img, m, n=3, seed=2)
    # every sample its own random fill: the samples' votes are independent (STEP_SHARE)
    assert not np.array_equal(samples[0], samples[1]) and not np.array_equal(samples[0], samples[2])
    assert not np.array_equal(samples[0], painter.paint(img, m, seed=2)[0])  # painted small, not at full size
    shared = get_painter("patchmatch", step_share=True).for_step("I").paint(img, m, n=3, seed=2)
    assert np.array_equal(shared[0], shared[2])
    plain = get_painter("patchmatch", step_size=None, step_share=False)
    np.testing.assert_array_equal(plain.for_step("O").paint(img, m, n=2, seed=2), plain.paint(img, m, n=2, seed=2))
    with pytest.raises(InputError, match="`kind`"):
        painter.for_step("X")
