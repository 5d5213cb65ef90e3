"""``paintseg eval`` in-process on 1-2 GrabCut images (small working size, one sample): every protocol,
the JSON contract, the sweep, the report, resume from the cache, and worker-count independence.

Everything is written under pytest's tmp_path; ../shared is only read.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import paintseg_layers.eval.evaluate as evaluate
from paintseg_layers.cli import main
from paintseg_layers.errors import InputError

FAST = ["--limit", "2", "--working-size", "96", "--samples", "1", "--steps", "IO", "--no-progress"]


def run_cli(capsys, *argv):
    code = main(["eval", *map(str, argv)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_box_json_contract_and_metrics(grabcut_dir, tmp_path, capsys):
    out = run_cli(capsys, grabcut_dir, "--prompt", "box", *FAST, "--limit", "1", "--json", tmp_path / "r.json")
    assert "| default |" in out and "| grabcut |" in out and "boundary F" in out
    data = json.loads((tmp_path / "r.json").read_text())
    for m in evaluate.BOX_METHODS:
        assert {"mean_iou", "median_s", "mean_pixel_accuracy", "mean_f_beta", "mean_boundary_f"} <= set(data["methods"][m])
    assert len(data["images"]) == 1
    for r in data["images"]:
        assert {"name", "iou", "seconds"} <= set(r)
        assert 0 <= r["iou"]["default"] <= 1
    assert (tmp_path / ".paintseg_cache" / "box").is_dir()  # default cache beside --json


def test_resume_recomputes_nothing_and_prints_the_same_table(grabcut_dir, tmp_path, capsys, monkeypatch):
    calls = []
    real = evaluate.evaluate_image

    def counting(sample, spec, **kw):
        calls.append(sample.name)
        return real(sample, spec, **kw)

    monkeypatch.setattr(evaluate, "evaluate_image", counting)
    cache = tmp_path / "cache"
    # an "interrupted" run: only the first image finished
    run_cli(capsys, grabcut_dir, "--prompt", "coarse", *FAST, "--limit", "1", "--cache", cache)
    assert len(calls) == 1
    first = run_cli(capsys, grabcut_dir, "--prompt", "coarse", *FAST, "--cache", cache)
    assert len(calls) == 2  # only the unfinished image was computed
    again = run_cli(capsys, grabcut_dir, "--prompt", "coarse", *FAST, "--cache", cache)
    assert len(calls) == 2  # nothing recomputed
    assert again == first
    assert "| coarse |" in first and "| grabcut_mask |" in first
    # another config is another key
    run_cli(capsys, grabcut_dir, "--prompt", "coarse", *FAST, "--seed", "1", "--cache", cache)
    assert len(calls) == 4


def test_scribble_sweep_and_report(grabcut_dir, tmp_path, capsys):
    rep = tmp_path / "rep"
    out = run_cli(capsys, grabcut_dir, "--prompt", "scribble", *FAST, "--limit", "1", "--sweep", "samples=1,2",
                  "--report", rep)
    assert "scribbles scribbles_set1" in out
    assert "| samples | default IoU |" in out
    assert "\n| 1 |" in out and "\n| 2 |" in out
    assert "| scribble |" in out and "| grabcut_mask |" in out
    md = (rep / "summary.md").read_text()
    assert "Best" in md and "Worst" in md
    assert list((rep / "gallery").glob("*.png"))
    assert "<img" in (rep / "index.html").read_text()


def test_clicks_protocol_reports_noc(grabcut_dir, tmp_path, capsys):
    rep = tmp_path / "rep"
    out = run_cli(capsys, grabcut_dir, "--prompt", "clicks", *FAST, "--limit", "1", "--max-clicks", "3",
                  "--report", rep, "--json", tmp_path / "c.json")
    assert "NoC@85" in out and "| grabcut_clicks |" in out
    data = json.loads((tmp_path / "c.json").read_text())
    tr = data["images"][0]["clicks"]["default"]
    assert 1 <= len(tr["ious"]) <= 3 and 1 <= tr["noc90"] <= 3
    assert tr["clicks"][0]["positive"] is True
    assert (rep / "iou_vs_clicks.svg").read_text().startswith("<svg")


def test_generated_scribbles_when_no_folder(grabcut_dir, tmp_path):
    s = evaluate.list_dataset(grabcut_dir, limit=1)[0]
    spec = evaluate.EvalSpec("scribble", ("scribble",), seed=0)
    rec, masks = evaluate.evaluate_image(s, spec)
    assert set(np.unique(masks["_prompt"])) <= {0, 128, 255}
    assert 0 < rec["iou"]["scribble"] <= 1


def test_results_do_not_depend_on_workers(grabcut_dir, tmp_path):
    samples = evaluate.list_dataset(grabcut_dir, limit=2)
    spec = evaluate.EvalSpec("coarse", ("coarse", "grabcut_mask"))
    one = evaluate.run_jobs([(s, spec) for s in samples], workers=1, progress=False)
    two = evaluate.run_jobs([(s, spec) for s in samples], workers=2, cache_dir=tmp_path, progress=False)
    assert [r["name"] for r in one] == [r["name"] for r in two]
    assert [r["iou"] for r in one] == [r["iou"] for r in two]


@pytest.mark.parametrize("text, match", [
    ("samples", "NAME=V1"), ("bogus=1,2", "one of"), ("samples=a", "int"), ("samples=0", "samples"), ("steps=", "value"),
])
def test_parse_sweep_errors(text, match):
    with pytest.raises(InputError, match=match):
        evaluate.parse_sweep(text)


def test_parse_sweep_types():
    assert evaluate.parse_sweep("samples=1,2,3") == ("samples", [1, 2, 3])
    assert evaluate.parse_sweep("painter=telea,ns") == ("painter", ["telea", "ns"])
    assert evaluate.parse_sweep("refine=true,false") == ("refine", [True, False])


def test_cli_rejects_misplaced_flags(grabcut_dir, capsys):
    assert main(["eval", str(grabcut_dir), "--prompt", "box", "--max-clicks", "3"]) == 2
    assert "--max-clicks" in capsys.readouterr().err
