"""Issue 13 item 13: files as Krita, GIMP and Photoshop write them import with the names users see."""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pytest
from psd_tools import PSDImage
from psd_tools.constants import Tag

from paintseg_layers.eval.scenes import ground_truth_decomposition, make_scene
from paintseg_layers.io import export_decomposition, import_decomposition


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("editors")
    dec = ground_truth_decomposition(make_scene(4, size=(48, 40), n_objects=2, cutouts="none"))
    export_decomposition(dec, root / "dec.psd")
    export_decomposition(dec, root / "dec.ora")
    return dec, root


def _resave_psd(src, dst, rename):
    psd = PSDImage.open(src)
    for layer in psd:
        unicode_name, record_name = rename(layer.name)
        layer._record.name = record_name  # the legacy Pascal-string name
        layer._record.tagged_blocks.set_data(Tag.UNICODE_LAYER_NAME, unicode_name)
    psd.save(dst)


def _same_pixels(a, b):
    assert a.order == b.order
    for x, y in zip(a.layers, b.layers):
        assert np.array_equal(x.amodal_mask, y.amodal_mask)
        assert np.abs(x.rgba - y.rgba).max() <= 1 / 255
    assert np.array_equal(a.background, b.background)


def test_krita_psd_with_trailing_nul_names(exported, tmp_path):
    dec, root = exported
    _resave_psd(root / "dec.psd", tmp_path / "krita.psd", lambda n: (n + "\x00", n))  # Krita 5.1
    _same_pixels(dec, import_decomposition(tmp_path / "krita.psd"))


def test_photoshop_psd_with_padded_legacy_names(exported, tmp_path):
    dec, root = exported
    _resave_psd(root / "dec.psd", tmp_path / "ps.psd", lambda n: (n, n + "\x00\x00\x00"))  # Pascal padding
    _same_pixels(dec, import_decomposition(tmp_path / "ps.psd"))


def test_decomposed_unicode_names_are_normalised(exported, tmp_path):
    dec, root = exported
    nfd = unicodedata.normalize("NFD", "café")

    def rename(name):
        return (nfd + name if name != "background" else name), "?"

    _resave_psd(root / "dec.psd", tmp_path / "mac.psd", rename)
    got = import_decomposition(tmp_path / "mac.psd")
    assert list(got.order) == ["café" + n for n in dec.order]


def test_krita_style_ora_with_padded_names_and_extra_members(exported, tmp_path):
    dec, root = exported
    src = zipfile.ZipFile(root / "dec.ora")
    with zipfile.ZipFile(tmp_path / "krita.ora", "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "stack.xml":  # Krita: padded names, extra attributes, its own members
                text = data.decode()
                for name in dec.order:
                    text = text.replace(f'name="{name}"', f'name=" {name} " selected="false"')
                data = text.encode()
            dst.writestr(info.filename, data, compress_type=zipfile.ZIP_STORED if info.filename == "mimetype"
                         else zipfile.ZIP_DEFLATED)
        dst.writestr("documentinfo.xml", "<document-info/>")
    _same_pixels(dec, import_decomposition(tmp_path / "krita.ora"))


@pytest.mark.parametrize("flags, name", [
    (["--painter", "diffusion"], "stable-diffusion-v1-5/stable-diffusion-inpainting"),
    (["--projector", "dino"], "facebook/dino-vits8"),
])
def test_missing_model_is_one_line_without_library_noise(tmp_path, flags, name):
    """Offline, a model that is not cached gives one line naming it: no transformers / diffusers log lines first."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"), OMP_NUM_THREADS="1")
    image = Path(__file__).resolve().parents[2] / "examples" / "shapes.png"
    res = subprocess.run([sys.executable, "-m", "paintseg_layers", "segment", str(image), "--box", "186", "41", "319",
                          "156", "-o", str(tmp_path / "m.png"), *flags], capture_output=True, text=True, env=env,
                         timeout=300)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("paintseg: error:") and name in lines[0], res.stderr
    assert not (tmp_path / "m.png").exists()
