"""The CLI in-process: happy paths, input formats, and every bad input named in the issue."""

import json

import numpy as np
import pytest
from conftest import make_object_scene
from PIL import Image

from paintseg_layers.cli import main
from paintseg_layers.imageio import read_mask

FAST = ["--samples", "2", "--no-progress"]


@pytest.fixture
def img_file(tmp_path):
    img, gt, box = make_object_scene()
    path = tmp_path / "scene.png"
    Image.fromarray((img * 255).astype(np.uint8)).save(path)
    return path, gt, box


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_segment_box_writes_mask_overlay_json(tmp_path, capsys, img_file):
    path, gt, box = img_file
    out = tmp_path / "mask.png"
    code, stdout, err = run(capsys, "segment", path, "--box", 30, 20, 100, 80, "-o", out, "--overlay",
                            tmp_path / "ov.png", "--json", tmp_path / "r.json", *FAST)
    assert code == 0, err
    m = read_mask(out)
    assert m.shape == gt.shape and (m & gt).sum() / (m | gt).sum() > 0.85
    with Image.open(tmp_path / "ov.png") as ov:
        assert ov.size == (128, 96)
    meta = json.loads((tmp_path / "r.json").read_text())
    assert meta["seed"] == 0 and meta["config"]["samples"] == 2


@pytest.mark.parametrize("prompt", [["--point", "65", "50"], ["--point", "65", "50", "--neg-point", "5", "5"]])
def test_segment_points(tmp_path, capsys, img_file, prompt):
    path, gt, _ = img_file
    code, _, err = run(capsys, "segment", path, *prompt, "-o", tmp_path / "m.png", *FAST)
    assert code == 0, err
    assert read_mask(tmp_path / "m.png")[50, 65]


def test_segment_mask_and_scribble(tmp_path, capsys, img_file):
    path, gt, _ = img_file
    coarse = np.zeros(gt.shape, np.uint8)
    coarse[22:78, 36:96] = 255
    Image.fromarray(coarse).save(tmp_path / "coarse.png")
    assert run(capsys, "segment", path, "--mask", tmp_path / "coarse.png", "-o", tmp_path / "a.png", *FAST)[0] == 0
    scr = np.full(gt.shape, 128, np.uint8)
    scr[48:52, 50:80] = 255
    scr[2:5, 2:40] = 0
    Image.fromarray(scr).save(tmp_path / "scr.png")
    code, _, err = run(capsys, "segment", path, "--scribble", tmp_path / "scr.png", "-o", tmp_path / "b.png", *FAST)
    assert code == 0, err
    m = read_mask(tmp_path / "b.png")
    assert (m & gt).sum() / (m | gt).sum() > 0.7


def test_remove(tmp_path, capsys, img_file):
    path, gt, _ = img_file
    code, _, err = run(capsys, "remove", path, "--box", 30, 20, 100, 80, "-o", tmp_path / "out.png", *FAST)
    assert code == 0, err
    with Image.open(tmp_path / "out.png") as im:
        out = np.asarray(im).astype(float) / 255
    assert np.abs(out[gt] - [0.85, 0.15, 0.1]).mean() > 0.25


def test_same_seed_bit_identical(tmp_path, capsys, img_file):
    path, _, _ = img_file
    for name in ("a", "b"):
        assert (
            run(capsys, "segment", path, "--box", 30, 20, 100, 80, "-o", tmp_path / f"{name}.png", "--seed", 7, *FAST)[
                0
            ]
            == 0
        )
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "I;16"])
def test_input_formats(tmp_path, capsys, img_file, mode):
    path, gt, _ = img_file
    with Image.open(path) as src:
        im = src.copy()
    if mode == "I;16":
        arr = (np.asarray(im.convert("L")).astype(np.uint16) * 257)
        im = Image.fromarray(arr)
    else:
        im = im.convert(mode)
    p = tmp_path / f"in_{mode.replace(';', '')}.png"
    im.save(p)
    code, _, err = run(capsys, "segment", p, "--box", 30, 20, 100, 80, "-o", tmp_path / "m.png", *FAST)
    assert code == 0, err
    assert read_mask(tmp_path / "m.png").shape == gt.shape


