"""``paintseg ui`` in real headless Chromium (Debian's ``chromium``, driven by Playwright).

One page walks through the issue's steps in order; each step saves a screenshot under
``out/ui-screenshots/``. A missing browser fails these tests: CI installs it (``.ci/run``).
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from PIL import Image
from playwright.sync_api import sync_playwright

from paintseg_layers import import_decomposition
from paintseg_layers.cli import main
from paintseg_layers.prompts import BOX_MARGIN, grow_box
from paintseg_layers.ui.server import create_app

REPO = Path(__file__).resolve().parents[1]
SHAPES = REPO / "examples" / "shapes.png"
SHOTS = REPO / "out" / "ui-screenshots"
BOXES = ([130, 44, 230, 160], [186, 41, 319, 156], [220, 75, 291, 184])
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FAST = ["--samples", "1", "--working-size", "160"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ws = tmp_path_factory.mktemp("ui_browser_ws")
    app = create_app(ws, max_upload_bytes=2_000_000)
    app.state.workspace.import_image(SHAPES)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    t0 = time.time()
    while not srv.started:
        assert time.time() - t0 < 20, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", ws
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(server):
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium (CI does this in .ci/run)"
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        pg = context.new_page()
        errors = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.goto(f"{server[0]}/?image=shapes.png")
        pg.wait_for_selector("body[data-ready='1']")
        pg.errors = errors
        yield pg
        browser.close()
    assert not errors, errors


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def screen(page, x, y):
    """Screen position of image pixel (x, y)."""
    r = page.evaluate("(() => { const r = document.getElementById('base').getBoundingClientRect();"
                      " return [r.left, r.top, r.width / document.getElementById('base').width]; })()")
    return r[0] + x * r[2], r[1] + y * r[2]


def drag(page, start, end, steps=8):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def settle(page, edits):
    """Wait until the page holds ``edits`` edits and shows the server's picture for them."""
    page.wait_for_function(f"window.paintsegUI.edits.length === {edits} && !document.body.dataset.busy")


def layer_ids(page):
    return page.eval_on_selector_all("#layers li.layer", "els => els.map(e => e.dataset.id)")


def download(page, button, path):
    with page.expect_download() as d:
        page.click(button)
    d.value.save_as(str(path))
    return path


