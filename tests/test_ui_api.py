"""``paintseg ui`` server: every endpoint, its bad inputs, the workspace's confinement and limits."""

from __future__ import annotations

import base64
import io
import json
import struct
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from paintseg_layers import (
    AMCPConfig,
    BoxPrompt,
    Decomposition,
    PeelConfig,
    Translate,
    compose,
    decompose,
    import_decomposition,
    read_image,
)
from paintseg_layers.cli import main
from paintseg_layers.prompts import BOX_MARGIN, grow_box
from paintseg_layers.ui.server import create_app

REPO = Path(__file__).resolve().parents[1]
SHAPES = REPO / "examples" / "shapes.png"
BOXES = ([130, 44, 230, 160], [186, 41, 319, 156], [220, 75, 291, 184])
FAST = {"samples": 1, "working_size": 160}


def decode(url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def wait(client, jid, limit=120):
    t0 = time.time()
    while time.time() - t0 < limit:
        job = client.get(f"/api/jobs/{jid}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {jid} did not finish in {limit} s")


def bomb_png(width=60000, height=60000) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1) * 4))
            + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return tmp_path_factory.mktemp("ui_ws")


@pytest.fixture(scope="module")
def client(ws):
    with TestClient(create_app(ws, max_upload_bytes=400_000, max_pixels=1_000_000)) as c:
        yield c


@pytest.fixture(scope="module")
def shapes(client):
    r = client.post("/api/images", files={"file": ("shapes.png", SHAPES.read_bytes(), "image/png")})
    assert r.status_code == 200, r.text
    return r.json()["name"]


@pytest.fixture(scope="module")
def layers(client, shapes):
    r = client.post("/api/decompose", json={"image": shapes, "prompts": [{"kind": "box", "box": b} for b in BOXES],
                                            "settings": FAST})
    assert r.status_code == 200, r.text
    job = wait(client, r.json()["job"])
    assert job["state"] == "done", job
    return job["result"]["decomposition"]


def alive(client):
    assert client.get("/api/info").status_code == 200


# -- info, images, files ---------------------------------------------------------------------------
def test_info_lists_backends_with_reasons(client):
    info = client.get("/api/info").json()
    painters = {b["name"]: b for b in info["backends"]["painters"]}
    assert painters["telea"]["installed"] and painters["telea"]["reason"] is None
    assert {"lab", "dino"} <= {b["name"] for b in info["backends"]["projectors"]}
    assert all(b["installed"] or "pip install" in b["reason"] for b in info["backends"]["painters"])


def test_upload_stores_png_and_lists_it(client, shapes):
    assert shapes == "shapes.png"
    assert shapes in client.get("/api/images").json()["images"]
    r = client.get(f"/api/files/images/{shapes}")
    assert r.status_code == 200
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB")),
                          (read_image(SHAPES) * 255).round().astype(np.uint8))


def test_upload_names_are_made_safe_and_identical_pictures_reused(client, ws):
    data = SHAPES.read_bytes()
    r = client.post("/api/images", files={"file": ("../../evil name?.png", data, "image/png")})
    assert r.status_code == 200 and r.json()["name"] == "evil-name.png"
    assert (ws / "images" / "evil-name.png").is_file()
    assert (
        client.post("/api/images", files={"file": ("evil name?.png", data, "image/png")}).json()["name"]
        == "evil-name.png"
    )
    other = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(other, format="PNG")
    r = client.post("/api/images", files={"file": ("evil name?.png", other.getvalue(), "image/png")})
    assert r.json() == {"name": "evil-name-2.png", "size": [8, 8]}


@pytest.mark.parametrize("data, status, words", [
    (b"not an image at all", 400, "not a readable image"),
    (b"", 400, "empty"),
    (b"\0" * 500_000, 413, "at most 400000 bytes"),
])
def test_bad_uploads_are_refused_with_a_message(client, data, status, words):
    r = client.post("/api/images", files={"file": ("x.png", data, "image/png")})
    assert r.status_code == status and words in r.json()["error"]
    alive(client)


@pytest.mark.parametrize("size", [(60000, 60000), (1200, 1000)])
def test_decompression_bomb_and_too_many_pixels_are_refused(client, size):
    r = client.post("/api/images", files={"file": ("bomb.png", bomb_png(*size), "image/png")})
    assert r.status_code == 400
    assert "at most 1000000 pixels" in r.json()["error"]
    alive(client)


