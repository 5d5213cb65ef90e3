"""The first pass on worker processes (issue 14): same layers as threads and as one worker, timings kept."""

from __future__ import annotations

import os

import numpy as np
import pytest

from paintseg_layers.amcp import AMCPConfig, Segmenter
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes import make_scene
from paintseg_layers.masks import bbox
from paintseg_layers.painters.base import thread_map
from paintseg_layers.peel import decompose
from paintseg_layers.peel.amodal import box_claimed, colour_index
from paintseg_layers.peel.first_pass import pool_workers, recut_cost, segment_all
from paintseg_layers.prompts import BoxPrompt
from paintseg_layers.timing import add_timings, record_timings, record_value

FAST = AMCPConfig(working_size=128, samples=2)


def _scene():
    sc = make_scene(11, size=(160, 120), n_objects=3, cutouts="none")
    return sc.image, [BoxPrompt(tuple(float(v) for v in bbox(o.visible_mask))) for o in sc.objects]


def _layers(dec):
    return [(layer.id, layer.rgba.tobytes(), layer.visible_mask.tobytes(), layer.amodal_mask.tobytes())
            for layer in dec.layers] + [dec.background.tobytes()]


def test_worker_processes_give_the_same_layers_as_threads_and_as_one_worker():
    img, prompts = _scene()
    with record_timings() as t:
        procs = decompose(img, prompts, config=FAST, seed=3, workers=2, pool="process")
    threads = decompose(img, prompts, config=FAST, seed=3, workers=2, pool="thread")
    serial = decompose(img, prompts, config=FAST, seed=3, workers=1)
    assert len(procs.layers) == 3 and any(layer.visible_mask.any() for layer in procs.layers)
    assert _layers(procs) == _layers(threads) == _layers(serial)
    # the workers' stage timers reach the caller's recording; the pool's size is reported
    assert t["decompose.segment"] > 0 and t["segment.refine"] > 0
    assert t["processes"] == min(2, len(os.sched_getaffinity(0)))


def test_segment_all_returns_results_in_prompt_order():
    img, prompts = _scene()
    seg = Segmenter(img, config=FAST)
    res, secs, procs = segment_all(seg, prompts, 5, workers=2, pool="process")
    assert procs == min(2, len(os.sched_getaffinity(0))) and all(s > 0 for s in secs)
    for i, p in enumerate(prompts):
        assert np.array_equal(res[i].mask, seg.segment(p, seed=5 + i).mask)
    assert segment_all(seg, prompts[:1], 5, workers=2, pool="process")[2] == 0  # one prompt: no pool


def test_small_images_stay_on_threads_unless_asked(monkeypatch):
    import paintseg_layers.peel.first_pass as fp

    img, prompts = _scene()  # 160 x 120, 3 prompts: below MIN_POOL_PIXELS
    seg = Segmenter(img, config=FAST)
    assert segment_all(seg, prompts, 0, workers=2)[2] == 0
    monkeypatch.setattr(fp, "MIN_POOL_PIXELS", img.shape[0] * img.shape[1] * len(prompts))
    assert segment_all(seg, prompts, 0, workers=2)[2] == min(2, len(os.sched_getaffinity(0)))


def test_a_daemonic_process_segments_on_threads(monkeypatch):
    """A multiprocessing.Pool worker is daemonic and may not fork workers of its own: same layers on threads."""
    import types

    import paintseg_layers.peel.first_pass as fp

    img, prompts = _scene()
    seg = Segmenter(img, config=FAST)
    monkeypatch.setattr(fp.mp, "current_process", lambda: types.SimpleNamespace(daemon=True))
    res, _, procs = segment_all(seg, prompts, 0, workers=2, pool="process")
    assert procs == 0
    assert all(np.array_equal(r.mask, seg.segment(p, seed=i).mask) for i, (r, p) in enumerate(zip(res, prompts)))