@pytest.fixture(scope="module")
def cli_layers(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "shapes"
    argv = [
        "decompose",
        str(SHAPES),
        *[a for b in BOXES for a in ("--box", *map(str, b))],
        *FAST,
        "--no-progress",
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    return out


def test_open_box_and_segment(page):
    page.fill("#samples", "1")
    page.fill("#working-size", "160")
    page.click("#zoom-100")
    shot(page, "01-open")
    page.click("#tool-box")
    drag(page, screen(page, *BOXES[0][:2]), screen(page, *BOXES[0][2:]))
    assert page.inner_text("#objects li.object") .startswith("object 1: box 130 44 230 160")
    page.click("#objects li.object button.segment")
    page.wait_for_selector("#objects li.object:has-text('✓')")
    # a box prompt's mask stays inside the box grown by the prompt's own margin (prompts.BOX_MARGIN)
    x0, y0, x1, y1 = grow_box(BOXES[0], BOX_MARGIN, (240, 320), min_pad=2)
    inside, outside = page.evaluate("""(([x0, y0, x1, y1]) => {
        const d = document.getElementById('overlay').getContext('2d').getImageData(0, 0, 320, 240).data;
        let inside = 0, outside = 0;
        for (let y = 0; y < 240; y++) for (let x = 0; x < 320; x++) {
          if (d[(y * 320 + x) * 4 + 3] === 0) continue;
          if (x >= x0 && x < x1 && y >= y0 && y < y1) inside++; else outside++;
        }
        return [inside, outside]; })""", [x0, y0, x1, y1])
    shot(page, "02-segment")
    assert inside > 2000 and outside < 0.01 * inside  # the overlay may follow the object a pixel past it


def test_points_and_scribble_make_objects_that_can_be_deleted(page):
    page.click("#tool-points")
    page.mouse.click(*screen(page, 250, 100))
    page.keyboard.down("Shift")
    page.mouse.click(*screen(page, 20, 20))
    page.keyboard.up("Shift")
    assert "object 2: 1 + / 1 - points" in page.inner_text("#objects")
    page.click("#tool-scribble")
    drag(page, screen(page, 240, 90), screen(page, 270, 110))
    assert "object 3: 1 stroke(s)" in page.inner_text("#objects")
    for _ in range(2):
        page.click("#objects li.object:last-child button.delete")
    assert page.locator("#objects li.object").count() == 1
    page.click("#tool-box")


def test_decompose_lists_layers_in_the_cli_order(page, cli_layers):
    page.click("#tool-box")
    for box in BOXES[1:]:
        drag(page, screen(page, *box[:2]), screen(page, *box[2:]))
    assert page.locator("#objects li.object").count() == 3
    page.click("#decompose")
    page.wait_for_selector("#layers li.layer", timeout=60_000)
    expected = json.loads((cli_layers / "manifest.json").read_text())
    assert layer_ids(page) == [entry["id"] for entry in expected["layers"]] == ["obj2", "obj1", "obj0"]
    assert page.get_attribute("#graph", "src").startswith("data:image/png")
    assert "obj1 occludes obj0" in page.inner_text("#graph-edges") or "occludes" in page.inner_text("#graph-edges")
    page.click("#zoom-fit")
    shot(page, "03-decompose")
    page.click("#zoom-100")


def test_drag_layer_equals_cli_move(page, server, tmp_path, capsys):
    hit = page.evaluate("""(() => { const s = window.paintsegUI, m = s.idmap;
        for (let y = 0; y < m.height; y += 2) for (let x = 0; x < m.width; x += 2)
          if (m.data[(y * m.width + x) * 4] === 1) return [x + 0.5, y + 0.5, s.arrangement.layers[0].id];
        return null; })()""")
    assert hit is not None
    x, y, lid = hit
    page.click("#tool-move")
    drag(page, screen(page, x, y), screen(page, x + 40, y + 20), steps=10)
    settle(page, 1)
    assert json.loads(page.inner_text("#edits li")) == {"op": "translate", "layer": lid, "dx": 40, "dy": 20}
    assert page.is_hidden("#message")
    shot(page, "04-drag")
    exported = download(page, "#export-png", tmp_path / "ui.png")
    name = page.evaluate("window.paintsegUI.decomposition")
    folder = server[1] / "layers" / name
    assert main(["compose", str(folder), "--move", lid, "40", "20", "-o", str(tmp_path / "cli.png")]) == 0
    capsys.readouterr()
    assert np.array_equal(np.asarray(Image.open(exported)), np.asarray(Image.open(tmp_path / "cli.png")))
    canvas = np.array(page.evaluate("Array.from(document.getElementById('base').getContext('2d')"
                                    ".getImageData(0, 0, 320, 240).data)"), np.uint8).reshape(240, 320, 4)
    assert np.array_equal(canvas[..., :3], np.asarray(Image.open(exported)))  # the canvas shows exactly that picture


def test_reorder_by_dragging_in_the_layers_panel(page):
    before = layer_ids(page)
    page.drag_and_drop(f"#layers li[data-id='{before[-1]}']", f"#layers li[data-id='{before[0]}']")
    settle(page, 2)
    assert layer_ids(page) == [before[-1], *before[:-1]]
    page.click("#zoom-fit")
    shot(page, "05-reorder")


def test_remove_undo_redo(page):
    before = layer_ids(page)
    page.click(f"#layers li[data-id='{before[1]}'] button.remove")
    settle(page, 3)
    assert layer_ids(page) == [before[0], before[2]]
    page.click("#undo")
    settle(page, 2)
    assert layer_ids(page) == before
    page.click("#redo")
    settle(page, 3)
    assert layer_ids(page) == [before[0], before[2]]
    shot(page, "06-remove")


def test_flip_and_scale_buttons_add_edits_and_undo(page):
    first = layer_ids(page)[0]
    page.click(f"#layers li[data-id='{first}'] button.flip")
    settle(page, 4)
    page.click(f"#layers li[data-id='{first}'] button.scale-up")
    settle(page, 5)
    assert page.evaluate("window.paintsegUI.edits.slice(-2)") == [
        {"op": "flip", "layer": first, "axis": "horizontal"}, {"op": "scale", "layer": first, "factor": 1.25}]
    page.click("#undo")
    settle(page, 4)
    page.click("#undo")
    settle(page, 3)


def test_export_ora_psd_and_edit_script(page, server, tmp_path, capsys):
    shown = layer_ids(page)
    png = np.asarray(Image.open(download(page, "#export-png", tmp_path / "ui.png")))
    for fmt in ("ora", "psd"):
        back = import_decomposition(download(page, f"#export-{fmt}", tmp_path / f"ui.{fmt}"))
        assert back.order == shown
    script = download(page, "#export-json", tmp_path / "ui.edits.json")
    folder = server[1] / "layers" / page.evaluate("window.paintsegUI.decomposition")
    assert main(["compose", str(folder), "--edits", str(script), "-o", str(tmp_path / "replay.png")]) == 0
    capsys.readouterr()
    assert np.array_equal(np.asarray(Image.open(tmp_path / "replay.png")), png)


def test_non_image_upload_shows_a_message_and_the_server_lives(page, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("this is not a picture")
    page.set_input_files("#upload", str(bad))
    page.wait_for_selector("#message:not([hidden])")
    assert "not a readable image" in page.inner_text("#message")
    shot(page, "07-bad-upload")
    assert page.evaluate("fetch('/api/info').then(r => r.status)") == 200
    assert len(layer_ids(page)) == 2  # the page keeps working
