"""``paintseg batch`` / ``paintseg_layers.batch.run``: inputs, resume, fault isolation, engines agree byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paintseg_layers import AMCPConfig, InputError, make_scene, write_image
from paintseg_layers.batch import RESULTS, read_prompts, run
from paintseg_layers.batch.inputs import list_images, make_items
from paintseg_layers.batch.tasks import Worker
from paintseg_layers.cli import main

FAST = AMCPConfig(samples=2, steps="IO")
FAST_FLAGS = ["--samples", "2", "--steps", "IO", "--no-progress"]


def make_images(folder: Path, n: int, *, first_seed: int = 0) -> list[str]:
    """``n`` generated scenes as PNGs; returns prompts-file lines (one box: the first object; all boxes)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for seed in range(first_seed, first_seed + n):
        scene = make_scene(seed, size=(128, 96), n_objects=2)
        write_image(folder / f"s{seed:02d}.png", scene.image)
        boxes = [list(o.visible_box) for o in scene.objects]
        lines.append((f"s{seed:02d}.png", boxes))
    return lines


def write_prompts(path: Path, lines, *, all_objects: bool = False) -> Path:
    text = "".join(
        json.dumps({"image": name, "objects": [{"box": b} for b in (boxes if all_objects else boxes[:1])]}) + "\n"
        for name, boxes in lines
    )
    path.write_text(text)
    return path