@pytest.mark.parametrize("path, words", [
    ("images%2F..%2F..%2Fsecret.png", "'..'"),
    ("%2E%2E/secret.png", "'..'"),
    ("%2Fetc%2Fpasswd", "relative to the workspace"),
    ("images/link.png", "outside the workspace"),
    ("images/missing.png", "PNG or JSON file of the workspace"),
])
def test_paths_outside_the_workspace_are_refused(client, ws, tmp_path_factory, path, words):
    outside = tmp_path_factory.mktemp("outside") / "secret.png"
    Image.new("RGB", (4, 4)).save(outside)
    link = ws / "images" / "link.png"
    if not link.is_symlink():
        link.symlink_to(outside)
    r = client.get(f"/api/files/{path}")
    assert r.status_code == 400, r.text
    assert words in r.json()["error"]
    for name in ("..%2Fsecret", "link.png"):  # names in JSON bodies are checked the same way
        r = client.post("/api/segment", json={"image": name, "prompt": {"kind": "box", "box": [1, 1, 3, 3]}})
        assert r.status_code == 400
    r = client.post("/api/compose", json={"decomposition": "../layers", "edits": []})
    assert r.status_code == 400 and "`decomposition`" in r.json()["error"]
    alive(client)


# -- segment ---------------------------------------------------------------------------------------
def test_segment_box_gives_the_librarys_mask(client, shapes):
    box = BOXES[1]
    r = client.post("/api/segment", json={"image": shapes, "prompt": {"kind": "box", "box": box},
                                          "settings": FAST, "color": "#00ff00"})
    assert r.status_code == 200, r.text
    overlay = decode(r.json()["mask"])
    from paintseg_layers import segment

    expected = segment(read_image(SHAPES), BoxPrompt(tuple(box)), config=AMCPConfig(samples=1, working_size=160)).mask
    assert np.array_equal(overlay[..., 3] > 0, expected)
    assert tuple(overlay[expected][0]) == (0, 255, 0, 128)
    x0, y0, x1, y1 = r.json()["box"]
    # a box prompt's mask stays inside the box grown by the prompt's own margin (prompts.BOX_MARGIN)
    gx0, gy0, gx1, gy1 = grow_box(box, BOX_MARGIN, expected.shape, min_pad=2)
    assert gx0 - 2 <= x0 and y0 >= gy0 - 2 and x1 <= gx1 + 2 and y1 <= gy1 + 2


@pytest.mark.parametrize("prompt", [
    {"kind": "points", "positive": [[250, 100]], "negative": [[20, 20]]},
    {"kind": "scribble", "strokes": [{"points": [[240, 90], [270, 110]], "radius": 3},
                                     {"points": [[10, 10], [30, 10]], "negative": True}]},
])
def test_segment_points_and_scribble(client, shapes, prompt):
    r = client.post("/api/segment", json={"image": shapes, "prompt": prompt, "settings": FAST})
    assert r.status_code == 200, r.text
    mask = decode(r.json()["mask"])[..., 3] > 0
    assert mask[100, 255] and not mask[10, 10]


@pytest.mark.parametrize("body, status, words", [
    ({"prompt": {"kind": "box", "box": [1, 2, 3]}}, 400, "`box` must be four numbers [x0, y0, x1, y1]"),
    ({"prompt": {"kind": "lasso"}}, 400, "`kind` box, points or scribble"),
    ({"prompt": {"kind": "box", "box": [400, 10, 500, 90]}}, 400, "box"),
    ({"prompt": {"kind": "points", "positive": "here"}}, 400, "`positive` must be a list"),
    ({"prompt": {"kind": "box", "box": [1, 1, 50, 50]}, "settings": {"samples": 0}}, 400, "`samples`"),
    ({"prompt": {"kind": "box", "box": [1, 1, 50, 50]}, "settings": {"colour": 1}}, 400, "unknown key"),
    ({"prompt": {"kind": "box", "box": [1, 1, 50, 50]}, "settings": {"painter": "nope"}}, 422, "available: telea"),
    ({"prompt": {"kind": "box", "box": [1, 1, 50, 50]}, "extra": 1}, 400, "unknown field"),
    ({"image": "nope.png", "prompt": {"kind": "box", "box": [1, 1, 50, 50]}}, 400, "not in the workspace"),
])
def test_segment_bad_inputs(client, shapes, body, status, words):
    r = client.post("/api/segment", json={"image": shapes, **body})
    assert r.status_code == status, r.text
    assert words in r.json()["error"]
    alive(client)


