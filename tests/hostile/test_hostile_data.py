"""Issue 13 item 6: failures leave nothing half-written; damaged cache entries are recomputed."""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from paintseg_layers.cli import main
from paintseg_layers.eval.cache import read_entry, write_entry
from paintseg_layers.eval.datasets import Sample
from paintseg_layers.eval.scenes import ground_truth_decomposition, make_scene


def test_truncated_cache_npz_is_recomputed(tmp_path, caplog):
    sample = Sample("cat", tmp_path / "cat.png", tmp_path / "cat_mask.png", None)
    paths = (tmp_path / "c" / "cat.x.json", tmp_path / "c" / "cat.x.npz")
    mask = np.zeros((30, 40), bool)
    mask[5:20, 8:30] = True
    write_entry(paths, {"name": "cat", "seconds": 0.1, "iou": {"default": 0.9}}, {"default": mask})
    assert read_entry(paths, sample)["iou"] == {"default": 0.9}
    data = paths[1].read_bytes()
    for cut in (len(data) // 2, 30, 0):  # a run killed while writing, at any point
        paths[1].write_bytes(data[:cut])
        with caplog.at_level(logging.WARNING):
            assert read_entry(paths, sample) is None
        assert "recomputing" in caplog.text
    write_entry(paths, {"name": "cat", "seconds": 0.1, "iou": {"default": 0.9}}, {"default": mask})
    assert read_entry(paths, sample) is not None  # the next run's entry is trusted again


def test_failed_eval_leaves_no_report_folder(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    (data / "masks").mkdir()
    (data / "images" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")  # listed, fails when read
    Image.new("L", (32, 24), 255).save(data / "masks" / "a.png")
    report = tmp_path / "reports" / "run1"
    code = main(["eval", str(data), "--prompt", "box", "--report", str(report), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "a.png" in err, err
    assert not report.exists()


def test_outputs_create_missing_parent_folders(tmp_path, capsys):
    dec = ground_truth_decomposition(make_scene(2, size=(40, 32), n_objects=1, cutouts="none"))
    dec.save(tmp_path / "out" / "shapes")  # the README's API snippet on a fresh clone
    target = tmp_path / "results" / "scene1" / "dec.ora"
    assert main(["export", str(tmp_path / "out" / "shapes"), "-o", str(target)]) == 0
    assert target.is_file()
    picture = tmp_path / "renders" / "a" / "b.png"
    assert main(["compose", str(tmp_path / "out" / "shapes"), "-o", str(picture)]) == 0
    assert picture.is_file()
    capsys.readouterr()