def tree_hashes(root: Path, sub: str) -> dict:
    """sha256 of every file under ``root/sub`` (what defines the results; results.jsonl is not included)."""
    base = root / sub
    return {p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(base.rglob("*")) if p.is_file()}


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / RESULTS).read_text().splitlines()]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """6 good scenes with prompts, one corrupt file with prompts, one good image without prompts."""
    root = tmp_path_factory.mktemp("batch_data")
    images = root / "images"
    lines = make_images(images, 6)
    (images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a png")
    lines.append(("broken.png", [[1, 1, 20, 20]]))
    write_image(images / "zz_noprompt.png", make_scene(99, size=(128, 96)).image)
    return images, write_prompts(root / "prompts.jsonl", lines), lines


@pytest.fixture(scope="module")
def local_one(dataset, tmp_path_factory):
    """The reference: local engine, one worker (in-process)."""
    images, prompts, _ = dataset
    out = tmp_path_factory.mktemp("local1") / "out"
    report = run(images, out, task="segment", prompts=prompts, config=FAST, workers=1, progress=False)
    return out, report


# -- inputs ---------------------------------------------------------------------------------------------
def test_prompts_file_round_trip_and_errors(tmp_path):
    good = tmp_path / "p.jsonl"
    good.write_text('# comment\n{"image": "a.png", "objects": [{"box": [1, 2, 30, 40]}, '
                    '{"points": [[5, 6]], "neg_points": [[7, 8]]}, {"mask": "m/a.png"}]}\n\n')
    table = read_prompts(good)
    assert table["a.png"][0] == {"box": [1.0, 2.0, 30.0, 40.0]}
    assert table["a.png"][1] == {"points": [[5.0, 6.0]], "neg_points": [[7.0, 8.0]]}
    assert table["a.png"][2] == {"mask": str((tmp_path / "m" / "a.png").resolve())}
    bad = {
        '{"image": "a.png", "objects": [{"box": [1, 2, 3]}]}': "`box` must be four numbers",
        '{"image": "a.png", "objects": [{"box": [1, 2, 3, 4], "mask": "x.png"}]}': "exactly one of",
        '{"image": "a.png", "boxes": []}': "each line must be",
        '{"image": "a.png"': "not valid JSON",
        '{"image": "a.png", "objects": [{"points": []}]}': "at least 1",
    }
    for line, words in bad.items():
        path = tmp_path / "bad.jsonl"
        path.write_text('{"image": "ok.png", "objects": []}\n' + line + "\n")
        with pytest.raises(InputError, match=words) as err:
            read_prompts(path)
        assert f"{path}:2" in str(err.value)  # names the file and the line


def test_inputs_from_a_text_file_and_duplicate_names(tmp_path, dataset):
    images, _, _ = dataset
    listing = tmp_path / "list.txt"
    listing.write_text(f"# two images\n{images / 's00.png'}\n{os.path.relpath(images / 's01.png', tmp_path)}\n")
    assert [p.name for p in list_images(listing)] == ["s00.png", "s01.png"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "s00.png").write_bytes((images / "s00.png").read_bytes())
    listing.write_text(f"{images / 's00.png'}\n{other / 's00.png'}\n")
    with pytest.raises(InputError, match="share the name 's00'"):
        make_items(listing)
    with pytest.raises(InputError, match="got an image"):
        list_images(images / "s00.png")


# -- local engine -----------------------------------------------------------------------------------------
def test_corrupt_image_isolated_and_missing_prompts_skipped(local_one):
    out, report = local_one
    by_name = {r["name"]: r for r in report.records}
    assert (report.ok, report.failed, report.skipped, report.computed) == (6, 1, 1, 7)
    assert by_name["broken"]["status"] == "failed" and "not a readable image" in by_name["broken"]["error"]
    assert by_name["zz_noprompt"]["status"] == "skipped" and "no prompts" in by_name["zz_noprompt"]["error"]
    assert sorted(tree_hashes(out, "masks")) == [f"s{i:02d}.png" for i in range(6)]
    rec = by_name["s00"]
    assert rec["output"] == "masks/s00.png" and rec["scores"]["area"] > 0 and rec["seconds"] > 0
    assert {"settings_hash", "image_sha256", "prompts_sha256", "version", "seed", "task"} <= set(rec)
    assert [r["name"] for r in records(out)] == [r["name"] for r in report.records]  # one record per image


def test_two_workers_identical_to_one_and_cli_exit_code(local_one, dataset, tmp_path, capsys, monkeypatch):
    images, prompts, _ = dataset
    out = tmp_path / "out"
    compute = Worker.__call__

    def slow(self, item):  # this process is slowed down, so the spawned one surely takes images too
        time.sleep(4.0)  # long enough for the spawned process to start even on a busy machine
        return compute(self, item)

    monkeypatch.setattr(Worker, "__call__", slow)
    code = main(["batch", str(images), "--task", "segment", "--prompts", str(prompts), "-o", str(out),
                 "--workers", "2", *FAST_FLAGS])
    printed = capsys.readouterr().out
    assert code == 1  # one image failed
    assert "failed: broken: " in printed and "6 ok, 1 failed, 1 skipped" in printed
    assert tree_hashes(out, "masks") == tree_hashes(local_one[0], "masks")
    recs = records(out)
    assert len(recs) == 8 and len({r["pid"] for r in recs if "pid" in r}) == 2  # both processes computed images


def test_resume_skips_finished_and_changed_settings_recompute(dataset, tmp_path):
    images, prompts, _ = dataset
    out = tmp_path / "out"
    first = run(images, out, task="segment", prompts=prompts, config=FAST, progress=False)
    again = run(images, out, task="segment", prompts=prompts, config=FAST, progress=False)
    # finished images are not recomputed; the failed one is retried, the skipped one re-reported
    assert (first.computed, again.computed, again.reused) == (7, 1, 6)
    changed = run(images, out, task="segment", prompts=prompts, config=FAST, seed=1, progress=False)
    assert (changed.computed, changed.reused) == (7, 0)
    assert len({r["settings_hash"] for r in changed.records}) == 1
    assert changed.records[0]["settings_hash"] != first.records[0]["settings_hash"]
    assert len(records(out)) == 8  # still one record per image


def test_resume_after_sigkill(tmp_path):
    images = tmp_path / "images"
    prompts = write_prompts(tmp_path / "p.jsonl", make_images(images, 8, first_seed=10))
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "paintseg_layers", "batch", str(images), "--task", "segment", "--prompts",
            str(prompts), "-o", str(out), *FAST_FLAGS]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(argv, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    results = out / RESULTS
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if results.is_file() and results.read_text().count("\n") >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read().decode()[-1000:]}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    before = records(out)
    finished = {r["name"] for r in before}
    assert 3 <= len(finished) < 8
    stamps = {n: (out / "masks" / f"{n}.png").stat().st_mtime_ns for n in finished}
    with results.open("a") as f:
        f.write('{"name": "s17", "status": "o')  # as if killed while writing a record
    res = subprocess.run(argv, check=False, env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"{8 - len(finished)} computed by this run, {len(finished)} already finished" in res.stdout
    after = records(out)
    assert sorted(r["name"] for r in after) == [f"s{i}" for i in range(10, 18)]  # complete, no duplicates
    assert all(r["status"] == "ok" for r in after)
    assert {n: (out / "masks" / f"{n}.png").stat().st_mtime_ns for n in finished} == stamps  # not recomputed
    assert [r for r in after if r["name"] in finished] == before  # their records kept as they were


def test_decompose_outputs_hold_no_timing_and_match_across_workers(tmp_path):
    images = tmp_path / "images"
    prompts = write_prompts(tmp_path / "p.jsonl", make_images(images, 2, first_seed=20), all_objects=True)
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        report = run(images, out, task="decompose", prompts=prompts, config=AMCPConfig(samples=1, steps="I"),
                     workers=workers, progress=False)
        assert report.ok == 2 and all(r["layers"] == 2 for r in report.records)
        outs.append(out)
    assert tree_hashes(outs[0], "layers") == tree_hashes(outs[1], "layers")
    manifest = (outs[0] / "layers" / "s20" / "manifest.json").read_text()
    assert '"seconds"' not in manifest and '"seconds"' not in (outs[0] / "layers" / "s20" / "graph.json").read_text()


@pytest.mark.parametrize("argv, words", [
    (["--address", "auto"], "needs `--engine ray`"),
    (["--prompts", "missing.jsonl"], "`--prompts` must be a JSON Lines file"),
    (["--workers", "0"], "expected an integer >= 1"),
    (["--amodal", "nearest"], "apply to --task decompose"),
    (["--hand-order"], "apply to --task decompose"),
])
def test_cli_bad_input_one_line(dataset, tmp_path, capsys, argv, words):
    images, prompts, _ = dataset
    base = ["batch", str(images), "--task", "segment", "-o", str(tmp_path / "out"), "--no-progress"]
    if "--prompts" not in argv:
        base += ["--prompts", str(prompts)]
    assert main(base + argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out" / RESULTS).exists()


def test_cli_hand_order_reaches_the_decompose_config(dataset, tmp_path, monkeypatch):
    from paintseg_layers.cli import batch as batch_cli

    seen = []

    def fake_run_batch(*args, config, **kwargs):
        seen.append(config)
        return run(*args, config=config, **kwargs)

    images, prompts, _ = dataset
    monkeypatch.setattr(batch_cli, "run_batch", fake_run_batch)
    argv = ["batch", str(images), "--task", "decompose", "--prompts", str(prompts), "--samples", "1", "--steps", "I",
            "--no-progress", "-o"]
    assert main([*argv, str(tmp_path / "learnt")]) == 1  # the data set's corrupt file fails, the rest run
    assert main([*argv, str(tmp_path / "hand"), "--hand-order"]) == 1
    assert [c.learnt_cue for c in seen] == [1.0, 0.0]


# -- Ray engine (a local Ray instance, 2 CPUs) ----------------------------------------------------------------
@pytest.fixture(scope="module")
def ray_instance():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_engine_matches_local(ray_instance, local_one, dataset, tmp_path):
    images, prompts, lines = dataset
    out = tmp_path / "ray"
    report = run(images, out, task="segment", prompts=prompts, config=FAST, engine="ray", workers=2, progress=False)
    assert (report.ok, report.failed, report.skipped) == (6, 1, 1)
    assert tree_hashes(out, "masks") == tree_hashes(local_one[0], "masks")
    assert all(r["engine"] == "ray" for r in report.records)
    assert ray_instance.is_initialized()  # joined the running instance, left it running

    # decompose through Ray equals decompose in-process, byte for byte (manifests included)
    sub = tmp_path / "few"
    dec_prompts = write_prompts(tmp_path / "dec.jsonl", lines[:2], all_objects=True)
    sub.mkdir()
    for name, _ in lines[:2]:
        (sub / name).write_bytes((images / name).read_bytes())
    cfg = AMCPConfig(samples=1, steps="I")
    a = run(sub, tmp_path / "dl", task="decompose", prompts=dec_prompts, config=cfg, progress=False)
    b = run(sub, tmp_path / "dr", task="decompose", prompts=dec_prompts, config=cfg, engine="ray", workers=2,
            progress=False)
    assert a.ok == b.ok == 2
    assert tree_hashes(tmp_path / "dl", "layers") == tree_hashes(tmp_path / "dr", "layers")


def test_benchmark_smoke(tmp_path):
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "batch_benchmark.py"
    res = subprocess.run(
        [sys.executable, str(script), "--smoke", "--runs", "local-1,local-2", "--json", str(tmp_path / "b.json")],
        check=False,
        capture_output=True,
        text=True,
        timeout=240,
        env=dict(os.environ, OMP_NUM_THREADS="1"),
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "| local-2 | 4 |" in res.stdout and "identical masks in every run: yes" in res.stdout
    rows = json.loads((tmp_path / "b.json").read_text())
    assert [r["run"] for r in rows] == ["local-1", "local-2"] and rows[0]["ratio"] == 1.0


def test_preset_o_painter_reaches_batch_workers(dataset, tmp_path, monkeypatch):
    """A preset that paints O-steps with another painter: the CLI's backends and the batch's workers both
    paint with a StepPainters of the two, and the O-painter is part of the settings hash."""
    from dataclasses import replace

    from paintseg_layers.amcp import presets
    from paintseg_layers.batch.settings import BatchSettings
    from paintseg_layers.cli.common import backend_options, make_backends
    from paintseg_layers.cli.main import build_parser
    from paintseg_layers.painters import StepPainters

    monkeypatch.setitem(presets.PRESETS, "two-painters",
                        replace(presets.PRESETS["default"], name="two-painters", o_painter="ns",
                                o_painter_options={"radius": 5}))
    args = build_parser().parse_args(
        ["batch", str(dataset[0]), "--task", "segment", "-o", str(tmp_path / "o"), "--preset", "two-painters"])
    chosen = backend_options(args)
    assert (chosen["painter"], chosen["o_painter"], chosen["o_painter_options"]) == ("telea", "ns", {"radius": 5})
    painter, _ = make_backends(args)
    assert isinstance(painter, StepPainters) and painter.outpaint.name == "ns"
    # --painter other than the preset's drops the preset's O-painter (it was chosen for that painter)
    args.painter = "ns"
    assert backend_options(args)["o_painter"] is None

    settings = BatchSettings(task="segment", config=FAST.to_dict(), o_painter="ns", o_painter_options={"radius": 5})
    worker = Worker(settings, tmp_path)
    assert isinstance(worker.painter, StepPainters) and worker.painter.outpaint.name == "ns"
    assert settings.digest() != BatchSettings(task="segment", config=FAST.to_dict()).digest()
