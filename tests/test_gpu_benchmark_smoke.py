"""The GPU benchmark (``benchmarks/gpu_amcp.py``) runs in ``--smoke`` mode on the CPU and prints its table.

The full-size run is marked ``gpu`` (deselected by default; it needs CUDA and minutes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_amcp.py"


def _run(args, timeout):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_benchmark_smoke_prints_table(tmp_path):
    out_json = tmp_path / "rows.json"
    proc = _run(["--smoke", "--threads", "1", "--json", str(out_json)], timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| protocol"))
    for col in ("UNet calls", "UNet rows", "s/segmentation", "peak GPU MiB"):
        assert col in header
    assert any(line.startswith("| reference") for line in lines)
    assert any(line.startswith("| optimised") for line in lines)
    assert any(line.startswith("speed ratio (reference / optimised):") for line in lines)
    assert any(line.startswith("paper preset cost (paper / optimised):") for line in lines)
    rows = {r["protocol"]: r for r in json.loads(out_json.read_text())}
    ref, opt, paper = rows["reference"], rows["optimised"], rows["paper"]
    assert not ref["error"] and not opt["error"] and not paper["error"]
    # the paper preset: a ViT-B/8-shaped projector at a larger input, the optimised painter
    assert paper["projector"].startswith("ViT-B/8@48") and opt["projector"].startswith("ViT-S/8@32")
    assert paper["unet_rows"] == opt["unet_rows"]
    # reference: one call per sample (2 AMCP steps x 2 samples), 3 PNDM steps with guidance (2 rows per call)
    assert ref["pipeline_calls"] == 4 and ref["unet_rows"] == 2 * ref["unet_calls"]
    # optimised: guidance skipped for the empty prompt, samples batched where their regions agree
    assert opt["unet_rows"] < ref["unet_rows"] and opt["pipeline_calls"] <= ref["pipeline_calls"]
    assert ref["peak_gpu_mib"] is None  # CPU run


@pytest.mark.gpu
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA device")
def test_benchmark_full_size_on_gpu(tmp_path):  # pragma: no cover - GPU only
    out_json = tmp_path / "rows.json"
    proc = _run(["--json", str(out_json)], timeout=1800)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {r["protocol"]: r for r in json.loads(out_json.read_text())}
    assert rows["reference"]["seconds"] / rows["optimised"]["seconds"] >= 5