def test_non_json_body_is_a_readable_400(client):
    r = client.post("/api/segment", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"].startswith("bad request")


# -- decompose and jobs ----------------------------------------------------------------------------
def test_decompose_job_reports_progress_and_matches_the_library(client, ws, layers):
    dec = Decomposition.load(ws / "layers" / layers)
    cfg = PeelConfig(amcp=AMCPConfig(samples=1, working_size=160))
    direct = decompose(read_image(SHAPES), [BoxPrompt(tuple(b)) for b in BOXES], config=cfg, seed=0)
    assert dec.order == direct.order == ["obj2", "obj1", "obj0"]
    for a, b in zip(dec.layers, direct.layers):
        assert np.array_equal(a.amodal_mask, b.amodal_mask)
    assert layers in client.get("/api/decompositions").json()["decompositions"]
    d = client.get(f"/api/decompositions/{layers}").json()
    assert d["order"] == dec.order and d["size"] == [320, 240] and len(d["boxes"]) == 3


def test_failed_job_keeps_its_message_and_the_server_answers(client, shapes):
    same = {"kind": "box", "box": BOXES[0]}
    r = client.post("/api/decompose", json={"image": shapes, "prompts": [same, same], "settings": FAST})
    job = wait(client, r.json()["job"])
    assert job["state"] == "failed" and "name the same object" in job["error"]
    assert client.get("/api/jobs/nope").status_code == 404
    r = client.post("/api/decompose", json={"image": shapes, "prompts": [], "settings": FAST})
    assert r.status_code == 400 and "`prompts`" in r.json()["error"]
    alive(client)


def test_decompose_can_discover_the_other_objects(client):
    # two separate objects on a plain ground, one prompted: discovery adds the other
    # (examples/shapes.png holds no object apart from the prompted group, only background pieces)
    img = np.full((120, 160, 3), 215, np.uint8)
    img[20:60, 15:60] = (200, 30, 30)
    img[55:100, 95:140] = (30, 50, 200)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    r = client.post("/api/images", files={"file": ("two.png", buf.getvalue(), "image/png")})
    assert r.status_code == 200, r.text
    prompts = [{"kind": "box", "box": [15, 20, 60, 60]}]
    r = client.post("/api/decompose", json={"image": r.json()["name"], "prompts": prompts, "settings": FAST,
                                            "discover": True, "name": "discovered"})
    job = wait(client, r.json()["job"])
    assert job["state"] == "done", job
    assert job["result"]["decomposition"] == "discovered"
    assert "obj0" in job["result"]["order"] and len(job["result"]["order"]) == 2


# -- compose, edits, export ------------------------------------------------------------------------
EDITS = [{"op": "translate", "layer": "obj1", "dx": -40, "dy": 12}, {"op": "raise", "layer": "obj0", "steps": 1},
         {"op": "flip", "layer": "obj2", "axis": "horizontal"}]


def test_compose_shows_what_compose_renders_and_persists_edits(client, ws, layers):
    r = client.post("/api/compose", json={"decomposition": layers, "edits": EDITS, "hidden": []})
    assert r.status_code == 200, r.text
    state = r.json()
    dec = Decomposition.load(ws / "layers" / layers)
    from paintseg_layers.compose.script import parse_edits

    expected = compose(dec, parse_edits({"edits": EDITS}))
    assert np.array_equal(decode(state["composition"])[..., :3], (expected * 255 + 0.5).astype(np.uint8))
    assert state["order"] == ["obj2", "obj0", "obj1"]
    assert [layer["id"] for layer in state["layers"]] == state["order"]
    assert all(0 <= layer["hidden_share"] <= 1 for layer in state["layers"])
    assert client.get(f"/api/decompositions/{layers}").json()["edits"] == EDITS  # a restart loses nothing
    hidden = client.post("/api/compose", json={"decomposition": layers, "edits": EDITS, "hidden": ["obj2"]}).json()
    assert not np.array_equal(decode(hidden["composition"]), decode(state["composition"]))
    idmap = decode(state["idmap"])
    assert idmap[150, 255] == 1  # obj2, front-most, under its own pixels


@pytest.mark.parametrize("edits, words", [
    ([{"op": "translate", "layer": "ghost", "dx": 1, "dy": 1}], "ghost"),
    ([{"op": "spin", "layer": "obj0"}], "`op` must be one of"),
    ([{"op": "insert", "source": "../x", "layer": "obj0", "x": 0, "y": 0}], "`decomposition`"),
    ("translate", "`edits` must be a list"),
])
def test_compose_bad_edits(client, layers, edits, words):
    r = client.post("/api/compose", json={"decomposition": layers, "edits": edits})
    assert r.status_code == 400 and words in r.json()["error"]
    alive(client)


def test_insert_from_another_decomposition(client, ws, layers):
    other = "other"
    Decomposition.load(ws / "layers" / layers).save(ws / "layers" / other)
    edit = {"op": "insert", "source": other, "layer": "obj1", "x": 10, "y": 20}
    r = client.post("/api/compose", json={"decomposition": layers, "edits": [edit]})
    assert r.status_code == 200, r.text
    assert r.json()["order"][0] == "obj1-2"
    assert client.get(f"/api/decompositions/{layers}").json()["edits"] == [edit]


def test_exports_read_back_and_the_edit_script_replays(client, ws, layers, tmp_path, capsys):
    def export(fmt):
        r = client.post("/api/export", json={"decomposition": layers, "edits": EDITS, "format": fmt})
        assert r.status_code == 200, r.text
        (tmp_path / f"out.{fmt}").write_bytes(r.content)
        return tmp_path / f"out.{fmt}"

    png = np.asarray(Image.open(export("png")))
    for fmt in ("ora", "psd"):
        back = import_decomposition(export(fmt))
        assert back.order == ["obj2", "obj0", "obj1"]
        diff = np.abs((compose(back) * 255 + 0.5).astype(int) - png.astype(int))
        assert diff.max() <= 1, (fmt, diff.max())  # soft edges of moved layers are stored as 8-bit straight RGBA
    with zipfile.ZipFile(export("zip")) as zf:
        assert f"{layers}/manifest.json" in zf.namelist()
    script = export("json")
    assert json.loads(script.read_text())["edits"] == EDITS
    assert main(["compose", str(ws / "layers" / layers), "--edits", str(script), "-o", str(tmp_path / "cli.png")]) == 0
    capsys.readouterr()
    assert np.array_equal(np.asarray(Image.open(tmp_path / "cli.png")), png)
    r = client.post("/api/export", json={"decomposition": layers, "edits": [], "format": "gif"})
    assert r.status_code == 400 and "`format` must be one of" in r.json()["error"]


def test_translate_export_equals_cli_move(client, ws, layers, tmp_path, capsys):
    r = client.post("/api/export", json={"decomposition": layers, "format": "png",
                                         "edits": [{"op": "translate", "layer": "obj0", "dx": 25, "dy": -7}]})
    folder = ws / "layers" / layers
    assert main(["compose", str(folder), "--move", "obj0", "25", "-7", "-o", str(tmp_path / "m.png")]) == 0
    capsys.readouterr()
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(r.content))), np.asarray(Image.open(tmp_path / "m.png")))
    direct = compose(Decomposition.load(folder), [Translate("obj0", 25, -7)])
    assert np.array_equal(np.asarray(Image.open(tmp_path / "m.png")), (direct * 255 + 0.5).astype(np.uint8))


