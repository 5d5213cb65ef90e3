"""Issue 13: hostile files and flags against the CLI, each refused with one line, in bounded memory.

Every case runs in one worker process capped at 1 GiB of address space (see ``harness``); each
asserts exit 2, one ``paintseg: error:`` line naming the input, no traceback and nothing written.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from harness import assert_refused, lie_about_size, png_bomb, run_cli_cases
from PIL import Image

from paintseg_layers.eval.scenes import ground_truth_decomposition, make_scene
from paintseg_layers.io import export_decomposition

BOMB = (19000, 10000)  # 190 Mpx of zeros in ~200 KB (the insert_image case)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A decomposition folder, its ORA/PSD export, a photo, and the bombs, in one temp folder."""
    root = tmp_path_factory.mktemp("hostile")
    dec = ground_truth_decomposition(make_scene(3, size=(64, 48), n_objects=2, cutouts="none"))
    dec.save(root / "dec")
    export_decomposition(dec, root / "dec.psd")
    Image.fromarray((np.random.default_rng(0).random((48, 64, 3)) * 255).astype(np.uint8)).save(root / "photo.png")
    (root / "bomb.png").write_bytes(png_bomb(*BOMB))
    Image.new("RGB", (2, 2)).save(root / "tiny.png")
    Image.new("RGB", (4000, 10)).save(root / "thin.png")
    full = (root / "photo.png").read_bytes()
    (root / "truncated.png").write_bytes(full[: len(full) // 2])
    Image.new("RGB", (8, 8), "red").save(root / "outside.png")
    return root


def _folder(world: Path, name: str, edit) -> Path:
    """A copy of the good decomposition folder whose manifest was changed by ``edit(manifest, folder)``."""
    target = world / "cases" / name
    shutil.copytree(world / "dec", target)
    man = json.loads((target / "manifest.json").read_text())
    man = edit(man, target)
    (target / "manifest.json").write_text(json.dumps(man))
    return target


def _set(path: str, value):
    def edit(man, folder):
        node, keys = man, path.split(".")
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value
        return man
    return edit


def _graph(text: str):
    def edit(man, folder):
        (folder / "graph.json").write_text(text)
        return man
    return edit


def _ora(world: Path, name: str, members, *, xml='<image w="9" h="9"><stack/></image>') -> Path:
    path = world / "cases" / name
    path.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if "mimetype" not in dict(members):
            zf.writestr("mimetype", "image/openraster", compress_type=zipfile.ZIP_STORED)
        if "stack.xml" not in dict(members):
            zf.writestr("stack.xml", xml)
        for member, data in members:
            zf.writestr(member, data)
    return path


def _folder_cases(world):
    out = world / "outputs"
    out.mkdir(exist_ok=True)
    outside = str(world / "outside.png")

    def symlinked(man, folder):
        (folder / "background.png").unlink()
        (folder / "background.png").symlink_to(outside)
        return man

    def bomb_background(man, folder):
        (folder / "background.png").write_bytes((world / "bomb.png").read_bytes())
        return man

    def truncated_layer(man, folder):
        rgba = folder / man["layers"][0]["rgba"]
        rgba.write_bytes(rgba.read_bytes()[:200])
        return man

    cases = {
        "absolute": (_set("background", outside), "background"),
        "dotdot": (_set("layers.0.rgba", "../../outside.png"), "layers[0].rgba"),
        "symlink": (symlinked, "outside the folder"),
        "bomb_png": (bomb_background, "must be at most 64 x 48"),
        "truncated": (truncated_layer, "truncated"),
        "size_str": (_set("image_size", "64x48"), "image_size"),
        "size_null": (_set("image_size", None), "image_size"),
        "size_short": (_set("image_size", [64]), "image_size"),
        "size_huge": (_set("image_size", [10**9, 10**9]), "image_size"),
        "seed_str": (_set("seed", "7"), "seed"),
        "depth_str": (_set("layers.0.depth", "0"), "layers[0].depth"),
        "prompt_null": (_set("layers.0.prompt_index", None), "layers[0].prompt_index"),
        "layers_str": (_set("layers", "obj0"), "layers"),
        "manifest_null": (lambda man, folder: None, "manifest"),
        "background_int": (_set("background", 3), "background"),
        "graph_empty": (_graph(""), "graph.json"),
        "graph_bad": (_graph('{"nodes": 3}'), "graph.json"),
    }
    out_cases = []
    for name, (edit, message) in cases.items():
        folder = _folder(world, name, edit)
        for verb in (["compose", folder, "-o", out / f"{name}.png"], ["export", folder, "-o", out / f"{name}.ora"]):
            out_cases.append((verb, message, verb[-1]))
    return out_cases


def _layered_cases(world):
    big_layer = '<image w="9" h="9"><stack><layer name="a" src="data/a.png"/></stack></image>'
    honest = _ora(world, "mime_bomb.ora", [("mimetype", b"\0" * 50_000_000)])
    lying = _ora(world, "lying.ora", [("data/a.png", png_bomb(2000, 2000))], xml=big_layer)
    lie_about_size(lying, "data/a.png", 1000)
    xml_bomb = _ora(world, "xml_bomb.ora", [("stack.xml", b" " * 50_000_000)])
    layer_bomb = _ora(world, "layer_bomb.ora", [("data/a.png", (world / "bomb.png").read_bytes())], xml=big_layer)
    crc = _ora(world, "crc.ora", [("data/a.png", png_bomb(8, 8))], xml=big_layer)
    data = bytearray(crc.read_bytes())
    start = data.find(b"data/a.png") + len("data/a.png")
    data[start + 5] ^= 0xFF  # flip a byte of the deflated member: bad CRC or a broken stream
    crc.write_bytes(bytes(data))
    psd = world / "cases" / "psd_bomb.psd"
    raw = bytearray((world / "dec.psd").read_bytes())
    # the first layer record's box (top, left, bottom, right): claim 12000 x 12000 pixels
    box = struct.pack(">4i", 0, 0, 48, 64)
    at = raw.find(box, 26)
    assert at > 0
    raw[at:at + 16] = struct.pack(">4i", 0, 0, 12000, 12000)
    psd.write_bytes(bytes(raw))
    out = world / "outputs"
    cases = [(honest, "mimetype"), (lying, "data/a.png"), (xml_bomb, "stack.xml"), (layer_bomb, "data/a.png"),
             (crc, "data/a.png"), (psd, "layer"), (world / "cases", "directory")]
    return [(["import", path, "-o", out / f"imp_{k}"], [message, str(path)], out / f"imp_{k}")
            for k, (path, message) in enumerate(cases)]


def _image_cases(world):
    photo, out = world / "photo.png", world / "outputs"
    box = ["--box", "10", "10", "40", "30"]
    edits = world / "cases" / "edits"
    edits.mkdir(parents=True, exist_ok=True)
    (edits / "insert.json").write_text(json.dumps(
        {"version": 1, "edits": [{"op": "insert_image", "image": str(world / "bomb.png"), "x": 0, "y": 0}]}))
    (edits / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    seg = ["segment", photo, *box]
    cases = [
        (["segment", world / "bomb.png", *box, "-o", out / "a.png"], "bomb.png", out / "a.png"),
        (["segment", world / "tiny.png", *box, "-o", out / "b.png"], "tiny.png", out / "b.png"),
        (["segment", world / "thin.png", *box, "-o", out / "c.png"], "thin.png", out / "c.png"),
        (["segment", world / "truncated.png", *box, "-o", out / "d.png"], "truncated", out / "d.png"),
        (["segment", world / "cases", *box, "-o", out / "e.png"], "directory", out / "e.png"),
        (["segment", "/dev/zero", *box, "-o", out / "e2.png"], "special file", out / "e2.png"),
        ([*seg, "-o", photo], "overwrite the input", out / "never"),
        ([*seg, "-o", out / "f.png", "--overlay", out / "f.png"], "same file", out / "f.png"),
        (["remove", photo, *box, "-o", out / "g.gif"], ".gif", out / "g.gif"),
        ([*seg, "-o", out / "h.png", "--samples", "100000"], "--samples", out / "h.png"),
        ([*seg, "-o", out / "i.png", "--steps", "I" * 10000], "--steps", out / "i.png"),
        ([*seg, "-o", out / "j.png", "--seed", str(2**32)], "--seed", out / "j.png"),
        ([*seg, "-o", out / "k.png", "--working-size", "100000"], "--working-size", out / "k.png"),
        (["decompose", photo, *box, "-o", out / "l", "--max-objects", "1000000"], "--max-objects", out / "l"),
        (["compose", world / "dec", "-o", out / "m.png", "--feather", "1e9"], "--feather", out / "m.png"),
        (["compose", world / "dec", "-o", out / "n.png", "--edits", edits / "insert.json"], "image",
         out / "n.png"),
        (["compose", world / "dec", "-o", out / "o.png", "--edits", edits / "deep.json"], "deep.json",
         out / "o.png"),
        (["compose", world / "dec", "-o", out / "p.png", "--save-decomposition", photo], "--save-decomposition",
         out / "p.png"),
        (["decompose", photo, *box, "-o", photo], "-o", out / "never"),
    ]
    return cases


@pytest.fixture(scope="module")
def refused(world):
    """Every case of this module, run in one memory-capped worker (its start-up costs seconds)."""
    groups = {"folder": _folder_cases(world), "layered": _layered_cases(world), "images": _image_cases(world)}
    flat = [case for cases in groups.values() for case in cases]
    results = iter(run_cli_cases([argv for argv, _, _ in flat], world / "run"))
    return {group: [(next(results), names, written) for _, names, written in cases]
            for group, cases in groups.items()}


@pytest.mark.parametrize("group", ["folder", "layered", "images"])
def test_hostile_inputs_are_refused(refused, group, world):
    for result, names, written in refused[group]:
        assert_refused(result, names, watched=[written])
    assert (world / "photo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the input survived


def test_bomb_png_is_small_on_disk_and_large_declared(world):
    data = (world / "bomb.png").read_bytes()
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == BOMB
    assert len(data) < 1_000_000