def test_a_thread_other_than_the_main_one_segments_on_threads(monkeypatch):
    """The editor's server decomposes on a worker thread: no fork from there unless asked (locks of other threads)."""
    import threading

    import paintseg_layers.peel.first_pass as fp

    img, prompts = _scene()
    seg = Segmenter(img, config=FAST)
    monkeypatch.setattr(fp, "MIN_POOL_PIXELS", 1)
    got = {}
    worker = threading.Thread(target=lambda: got.update(auto=segment_all(seg, prompts, 0, workers=2)[2]))
    worker.start()
    worker.join()
    assert got["auto"] == 0
    assert segment_all(seg, prompts, 0, workers=2)[2] == min(2, len(os.sched_getaffinity(0)), len(prompts))


def test_bad_pool_is_rejected_with_its_value():
    img, prompts = _scene()
    with pytest.raises(InputError, match="`pool` must be 'process', 'thread' or None, got 'gpu'"):
        decompose(img, prompts, config=FAST, pool="gpu")


def test_pool_workers_is_capped_by_cpus_and_prompts():
    cpus = len(os.sched_getaffinity(0))
    assert pool_workers(64, 3) == min(3, cpus)
    assert pool_workers(2, 1) == 1 and pool_workers(1, 10) == 1


def test_a_forked_child_still_has_a_thread_pool():
    """A fork copies the shared pool without its threads: the child must build its own, not wait forever."""
    assert thread_map(abs, [-1, -2, -3]) == [1, 2, 3]  # the parent's pool exists now
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only when the pool works
        code = 1
        try:
            code = 0 if thread_map(abs, [-4, -5, -6]) == [4, 5, 6] else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_box_claimed_with_a_precomputed_colour_index_is_the_same():
    img, _ = _scene()
    rng = np.random.default_rng(0)
    vis = np.zeros(img.shape[:2], bool)
    vis[30:70, 40:90] = True
    cand = (rng.random(img.shape[:2]) > 0.5) & ~vis
    box = (30, 20, 110, 90)
    plain = box_claimed(vis, cand, box, img)
    assert np.array_equal(plain, box_claimed(vis, cand, box, img, index=colour_index(img)))
    assert not np.array_equal(colour_index(img), colour_index(img[::-1]))


def test_add_timings_and_record_value_touch_only_an_active_recording():
    add_timings({"a": 1.0})  # no recording: nothing happens
    record_value("n", 2)
    with record_timings() as t:
        add_timings({"a": 1.0})
        add_timings({"a": 0.5, "b": 2.0})
        record_value("n", 2)
        record_value("n", 3)
    assert t == {"a": 1.5, "b": 2.0, "n": 3}


def test_the_workers_also_fill_hidden_parts_and_fit_colour_models_with_the_same_layers():
    """After the first pass the same worker processes synthesise the hidden parts and fit the joint labelling's
    colour models, while the main process peels and paints the plate: the same bytes as threads."""
    sc = make_scene(1003, size=(320, 240), n_objects=3, cutouts="none")
    prompts = [BoxPrompt(tuple(float(v) for v in bbox(o.visible_mask))) for o in sc.objects]
    procs = decompose(sc.image, prompts, config=FAST, seed=1, workers=2, pool="process")
    threads = decompose(sc.image, prompts, config=FAST, seed=1, workers=2, pool="thread")
    assert any((layer.amodal_mask & ~layer.visible_mask).any() for layer in procs.layers)  # something was filled
    assert _layers(procs) == _layers(threads)


def test_process_map_returns_results_in_job_order():
    from paintseg_layers.peel.first_pass import fork_pool, process_map

    img, prompts = _scene()
    seg = Segmenter(img, config=FAST)
    with fork_pool(seg, 3, 2, "process") as ex:
        assert ex is not None and ex.processes == min(2, len(os.sched_getaffinity(0)))
        assert process_map(ex)(divmod, [(7, 2), (9, 4), (5, 5), (1, 3)]) == [(3, 1), (2, 1), (1, 0), (0, 1)]
    with fork_pool(seg, 3, 2, "thread") as ex:
        assert ex is None