def test_exif_rotated_jpeg(tmp_path, capsys, img_file):
    path, gt, _ = img_file
    with Image.open(path) as src:
        im = src.convert("RGB").transpose(Image.Transpose.ROTATE_90)  # stored rotated (96 wide, 128 tall)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 CW to display -> displayed as the original 128 x 96
    p = tmp_path / "rot.jpg"
    im.save(p, exif=exif, quality=95)
    code, _, err = run(capsys, "segment", p, "--box", 30, 20, 100, 80, "-o", tmp_path / "m.png", *FAST)
    assert code == 0, err
    m = read_mask(tmp_path / "m.png")
    assert m.shape == gt.shape and (m & gt).sum() / (m | gt).sum() > 0.8


def test_huge_image_returns_full_size_mask(tmp_path, capsys):
    img, gt, _ = make_object_scene(h=4000, w=6000, box=(2000, 1200, 4200, 3000))
    p = tmp_path / "big.jpg"
    Image.fromarray((img * 255).astype(np.uint8)).save(p, quality=90)
    code, _, err = run(capsys, "segment", p, "--box", 1800, 1000, 4400, 3200, "-o", tmp_path / "m.png", *FAST)
    assert code == 0, err
    m = read_mask(tmp_path / "m.png")
    assert m.shape == (4000, 6000)
    assert (m & gt).sum() / (m | gt).sum() > 0.9


def _assert_one_line_error(code, out, err, *words):
    assert code != 0
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], lines[0]


@pytest.mark.parametrize("argv, words", [
    (["missing.png", "--box", "1", "1", "5", "5"], ["not found", "missing.png"]),
    (["{bad}", "--box", "1", "1", "5", "5"], ["not a readable image"]),
    (["{img}", "--box", "100", "10", "300", "50"], ["`box`", "inside the image", "128 x 96"]),
    (["{img}", "--box", "10", "10", "10", "50"], ["`box`", "x1 > x0"]),
    (["{img}", "--mask", "{small}"], ["`mask`", "128 x 96", "10 x 10"]),
    (["{img}", "--box", "1", "1", "5", "5", "--samples", "0"], ["--samples", "0"]),
    (["{img}"], ["exactly one prompt"]),
    (["{img}", "--point", "500", "1"], ["`point`", "inside the image"]),
    (["{img}", "--box", "1", "1", "50", "50", "--painter", "nope"], ["unknown painter", "telea"]),
])
def test_bad_input_one_line_no_output(tmp_path, capsys, img_file, argv, words):
    path, _, _ = img_file
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"this is not an image")
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(small)
    argv = [a.format(img=path, bad=bad, small=small) for a in argv]
    out = tmp_path / "out.png"
    code, stdout, err = run(capsys, "segment", *argv, "-o", out, "--no-progress")
    _assert_one_line_error(code, stdout, err, *words)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")], "no temporary file left behind"


def test_failure_midway_leaves_no_output(tmp_path, capsys, img_file, monkeypatch):
    path, _, _ = img_file
    out = tmp_path / "out.png"
    from paintseg_layers import imageio

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(imageio.Image.Image, "save", boom)
    code, stdout, err = run(capsys, "segment", path, "--box", 30, 20, 100, 80, "-o", out, *FAST)
    _assert_one_line_error(code, stdout, err, "No space left")
    assert list(tmp_path.iterdir()) == [path]


def test_backends_and_env(capsys):
    code, out, _ = run(capsys, "backends")
    assert code == 0 and "telea" in out and "patchmatch" in out and "dino" in out
    code, out, _ = run(capsys, "env")
    assert code == 0 and "offline" in out


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "paintseg_layers", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and "paintseg_layers" in r.stdout


def test_a_reader_closing_the_pipe_is_not_an_error():
    import subprocess
    import sys

    # `paintseg env | head -1`: the reader leaves after one line; the CLI must end quietly with status 0
    proc = subprocess.Popen([sys.executable, "-m", "paintseg_layers", "env"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0)
    first = proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert first and proc.wait(timeout=60) == 0
    assert err == ""
