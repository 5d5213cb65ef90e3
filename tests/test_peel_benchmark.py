"""The peel benchmark's ``--merge``: one table over runs made in parts equals the table of their rows."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import numpy as np

from paintseg_layers.imageio import read_image
from paintseg_layers.masks import iou

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "peel_benchmark.py"


def _row(seed, vis, amodal, control, correct, plate):
    return {"seed": seed, "n": len(vis), "seconds": 1.0 + seed % 3, "vis_iou": vis, "amodal": amodal,
            "guess": [a - 0.2 for a in amodal], "control": control, "pairs": 2, "correct": correct, "touching": 2,
            "touching_correct": correct, "hidden_psnr": [20.0], "hidden_ssim": [0.5], "hidden_cover": [0.8],
            "psnr_plate": plate, "ssim_plate": 0.4}


def _value(out: str, label: str) -> str:
    line = next(ln for ln in out.splitlines() if ln.startswith(label))
    return re.split(r"\s{2,}", line.strip())[-1]


def _merge(tmp_path, *parts):
    """Run ``--merge`` over one JSON file per part (a list of rows each)."""
    files = []
    for k, rows in enumerate(parts):
        files.append(tmp_path / f"part{k}.json")
        files[-1].write_text(json.dumps(rows))
    return subprocess.run([sys.executable, str(SCRIPT), "--merge", *map(str, files)], capture_output=True, text=True,
                          timeout=120, check=False)


def _merged(tmp_path, *parts) -> str:
    """The table ``--merge`` prints over ``parts`` (see :func:`_merge`); it must succeed."""
    proc = _merge(tmp_path, *parts)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_merge_prints_the_table_over_all_parts(tmp_path):
    a = [_row(0, [0.9, 0.5], [0.8], [0.7], 2, 20.0)]
    b = [_row(1, [0.6], [0.4, 0.6], [0.5, 0.5], 0, 22.0), _row(2, [1.0], [], [], 1, 24.0)]
    out = _merged(tmp_path, a, b)
    assert "3 scenes merged" in out
    assert _value(out, "objects / occluded objects / overlapping pairs") == "4 / 3 / 6"
    assert _value(out, "mean visible IoU") == "0.750"  # (0.9 + 0.5 + 0.6 + 1.0) / 4: objects, not scenes
    assert _value(out, "mean amodal IoU, occluded: peel") == "0.600"
    assert _value(out, "pairwise depth-order accuracy") == "0.500"  # 3 of 6 pairs
    counts, spread = _value(out, "  right / pairs; 95 % interval").split("; ")
    lo, hi = map(float, spread.split(" - "))
    assert counts == "3 / 6" and lo < 0.5 < hi  # scenes right 2 / 2, 0 / 2, 1 / 2
    peel, lead = (tuple(map(float, v.split(" - "))) for v in _value(out, "  95 % intervals: peel").split(" / "))
    # amodal 0.8 | 0.4, 0.6 against control 0.7 | 0.5, 0.5: mean 0.6, lead 0.1 / 3
    assert peel[0] < 0.6 < peel[1] and lead[0] < 0.1 / 3 < lead[1]
    assert _value(out, "background plate in removed region").startswith("22.00")


def test_merge_splits_the_amodal_loss(tmp_path):
    a = _row(0, [0.9], [0.8, 0.6], [0.7, 0.5], 2, 20.0)
    a.update(ceiling=[0.9, 0.7], missed=[0.1, 0.2], spurious=[0.0, 0.3], cutout=[True, False],
             true_visible=[0.95, 0.85])
    b = _row(1, [0.6], [0.4], [0.5], 0, 22.0)
    b.update(ceiling=[0.5], missed=[0.3], spurious=[0.0], cutout=[True], true_visible=[0.6])
    out = _merged(tmp_path, [a, b])
    assert _value(out, "  ceiling: predicted visible + true hidden part") == "0.700"
    assert _value(out, "  hidden px missed / spurious") == "0.200 / 0.100"
    assert _value(out, "  shape rule on the true visible masks") == "0.800"
    # cut-outs: 0.8 and 0.4; shapes: 0.6
    assert _value(out, "  peel on cut-outs (real objects) / drawn shapes") == "0.600 (2) / 0.600 (1)"


def test_merge_shows_what_fragments_of_objects_cost(tmp_path):
    """Objects whose visible mask spans under half its box: their amodal IoU, and their gap to the true-visible
    row as a share of the headline mean."""
    a = _row(0, [0.9], [0.8, 0.2], [0.7, 0.5], 2, 20.0)
    a.update(ceiling=[0.9, 0.7], missed=[0.1, 0.2], spurious=[0.0, 0.3], cutout=[True, True],
             true_visible=[0.9, 0.8], box_span=[0.95, 0.1])
    b = _row(1, [0.6], [0.5], [0.5], 0, 22.0)
    b.update(ceiling=[0.5], missed=[0.3], spurious=[0.0], cutout=[True], true_visible=[0.7], box_span=[0.4])
    out = _merged(tmp_path, [a, b])
    # fragments: 0.2 (truth 0.8) and 0.5 (truth 0.7); their gap (0.6 + 0.2) over the 3 objects
    assert _value(out, "  2 fragments (visible mask spans < half its box)") == \
        "0.350 (true visible 0.750: 0.267 of the mean)"


def test_box_span_of_a_fragment_and_of_a_whole_object():
    bench = _load_benchmark()
    mask = np.zeros((40, 60), bool)
    mask[10:30, 20:50] = True  # 30 x 20 px
    assert bench.box_span(mask, (20, 10, 50, 30)) == 1.0
    assert bench.box_span(mask, (0, 0, 60, 40)) == 0.5 * 0.5
    assert bench.box_span(mask, None) == 1.0
    assert bench.box_span(np.zeros_like(mask), (0, 0, 60, 40)) == 0.0


def test_pictures_of_the_worst_objects(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--scenes", "1", "--pictures", str(tmp_path / "pics"),
                           "--worst", "1"], capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    files = sorted((tmp_path / "pics").iterdir())
    assert len(files) == 1 and files[0].name.startswith("00_1000_obj")
    assert read_image(files[0]).shape[:2] == (120, 5 * 160)  # five panels of the 160 x 120 scene
    proc = subprocess.run([sys.executable, str(SCRIPT), "--worst", "0"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 2 and "--worst must be at least 1, got 0" in proc.stderr


def test_a_neural_projector_from_a_local_folder(tmp_path):
    """``--projector dinov2 --projector-model DIR`` measures that checkpoint (a tiny random one here): the header
    names it and the masks are its own; a model flag on a weight-free backend is one usage line, exit 2."""
    from test_neural_backends import build_tiny_vits

    _, dinov2 = build_tiny_vits(tmp_path)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    runs = {}
    for name, extra in (("lab", []), ("dinov2", ["--projector", "dinov2", "--projector-model", str(dinov2)])):
        out = tmp_path / f"{name}.json"
        proc = subprocess.run([sys.executable, str(SCRIPT), "--scenes", "1", "--json", str(out), *extra],
                              capture_output=True, text=True, timeout=600, check=False, env=env)
        assert proc.returncode == 0, proc.stderr
        runs[name] = (proc.stdout, json.loads(out.read_text()))
    assert f"projector=dinov2 ({dinov2})" in runs["dinov2"][0] and "projector=lab," in runs["lab"][0]
    assert runs["dinov2"][1][0]["vis_iou"] != runs["lab"][1][0]["vis_iou"]
    proc = subprocess.run([sys.executable, str(SCRIPT), "--scenes", "1", "--projector-model", str(dinov2)],
                          capture_output=True, text=True, timeout=120, check=False, env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "`--projector-model` applies to neural projectors only, not 'lab'" in proc.stderr.splitlines()[-1]


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("peel_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _disc_under_wall():
    """A disc 30 % under a wall (80 x 100)."""
    yy, xx = np.mgrid[:80, :100]
    disc = (xx - 40) ** 2 + (yy - 40) ** 2 <= 20 ** 2
    return disc, (xx >= 48) & (xx < 90) & (yy >= 10) & (yy < 70)


def _decomposition(visible, edges):
    """A stand-in decomposition: layer ``obj<i>`` shows ``visible[i]``; ``edges`` (front, back) are its graph."""
    layers = [SimpleNamespace(id=f"obj{i}", prompt_index=i, visible_mask=m) for i, m in enumerate(visible)]
    return SimpleNamespace(layers=layers, graph=nx.DiGraph(edges), layer=lambda lid: layers[int(lid[3:])])


def test_replays_follow_the_graph_from_front_to_back():
    """A disc 30 % under a wall: the replays grow the disc (behind), never the wall (in front)."""
    bench = _load_benchmark()
    disc, wall = _disc_under_wall()
    truth = [wall, disc & ~wall]  # prompt 0 in front of prompt 1
    dec = _decomposition(truth, [("obj0", "obj1")])
    scene = SimpleNamespace(objects=[SimpleNamespace(visible_mask=m) for m in truth])

    shapes = bench.true_visible_amodal(dec, scene, reach=2.0)
    control = bench.control_amodal(dec)
    assert np.array_equal(shapes[0], wall) and np.array_equal(control[0], wall)  # nothing is in front of the wall
    assert iou(shapes[1], disc) > 0.9  # the arc continued under the wall
    assert iou(truth[1], disc) < 0.85
    assert (control[1] & wall).any() and iou(control[1], disc) > iou(truth[1], disc)


def test_merge_shows_the_pairs_no_boundary_can_order_apart(tmp_path):
    # 5 pairs: 3 touch (2 right), 2 do not (1 right); 4 hide >= 0.5 % of the back object (3 right)
    a = _row(0, [0.9], [0.8], [0.7], 3, 20.0)
    a.update(pairs=5, touching=3, touching_correct=2, seen=4, seen_correct=3)
    out = _merged(tmp_path, [a])
    assert _value(out, "pairwise depth-order accuracy") == "0.600"
    assert _value(out, "  right / pairs; 95 % interval") == "3 / 5; -"  # one scene: no interval made up
    assert _value(out, "  95 % intervals: peel") == "- / -"
    assert _value(out, "  on the 3 pairs whose visible parts touch") == "0.667"
    assert _value(out, "  on the 2 pairs whose visible parts do not touch") == "0.500"
    assert _value(out, "  on the 4 pairs hiding >= 0.5 % of the back one") == "0.750"
    # rows of older runs lack the last column: it is left out, not made up
    assert "pairs hiding" not in _merged(tmp_path, [_row(1, [0.6], [0.4], [0.5], 1, 22.0)])


def test_true_order_replay_puts_the_true_occluder_in_front():
    """The graph says the disc hides the wall (wrong): the true-order row still grows the disc under the wall."""
    bench = _load_benchmark()
    disc, wall = _disc_under_wall()
    seen = [wall, disc & ~wall]
    dec = _decomposition(seen, [("obj1", "obj0")])
    scene = SimpleNamespace(objects=[SimpleNamespace(visible_mask=m) for m in seen], shape=disc.shape,
                            occlusion_pairs=lambda: [(0, 1, int((disc & wall).sum()))])

    by_graph = bench.replay_amodal(dec, {i: m for i, m in enumerate(seen)},
                                   bench.shape_rule(None, wall | disc, reach=2.0))
    by_truth = bench.true_order_amodal(dec, scene, reach=2.0)
    assert np.array_equal(by_graph[1], seen[1])  # nothing in front of the disc in the graph: no hidden part
    assert np.array_equal(by_truth[0], wall)  # nothing truly hides the wall
    assert iou(by_truth[1], disc) > 0.9 > iou(seen[1], disc)


def test_the_amodal_replay_reproduces_the_benchmarks_amodal_iou(tmp_path, capsys):
    """``amodal_replay.py`` decomposes each scene once (the peel benchmark's row), keeps its first pass, and later
    runs replay the hidden-part rule on it: the same amodal IoU and control as the full run."""
    spec = importlib.util.spec_from_file_location("amodal_replay", SCRIPT.parent / "amodal_replay.py")
    replay = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(replay)
    argv = ["--cache", str(tmp_path / "fp"), "--scenes", "2", "--first-seed", "1000",
            "--json", str(tmp_path / "rows.json")]
    assert replay.main(argv) == 0
    built = capsys.readouterr().out
    assert len(list((tmp_path / "fp").glob("*/*.pkl"))) == 2
    rows = json.loads((tmp_path / "rows.json").read_text())
    amodal = [a for r in rows for a in r["amodal"]]
    control = [c for r in rows for c in r["control"]]
    assert amodal, "the two scenes have occluded objects"
    assert replay.main(argv[:6]) == 0  # from the cache: no decomposition
    again = capsys.readouterr().out
    assert "built" in built and "built" not in again
    line = next(ln for ln in again.splitlines() if ln.startswith("replay"))
    assert f"amodal {np.mean(amodal):.4f} control {np.mean(control):.4f}" in line
    first = next(ln for ln in built.splitlines() if ln.startswith("replay"))
    assert line.split("; cpu")[0] == first.split("; cpu")[0]


def test_merge_prints_one_row_per_decomposition_seed(tmp_path):
    # the same two scenes decomposed at seeds 0 and 1: depth 3 / 4 and 1 / 4, then their mean
    runs = []
    for seed, correct, vis in ((0, (2, 1), (0.9, 0.7)), (1, (0, 1), (0.5, 0.5))):
        for k in range(2):
            runs.append({**_row(k, [vis[k]], [0.8], [0.7], correct[k], 20.0), "decomposition_seed": seed})
    out = _merged(tmp_path, runs)
    lines = {ln.split()[0]: ln.split() for ln in out.splitlines() if ln.split()[:1] in (["0"], ["1"], ["mean"])}
    assert lines["0"][1] == "0.800" and lines["0"][4] == "0.750" and lines["0"][5:8] == ["3", "/", "4"]
    assert lines["1"][1] == "0.500" and lines["1"][4] == "0.250" and lines["1"][5:8] == ["1", "/", "4"]
    assert lines["mean"][1] == "0.650" and lines["mean"][4] == "0.500"
    # one seed (or rows of older runs without the key): no such table
    assert re.search(r"^seed +visible", out, re.M)
    assert not re.search(r"^seed +visible", _merged(tmp_path, runs[:2]), re.M)


def test_the_depth_order_is_printed_beside_the_same_order_stage_on_the_true_masks(tmp_path):
    """Each row counts the pairs that the order stage gets right from the scene's *true* visible masks (the cues'
    ceiling on that scene, what ``order_diagnose.py --true-only`` reads), and the table prints it under the depth
    order."""
    out = tmp_path / "rows.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--scenes", "2", "--json", str(out)], capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(out.read_text())
    spec = importlib.util.spec_from_file_location("order_diagnose", SCRIPT.parent / "order_diagnose.py")
    od = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(od)
    cfg = od.PeelConfig(amcp=od.AMCPConfig(working_size=160))
    for row in rows:
        scene = od.make_scene(row["seed"], size=(160, 120), n_objects=(2, 4))
        truth = od.true_order_scene(scene, cfg)
        assert row["pairs"] == truth["pairs"] > 0
        assert row["true_mask_correct"] == truth["pairs"] - truth["wrong"]
    right = sum(r["true_mask_correct"] for r in rows) / sum(r["pairs"] for r in rows)
    assert _value(proc.stdout, "  the same order stage on the true visible masks") == f"{right:.3f}"
    # merged rows print it too; rows of older runs without the count leave the line out
    assert _value(_merged(tmp_path, rows), "  the same order stage on the true visible masks") == f"{right:.3f}"
    assert "true visible masks" not in _merged(tmp_path, [_row(0, [0.9], [0.8], [0.7], 2, 20.0)])