def test_a_layer_folder_is_imported_and_reopened_with_its_edits(client, ws, layers, tmp_path):
    folder = tmp_path / "mine"
    Decomposition.load(ws / "layers" / layers).save(folder)
    (folder / "edits.json").write_text(json.dumps({"version": 1, "edits": [{"op": "remove", "layer": "obj0"}]}))
    name = client.app.state.workspace.import_layers(folder)
    assert name == "mine"
    d = client.get(f"/api/decompositions/{name}").json()
    assert d["order"] == ["obj2", "obj1", "obj0"] and d["edits"] == [{"op": "remove", "layer": "obj0"}]


def test_a_restarted_server_finds_earlier_work(client, ws, layers):
    assert client.post("/api/compose", json={"decomposition": layers, "edits": EDITS}).status_code == 200
    with TestClient(create_app(ws)) as again:
        assert layers in again.get("/api/decompositions").json()["decompositions"]
        assert again.get(f"/api/decompositions/{layers}").json()["edits"] == EDITS
        assert "shapes.png" in again.get("/api/images").json()["images"]
        r = again.get("/api/nothing-here")
        assert r.status_code == 404 and "Not Found" in r.json()["error"]


# -- the CLI verb ----------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, words", [
    (["ui", "--port", "70000"], "`--port` must be in [0, 65535]"),
    (["ui", "no/such/image.png"], "must be an image file or a decomposition folder"),
])
def test_ui_command_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, words):
    assert main([*argv, "--workspace", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_ui_command_starts_the_editor_on_an_image_and_prints_its_url(tmp_path):
    import os
    import subprocess
    import sys
    import urllib.request

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "paintseg_layers", "ui", str(SHAPES), "--workspace", str(tmp_path / "w"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("paintseg ui: http://127.0.0.1:"), (
            line,
            proc.stderr.read() if proc.poll() is not None else "",
        )
        url = line.split()[2]
        assert url.endswith("/?image=shapes.png")
        with urllib.request.urlopen(url, timeout=20) as r:
            assert r.status == 200 and b"paintseg ui" in r.read()
        with urllib.request.urlopen(url.split("?")[0] + "api/images", timeout=20) as r:
            assert json.loads(r.read())["images"] == ["shapes.png"]
    finally:
        proc.terminate()
        proc.communicate(timeout=10)  # also closes the pipes


def test_latency_benchmark_smoke(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("ui_latency", REPO / "benchmarks" / "ui_latency.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("| segment", "| decompose"))]
    assert len(rows) == 2 and all(float(r.split("|")[4].strip().rstrip("x")) > 0 for r in rows)
