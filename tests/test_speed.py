"""Per-stage timings (:mod:`paintseg_layers.timing`) and the speed benchmark's ``--smoke`` run (issue 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from paintseg_layers import BoxPrompt
from paintseg_layers.amcp import AMCPConfig, segment
from paintseg_layers.peel import decompose
from paintseg_layers.timing import record_timings, stage

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "speed.py"


def _two_squares():
    img = np.full((96, 96, 3), 0.9, np.float32)
    img[20:70, 10:60] = (0.1, 0.2, 0.8)
    img[40:85, 40:90] = (0.9, 0.2, 0.1)
    return img, [BoxPrompt((10, 20, 60, 70)), BoxPrompt((40, 40, 90, 85))]


def test_stage_sums_repeated_entries_and_is_silent_outside_a_recording():
    with stage("outside"):  # no recording: nothing to collect, no error
        pass
    with record_timings() as t:
        for _ in range(3):
            with stage("sleep"):
                time.sleep(0.01)
        with record_timings() as inner:
            with stage("inner"):
                pass
    assert set(t) == {"sleep"} and set(inner) == {"inner"}
    assert 0.03 <= t["sleep"] < 1.0


def test_segment_reports_every_amcp_stage_within_its_wall_time():
    img, prompts = _two_squares()
    cfg = AMCPConfig(steps="IOI", paint_result=False)
    t0 = time.perf_counter()
    with record_timings() as t:
        res = segment(img, prompts[0], config=cfg, seed=0)
    wall = time.perf_counter() - t0
    for name in ("segment.project", "segment.contrast", "segment.cluster", "segment.refine", "segment.resize",
                 "segment.paint.0I", "segment.paint.1O", "segment.paint.2I"):
        assert name in t, name
    assert sum(t.values()) <= wall
    # timing changes nothing: the same call without a recording gives the same mask
    assert np.array_equal(res.mask, segment(img, prompts[0], config=cfg, seed=0).mask)


def test_decompose_reports_its_stages():
    img, prompts = _two_squares()
    with record_timings() as t:
        dec = decompose(img, prompts, seed=0)
    assert dec.order == ["obj1", "obj0"]
    for name in ("decompose.segment", "decompose.joint", "decompose.order", "decompose.peel.0", "decompose.peel.1",
                 "decompose.plate"):
        assert name in t, name


def test_speed_benchmark_smoke(tmp_path):
    out = tmp_path / "speed.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--json", str(out)], capture_output=True,
                          text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "cost model" in proc.stdout and "segment stages" in proc.stdout
    data = json.loads(out.read_text())
    rows = data["rows"]
    assert data["reference_grabcut_seconds"] > 0
    assert {r["table"] for r in rows} == {"segment", "decompose"}
    assert {r["painter"] for r in rows if r["label"] == "painter"} == {"telea", "patchmatch"}
    assert sorted({r["objects"] for r in rows if r["label"] == "objects"}) == [1, 2]
    for r in rows:
        assert r["seconds"] > 0 and r["ratio"] > 0 and r["peak_rss_mib"] > 0
        # stages of one level (segment.* nest inside decompose.*) add up to at most the call's wall time,
        # times the two workers that segment prompts at once inside decompose
        parallel = 2 if r["table"] == "decompose" else 1
        for level in ("segment.", "decompose."):
            assert sum(v for k, v in r["stages"].items() if k.startswith(level)) <= parallel * r["seconds"] + 1e-6
    model = data["cost_model"]
    assert set(model["decompose_seconds"]) == {"a", "per_object"}
    assert set(model["segment_seconds"]) == {"a", "per_sample"}


# -- the cuts keep results -------------------------------------------------------------------------
def test_kmeans_1d_matches_scikit_learn_lloyd():
    import warnings

    from sklearn.cluster import KMeans

    from paintseg_layers.amcp.clustering import kmeans_1d

    rng = np.random.default_rng(1)
    for t in range(20):
        n = int(rng.integers(100, 20000))
        v = np.log(np.abs(np.concatenate([rng.normal(-3, 1, n // 2), rng.lognormal(0, 1, n - n // 2)])) + 1e-4)
        for k in (2, 3):
            labels, centres = kmeans_1d(v, k, seed=t)
            lo, hi = np.quantile(v, (0.02, 0.98))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                km = KMeans(n_clusters=k, init=np.linspace(lo, hi, k).reshape(-1, 1), n_init=1, max_iter=100,
                            random_state=t).fit(v.reshape(-1, 1))
            ref = np.sort(km.cluster_centers_.ravel())
            np.testing.assert_allclose(centres, ref, rtol=1e-9, atol=1e-9)
            assert np.array_equal(labels, np.searchsorted((ref[1:] + ref[:-1]) / 2, v))


def test_layer_rgba_equals_the_quantised_formula():
    from paintseg_layers.layers import quantize8
    from paintseg_layers.peel.lift import layer_rgba

    rng = np.random.default_rng(2)
    rgb, painting = rng.random((300, 170, 3), dtype=np.float32), rng.random((300, 170, 3), dtype=np.float32)
    vis = rng.random((300, 170)) > 0.5
    amodal = vis | (rng.random((300, 170)) > 0.6)
    ref = quantize8(np.concatenate([np.where(vis[..., None], rgb, painting) * amodal[..., None],
                                    amodal[..., None].astype(np.float32)], axis=2))
    assert np.array_equal(layer_rgba(rgb, painting, vis, amodal, rows=64).astype(np.float32) / np.float32(255), ref)


def test_telea_samples_with_one_radius_share_one_fill():
    from paintseg_layers.painters import get_painter

    img = np.random.default_rng(3).random((40, 50, 3), dtype=np.float32)
    hole = np.zeros((40, 50), bool)
    hole[10:30, 15:35] = True
    out = get_painter("telea").paint(img, hole, n=8, seed=4)
    distinct = {out[i].tobytes() for i in range(8)}
    assert 1 < len(distinct) <= 5  # radius 5 +- 2: at most five different fills
    assert np.array_equal(out[:, ~hole], np.repeat(img[None], 8, axis=0)[:, ~hole])



def test_large_radius_dilation_equals_the_disk():
    import cv2

    from paintseg_layers import masks as morph

    rng = np.random.default_rng(6)
    for t in range(12):
        h, w = (int(v) for v in rng.integers(20, 200, 2))
        m = rng.random((h, w)) > 0.995
        if t % 3 == 0:  # a block against the border
            m[:] = False
            m[h // 2 :, : w // 3] = True
        for r in (7, 8, 9, 21, 50):
            assert np.array_equal(morph.dilate(m, r), cv2.dilate(m.astype(np.uint8), morph.disk(r)) > 0), (t, r)
    assert not morph.dilate(np.zeros((30, 40), bool), 20).any()


def test_decompose_with_prompts_claiming_every_pixel():
    # two objects filling the image, one box each: the joint labelling's background model had no pixel
    rng = np.random.default_rng(0)
    img = np.zeros((96, 96, 3), np.float32)
    img[:, :48] = (0.1, 0.2, 0.8)
    img[:, 48:] = (0.9, 0.2, 0.1)
    img = np.clip(img + rng.normal(0, 0.02, img.shape), 0, 1).astype(np.float32)
    dec = decompose(img, [BoxPrompt((0, 0, 48, 96)), BoxPrompt((48, 0, 96, 96))], seed=0)
    left, right = (dec.layer(i).visible_mask for i in (0, 1))
    assert left[:, :40].all() and right[:, 56:].all()
    assert not (left & right).any()


def test_joint_labelling_with_a_mask_that_vanishes_at_working_size():
    from paintseg_layers.peel.joint import joint_labelling

    img = np.full((200, 200, 3), 0.8, np.float32)
    img[40:160, 40:160] = (0.2, 0.3, 0.9)
    big = np.zeros((200, 200), bool)
    big[40:160, 40:160] = True
    sliver = np.zeros((200, 200), bool)
    sliver[10, 10:13] = True  # three pixels: nothing left at 50 px
    out = joint_labelling(img, [big, sliver], working_size=50, seed=0)
    assert out[0][60:140, 60:140].all() and not out[0][:30].any()
    assert not (out[0] & out[1]).any()


def test_prompts_segmented_in_parallel_give_the_same_layers():
    from paintseg_layers import BoxPrompt
    from paintseg_layers.amcp import AMCPConfig
    from paintseg_layers.eval.scenes import make_scene
    from paintseg_layers.masks import bbox
    from paintseg_layers.painters import get_painter
    from paintseg_layers.peel import PeelConfig, decompose
    from paintseg_layers.projectors import get_projector

    assert get_painter("telea").thread_safe and get_projector("lab").thread_safe
    assert not get_painter("patchmatch").thread_safe  # its random seed is global state
    sc = make_scene(21, size=(160, 120), n_objects=4, cutouts="none")
    prompts = [BoxPrompt(bbox(o.visible_mask)) for o in sc.objects if o.visible_mask.any()]
    cfg = PeelConfig(amcp=AMCPConfig(working_size=160, steps="IOI"))
    one = decompose(sc.image, prompts, config=cfg, seed=3, workers=1)
    two = decompose(sc.image, prompts, config=cfg, seed=3, workers=3)
    assert one.order == two.order
    for a, b in zip(one.layers, two.layers):
        assert np.array_equal(a.amodal_mask, b.amodal_mask) and np.array_equal(a.rgba8, b.rgba8)
    assert np.array_equal(one.background8, two.background8)


def test_serial_cpu_measures_every_part_of_a_small_decomposition():
    """``--serial-cpu`` patches the functions each decompose part runs: a renamed one must fail here, not in use."""
    proc = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--serial-cpu", "2"], capture_output=True,
                          text=True, timeout=300, check=False, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    parts = {ln.split()[0] for ln in proc.stdout.splitlines() if ln.strip()}
    assert {"joint", "shape", "fills", "plate"} <= parts
