"""Every recipe runs on the shipped examples (weight-free backends, low effort) and writes its pictures."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"

#: recipe -> files it must write under --out
CASES = {
    "remove_object.py": ["removed.png", "mask.png", "before_after.jpg"],
    "move_and_reinsert.py": ["edited.png", "before_after.jpg", "decomposition/manifest.json"],
    "swap_depth.py": ["swapped.png", "before_after.jpg"],
    "into_another_photo.py": ["result.png", "before_after.jpg"],
    "amodal_completion.py": ["amodal.jpg"],
}


def run(args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", PYTHONWARNINGS="ignore::DeprecationWarning")
    return subprocess.run(
        [sys.executable, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )


def test_every_recipe_is_covered():
    scripts = {p.name for p in RECIPES.glob("*.py") if not p.name.startswith("_")}
    assert scripts == set(CASES) | {"batch.py", "make_gallery.py"}


@pytest.mark.parametrize("recipe", sorted(CASES))
def test_recipe_runs(recipe, tmp_path):
    out = tmp_path / "out"
    res = run([RECIPES / recipe, "--out", out, "--samples", "2"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    for name in CASES[recipe]:
        assert (out / name).stat().st_size > 0, name
    if recipe == "swap_depth.py":  # the two named layers exchanged places
        assert "['obj2', 'obj1', 'obj0'] -> ['obj1', 'obj2', 'obj0']" in res.stdout


def test_batch_decomposes_then_skips_finished(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    for name in ("a.png", "b.png"):
        shutil.copy(ROOT / "examples" / "shapes.png", images / name)
    out = tmp_path / "out"
    args = [RECIPES / "batch.py", images, "--prompts", ROOT / "examples" / "shapes.prompts", "--out", out,
            "--samples", "1"]
    res = run(args, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "2 ok, 0 failed, 0 skipped; 2 computed by this run, 0 already finished" in res.stdout
    assert len(json.loads((out / "layers" / "a" / "manifest.json").read_text())["layers"]) == 3
    assert "%" in res.stderr  # the progress bar

    shutil.rmtree(out / "layers" / "b")  # as if b had not finished
    res = run(args, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "1 computed by this run, 1 already finished" in res.stdout


def test_batch_reports_a_failing_image_and_goes_on(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    (images / "broken.png").write_bytes(b"not a png")
    res = run([RECIPES / "batch.py", images, "--out", tmp_path / "out"], cwd=tmp_path)
    assert res.returncode == 1
    line = next(x for x in res.stdout.splitlines() if x.startswith("failed: broken:"))
    assert "broken.png" in line and "is not a readable image" in line, res.stdout