def test_workers_end_when_the_decomposition_is_killed(tmp_path):
    """SIGKILL of the process that forked the pool (a user's kill, the OOM killer) ends its workers too."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "pool.py"
    script.write_text(
        "import time\n"
        "from paintseg_layers.amcp import AMCPConfig, Segmenter\n"
        "from paintseg_layers.eval.scenes import make_scene\n"
        "from paintseg_layers.peel.first_pass import fork_pool, submit\n"
        "img = make_scene(11, size=(160, 120), n_objects=2, cutouts='none').image\n"
        "seg = Segmenter(img, config=AMCPConfig(working_size=128, samples=2))\n"
        "with fork_pool(seg, 2, 2, 'process') as ex:\n"
        "    futures = [submit(ex, time.sleep, 120) for _ in range(ex.processes)]\n"
        "    time.sleep(1.0)\n"
        "    print(*ex._processes, flush=True)\n"
        "    time.sleep(120)\n")
    workers: list[int] = []
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert len(workers) == min(2, len(os.sched_getaffinity(0))) and proc.pid not in workers
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

        def alive(pid):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    return f.read().split()[2] != "Z"  # a zombie has ended
            except FileNotFoundError:
                return False

        deadline = time.monotonic() + 10
        while any(alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(p) for p in workers), "worker processes outlived their killed parent"
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        for p in workers:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _large_scene():
    """A 320 x 240 scene whose box prompts' views are coarser than the photo at FAST's 128 px: boundaries re-cut."""
    sc = make_scene(1003, size=(320, 240), n_objects=3, cutouts="none")
    return sc.image, [BoxPrompt(tuple(float(v) for v in bbox(o.visible_mask))) for o in sc.objects]


def test_a_view_cut_finished_by_another_segmenter_is_the_same_segmentation():
    """A worker may finish (full size, boundary re-cut) what another one cut on the working view."""
    import pickle

    img, prompts = _large_scene()
    seg = Segmenter(img, config=FAST)
    for i, p in enumerate(prompts):
        cut = pickle.loads(pickle.dumps(seg.segment_view(p, seed=i)))
        assert cut.recut and cut.mask.shape == cut.working_shape  # working-size arrays only
        other = Segmenter(img, config=FAST).finish(cut)  # (no views cached there)
        whole = seg.segment(p, seed=i)
        assert np.array_equal(other.mask, whole.mask) and np.array_equal(other.soft, whole.soft)
        assert np.array_equal(other.amcp_mask, whole.amcp_mask) and other.working_box == whole.working_box


class _Recording:
    """An executor that runs each task at once in this process (as a worker would) and records it."""

    def __init__(self, processes: int):
        from concurrent.futures import Future

        self.processes, self.calls, self._future = processes, [], Future

    def submit(self, fn, *args):
        self.calls.append((fn.__name__, args))
        fut = self._future()
        fut.set_result(fn(*args))
        return fut


def test_boundary_recuts_are_tasks_of_their_own_started_costliest_first(monkeypatch):
    import paintseg_layers.peel.first_pass as fp

    img, prompts = _large_scene()
    seg = Segmenter(img, config=FAST)
    monkeypatch.setattr(fp, "_SEGMENTER", seg)  # (what the pool's initializer sets in a worker)
    ex = _Recording(processes=1)
    res, secs, procs = segment_all(seg, prompts, 5, executor=ex)
    assert procs == 1 and all(s > 0 for s in secs)
    for i, p in enumerate(prompts):
        assert np.array_equal(res[i].mask, seg.segment(p, seed=5 + i).mask)
    names = [name for name, _ in ex.calls]
    assert names == ["_segment_in_worker"] * len(prompts) + ["_finish_in_worker"] * len(prompts)
    costs = [recut_cost(args[0]) for name, args in ex.calls if name == "_finish_in_worker"]
    assert costs == sorted(costs, reverse=True) and costs[-1] > 0  # every view ready: the costliest first


def test_recut_cost_grows_with_the_band_and_is_zero_without_a_recut():
    from dataclasses import replace

    img, prompts = _large_scene()
    cut = Segmenter(img, config=FAST).segment_view(prompts[0], seed=0)
    small = np.zeros_like(cut.mask)
    small[10:20, 10:20] = True
    big = np.zeros_like(cut.mask)
    big[10:60, 10:60] = True
    cost = [recut_cost(replace(cut, mask=m)) for m in (small, big)]
    assert 0 < cost[0] < cost[1]
    assert recut_cost(replace(cut, mask=big, recut=False)) == 0 == recut_cost(replace(cut, mask=np.zeros_like(big)))

