"""benchmarks/visible_diagnose.py: its cached replay scores the first pass that decompose runs."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
from conftest import load_benchmark

from paintseg_layers.amcp import AMCPConfig, Segmenter
from paintseg_layers.eval.scenes import make_scene
from paintseg_layers.image import as_rgb
from paintseg_layers.masks import iou
from paintseg_layers.painters import get_painter
from paintseg_layers.peel import PeelConfig
from paintseg_layers.peel.first_pass import first_pass
from paintseg_layers.projectors import get_projector

vd = load_benchmark("visible_diagnose")


def test_the_cached_replay_scores_decomposes_first_pass(tmp_path, capsys):
    scene = make_scene(2000, size=(160, 120), n_objects=(2, 4))
    cfg = PeelConfig(amcp=AMCPConfig(working_size=160, samples=5, steps="IOI"))
    rgb = as_rgb(scene.image)
    seg = Segmenter(rgb, painter=get_painter(None), projector=get_projector(None),
                    config=replace(cfg.amcp, paint_result=False))
    masks, _, kept = first_pass(rgb, scene.prompts("box"), seg, cfg, 0, False)
    expected = np.mean([iou(masks[i] if i in kept else np.zeros(scene.shape, bool), o.visible_mask)
                        for i, o in enumerate(scene.objects)])
    argv = ["--scenes", "1", "--first-seed", "2000", "--cache", str(tmp_path)]
    assert vd.main(argv) == 0
    fresh = capsys.readouterr().out
    assert (tmp_path / "s2000.npz").is_file()
    assert vd.main(argv) == 0  # now from the cache
    cached = capsys.readouterr().out
    assert abs(float(re.search(r"all ([0-9.]+)", fresh).group(1)) - expected) < 1e-4
    drop_cpu = [line for line in fresh.splitlines() if not line.startswith("CPU")]
    assert drop_cpu == [line for line in cached.splitlines() if not line.startswith("CPU")]
    assert re.search(r"depth-order accuracy [01]\.\d{3} \(\d+ / \d+\)", fresh)
