"""``paintseg eval`` in-process on 1-2 GrabCut images (small working size, one sample): every protocol,
the JSON contract, the sweep, the report, resume from the cache, and worker-count independence.

Everything is written under pytest's tmp_path; ../shared is only read.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import paintseg_layers.eval as evaluate
from paintseg_layers.cli import main
from paintseg_layers.errors import BackendError, InputError
from paintseg_layers.eval import protocols
from paintseg_layers.eval.cache import cache_paths, load_masks
from paintseg_layers.eval.tables import parse_sweep

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
        want = {"mean_iou", "median_s", "mean_pixel_accuracy", "mean_f_beta", "mean_boundary_f"}
        assert want <= set(data["methods"][m])
    assert len(data["images"]) == 1
    for r in data["images"]:
        assert {"name", "iou", "seconds"} <= set(r)
        assert 0 <= r["iou"]["default"] <= 1
    assert (tmp_path / ".paintseg_cache" / "box").is_dir()  # default cache beside --json


@pytest.fixture
def evaluated(monkeypatch):
    """The names of the images evaluated (not read from the cache) from now on, in order."""
    calls = []
    real = protocols.evaluate_image

    def counting(sample, spec, **kw):
        calls.append(sample.name)
        return real(sample, spec, **kw)

    monkeypatch.setattr(protocols, "evaluate_image", counting)
    return calls


def test_resume_recomputes_nothing_and_prints_the_same_table(grabcut_dir, tmp_path, capsys, evaluated):
    calls = evaluated
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
    rec, masks = protocols.evaluate_image(s, spec)
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
    ("samples", "NAME=V1"), ("bogus=1,2", "one of"), ("samples=a", "int"), ("samples=0", "samples"),
    ("steps=", "value"),
])
def test_parse_sweep_errors(text, match):
    with pytest.raises(InputError, match=match):
        parse_sweep(text)


def test_parse_sweep_types():
    assert parse_sweep("samples=1,2,3") == ("samples", [1, 2, 3])
    assert parse_sweep("painter=telea,ns") == ("painter", ["telea", "ns"])
    assert parse_sweep("refine=true,false") == ("refine", [True, False])


def test_cli_rejects_misplaced_flags(grabcut_dir, capsys):
    assert main(["eval", str(grabcut_dir), "--prompt", "box", "--max-clicks", "3"]) == 2
    assert "--max-clicks" in capsys.readouterr().err


SMALL = {"working_size": 96, "samples": 1, "steps": "IO"}


def test_run_api_gives_frozen_typed_report_matching_the_cli_json(grabcut_dir, tmp_path, capsys):
    report = evaluate.run(grabcut_dir, "coarse", limit=1, config=SMALL, progress=False)
    assert isinstance(report, evaluate.EvalReport) and report.sweep is None
    rec = report.images[0]
    assert isinstance(rec, evaluate.ImageRecord) and rec.name == report.samples[0].name
    assert set(rec.iou) == {"default", "amcp", "coarse", "grabcut_mask"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.table = {}
    with pytest.raises(TypeError):
        rec.iou["default"] = 1.0
    run_cli(capsys, grabcut_dir, "--prompt", "coarse", *FAST, "--limit", "1", "--no-cache",
            "--json", tmp_path / "c.json")
    cli = json.loads((tmp_path / "c.json").read_text())
    api = json.loads(json.dumps(report.to_dict()))
    assert list(api) == list(cli) == ["config", "spec", "methods", "images"]
    for r in (api, cli):  # timings differ between runs
        for m in r["methods"].values():
            m.pop("median_s")
        for im in r["images"]:
            im.pop("seconds")
    assert api == cli


def test_run_api_sweep_payload(grabcut_dir):
    report = evaluate.run(grabcut_dir, "box", limit=1, config=SMALL, sweep=("samples", [1, 2]), progress=False)
    d = report.to_dict()
    assert list(d) == ["config", "spec", "sweep", "methods", "sweep_tables", "images", "images_by_value"]
    assert d["sweep"] == {"name": "samples", "values": [1, 2]}
    assert set(d["sweep_tables"]) == set(d["images_by_value"]) == {"1", "2"}
    assert {"grabcut", "box", "refine_only", "default (samples=1)", "default (samples=2)"} <= set(d["methods"])
    assert "default" not in report.table  # the baselines run once, outside the sweep
    img = d["images"][0]
    assert {"grabcut", "default"} <= set(img["iou"])


@pytest.mark.parametrize("kw, match", [
    ({"protocol": "boxes"}, "`protocol`"), ({"max_clicks": 3}, "`max_clicks`"), ({"scribbles": "."}, "`scribbles`"),
    ({"sweep": "bogus=1"}, "one of"), ({"config": {"bogus": 1}}, "bogus"), ({"painter": "nope"}, "nope"),
    ({"limit": 0}, "`limit` must be an integer >= 1, got 0"), ({"seed": -1}, "`seed`"),
    ({"config": "fast"}, "`config`"),
])
def test_run_api_rejects_bad_arguments(grabcut_dir, kw, match):
    kw = {"protocol": "box", "limit": 1, **kw}
    with pytest.raises((InputError, BackendError), match=match):
        evaluate.run(grabcut_dir, kw.pop("protocol"), progress=False, **kw)


def test_damaged_cache_entries_are_recomputed(grabcut_dir, tmp_path, evaluated):
    samples = evaluate.list_dataset(grabcut_dir, limit=2)
    spec = evaluate.EvalSpec("coarse", ("coarse", "grabcut_mask"))
    jobs = [(s, spec) for s in samples]
    first = evaluate.run_jobs(jobs, cache_dir=tmp_path, progress=False)
    calls = evaluated
    calls.clear()
    assert evaluate.run_jobs(jobs, cache_dir=tmp_path, progress=False) == first
    assert calls == []
    (j0, n0), (j1, n1) = (cache_paths(tmp_path, s, spec) for s in samples)
    n0.write_bytes(n0.read_bytes()[: n0.stat().st_size // 2])  # a truncated masks file
    j1.write_text(j1.read_text()[:-10])  # a truncated record
    again = evaluate.run_jobs(jobs, cache_dir=tmp_path, progress=False)
    assert calls == [s.name for s in samples]
    assert [r["iou"] for r in again] == [r["iou"] for r in first]
    assert load_masks(n0)["coarse"].shape == (first[0]["size"][1], first[0]["size"][0])  # rewritten whole


def test_spec_rejects_unknown_degrade_keys():
    with pytest.raises(InputError, match=r"unknown degrade setting\(s\) \['blur'\]; known: \['blob_size', 'blobs'"):
        evaluate.EvalSpec("coarse", ("coarse",), degrade={"blur": 1})
