"""Issue 13 item 14: the same seed gives byte-identical files (timings live in timings.json only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import make_object_scene
from PIL import Image

from paintseg_layers.cli import main


def _files(root: Path) -> dict:
    if root.is_file():
        return {root.name: root.read_bytes()}
    return {p.name: p.read_bytes() for p in sorted(root.iterdir()) if p.name != "timings.json"}


def test_two_runs_write_identical_bytes(tmp_path, capsys):
    image, _, box = make_object_scene(h=64, w=80, box=(20, 14, 56, 46))
    photo = tmp_path / "photo.png"
    Image.fromarray((image * 255).astype(np.uint8)).save(photo)
    fast = ["--working-size", "64", "--samples", "2", "--seed", "3", "--no-progress"]
    runs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        out.mkdir()
        args = [str(a) for a in box]
        assert main(["segment", str(photo), "--box", *args, "-o", str(out / "mask.png"),
                     "--json", str(out / "mask.json"), "--soft", str(out / "soft.png"), *fast]) == 0
        assert main(["decompose", str(photo), "--box", *args, "--box", "0", "0", "30", "20",
                     "-o", str(out / "dec"), *fast]) == 0
        for fmt in ("ora", "psd"):
            assert main(["export", str(out / "dec"), "-o", str(out / f"dec.{fmt}")]) == 0
        runs.append({name: _files(out / name) for name in ("mask.png", "mask.json", "soft.png", "dec", "dec.ora",
                                                           "dec.psd")})
    capsys.readouterr()
    assert (tmp_path / "run0" / "dec" / "timings.json").is_file()  # the timings are kept, apart
    for name in runs[0]:
        assert runs[0][name].keys() == runs[1][name].keys(), name
        for file in runs[0][name]:
            assert runs[0][name][file] == runs[1][name][file], f"{name}/{file} differs between runs"
