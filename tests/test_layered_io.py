"""OpenRaster and PSD export/import: exact round trips, independent readers, bad files."""

import io
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pytest
from PIL import Image

from paintseg_layers.cli import main
from paintseg_layers.compose import render
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes import ground_truth_decomposition, make_scene
from paintseg_layers.io import (
    LayeredImage,
    RasterLayer,
    detect_format,
    export_decomposition,
    import_decomposition,
    layered_to_decomposition,
    read_layered,
    read_ora,
    read_psd,
    write_ora,
    write_psd,
)
from paintseg_layers.layers import Decomposition

FORMATS = ["ora", "psd"]


@pytest.fixture(scope="module")
def truth():
    scene = make_scene(1, size=(80, 64), cutouts="none", n_objects=3)
    return ground_truth_decomposition(scene)


def u8(a):
    return np.floor(np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)


def random_layers(seed=0):
    rng = np.random.default_rng(seed)
    soft = rng.integers(0, 256, (9, 11, 4), dtype=np.uint8)  # soft alpha, colour under zero alpha
    soft[0, :, 3] = 0
    bg = rng.integers(0, 256, (20, 30, 4), dtype=np.uint8)
    bg[..., 3] = 255
    return LayeredImage((30, 20), (
        RasterLayer("tëxt ünicode – 前", soft, offset=(-3, 14)),  # reaches past two canvas edges
        RasterLayer("half", soft[::-1], offset=(5, 2), opacity=128 / 255),
        RasterLayer("hidden", soft, offset=(1, 1), visible=False),
        RasterLayer("background", bg),
    ))


@pytest.mark.parametrize("fmt", FORMATS)
def test_layered_round_trip_is_exact(tmp_path, fmt):
    image = random_layers()
    path = (write_ora if fmt == "ora" else write_psd)(tmp_path / f"x.{fmt}", image)
    back = read_layered(path)
    assert detect_format(path) == fmt
    assert back.size == image.size and back.names() == image.names()
    for a, b in zip(image.layers, back.layers):
        assert np.array_equal(a.rgba, b.rgba), a.name
        assert a.offset == b.offset and a.visible == b.visible
        assert b.opacity == pytest.approx(a.opacity, abs=1e-6)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("crop", [False, True])
def test_decomposition_round_trip_pixels_names_order(tmp_path, truth, fmt, crop):
    path = export_decomposition(truth, tmp_path / f"scene.{fmt}", crop=crop)
    back = import_decomposition(path)
    assert back.order == truth.order
    assert back.image_size == truth.image_size
    assert np.array_equal(back.background, truth.background)
    for a, b in zip(truth.layers, back.layers):
        assert np.array_equal(b.rgba, a.rgba), a.id
        assert np.array_equal(b.amodal_mask, a.amodal_mask)
        assert np.array_equal(b.visible_mask, a.visible_mask)
    assert np.array_equal(render(back), render(truth))
    assert set(back.graph.edges) == set(truth.graph.edges)
    # exporting the imported decomposition writes the same layers again
    again = import_decomposition(export_decomposition(back, tmp_path / f"again.{fmt}", crop=crop))
    assert all(np.array_equal(a.rgba, b.rgba) for a, b in zip(back.layers, again.layers))


def test_psd_read_by_psd_tools(tmp_path, truth):
    from psd_tools import PSDImage

    path = export_decomposition(truth, tmp_path / "scene.psd")
    psd = PSDImage.open(path)
    assert psd.size == truth.image_size
    layers = list(psd)  # bottom first
    assert [layer.name for layer in layers] == ["background"] + truth.order[::-1]
    for layer in layers[1:]:
        assert layer.kind == "pixel" and layer.visible and layer.opacity == 255
        rgba = np.asarray(layer.topil())
        assert np.array_equal(rgba, u8(truth.layer(layer.name).rgba)[layer.top:layer.bottom, layer.left:layer.right])
    merged = np.asarray(psd.composite().convert("RGB")).astype(int)  # psd-tools' own compositor
    assert np.abs(merged - u8(render(truth)).astype(int)).max() <= 1


def test_ora_read_by_zip_and_xml(tmp_path, truth):
    path = export_decomposition(truth, tmp_path / "scene.ora", crop=True)
    with zipfile.ZipFile(path) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == b"image/openraster"
        root = ET.fromstring(zf.read("stack.xml"))
        assert root.tag == "image" and (int(root.get("w")), int(root.get("h"))) == truth.image_size
        elems = root.find("stack").findall("layer")
        assert [e.get("name") for e in elems] == truth.order + ["background"]
        for e in elems:
            with Image.open(io.BytesIO(zf.read(e.get("src")))) as img:
                assert img.mode == "RGBA" and img.format == "PNG"
                px = np.asarray(img)
            x, y = int(e.get("x")), int(e.get("y"))
            full = u8(truth.background) if e.get("name") == "background" else u8(truth.layer(e.get("name")).rgba)
            assert np.array_equal(px[..., :full.shape[2]], full[y:y + px.shape[0], x:x + px.shape[1]])
            assert e.get("visibility") == "visible" and float(e.get("opacity")) == 1.0
        with Image.open(io.BytesIO(zf.read("mergedimage.png"))) as img:
            merged = np.asarray(img.convert("RGB"))
        assert np.array_equal(merged, u8(render(truth)))
        with Image.open(io.BytesIO(zf.read("Thumbnails/thumbnail.png"))) as img:
            assert max(img.size) <= 256


def test_import_rules(tmp_path):
    image = random_layers()
    d = layered_to_decomposition(image)
    assert d.order == ["tëxt ünicode – 前", "half"]  # hidden skipped, bottom = background
    half = d.layer("half")
    raster = image.layers[1].on_canvas(image.size)
    assert np.allclose(half.rgba[..., 3] * 255, np.floor(raster[..., 3].astype(float) * 128 / 255 + 0.5))
    no_bg = LayeredImage((30, 20), image.layers[:2])
    with pytest.raises(InputError, match="bottom layer 'half' must be an opaque background"):
        layered_to_decomposition(no_bg)
    dup = LayeredImage((30, 20), (image.layers[1], image.layers[1], image.layers[3]))
    with pytest.raises(InputError, match="unique"):
        layered_to_decomposition(dup)
    bad = LayeredImage((30, 20), (RasterLayer("a/b", image.layers[1].rgba), image.layers[3]))
    with pytest.raises(InputError, match="cannot be a layer id"):
        layered_to_decomposition(bad)


def _bad_files(tmp_path):
    (tmp_path / "text.ora").write_text("hello")
    (tmp_path / "fake.psd").write_bytes(b"8BPS" + b"\0" * 20)
    zf = zipfile.ZipFile(tmp_path / "wrong.ora", "w")
    zf.writestr("mimetype", "image/png")
    zf.close()
    zf = zipfile.ZipFile(tmp_path / "noxml.ora", "w")
    zf.writestr("mimetype", "image/openraster")
    zf.close()
    zf = zipfile.ZipFile(tmp_path / "group.ora", "w")
    zf.writestr("mimetype", "image/openraster")
    zf.writestr("stack.xml", '<image w="4" h="4"><stack><stack name="g"/></stack></image>')
    zf.close()
    zf = zipfile.ZipFile(tmp_path / "nopng.ora", "w")
    zf.writestr("mimetype", "image/openraster")
    zf.writestr("stack.xml", '<image w="4" h="4"><stack><layer name="a" src="data/a.png"/></stack></image>')
    zf.writestr("data/a.png", b"not a png")
    zf.close()
    return {"text.ora": "neither OpenRaster", "fake.psd": "not a readable PSD", "wrong.ora": "mimetype other than",
            "noxml.ora": "lacks 'stack.xml'", "group.ora": "groups are not supported",
            "nopng.ora": "not a readable image", "missing.psd": "not found"}


def test_unreadable_files_raise_one_line(tmp_path):
    for name, message in _bad_files(tmp_path).items():
        with pytest.raises(InputError, match=message) as info:
            import_decomposition(tmp_path / name)
        assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="OpenRaster"):
        read_ora(tmp_path / "fake.psd")
    with pytest.raises(InputError, match="PSD"):
        read_psd(tmp_path / "text.ora")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_import_cli(tmp_path, capsys, truth, fmt):
    truth.save(tmp_path / "dec", contact_sheet=False)
    code, out, err = run(capsys, "export", tmp_path / "dec", "--format", fmt, "-o", tmp_path / f"s.{fmt}")
    assert code == 0, err
    code, out, err = run(capsys, "import", tmp_path / f"s.{fmt}", "-o", tmp_path / "back")
    assert code == 0, err
    back = Decomposition.load(tmp_path / "back")
    assert back.order == truth.order
    assert all(np.array_equal(a.rgba, b.rgba) for a, b in zip(truth.layers, back.layers))
    code, _, err = run(capsys, "compose", tmp_path / "back", "-o", tmp_path / "c.png")
    assert code == 0, err


def test_export_import_cli_errors(tmp_path, capsys, truth):
    truth.save(tmp_path / "dec", contact_sheet=False)
    bad = _bad_files(tmp_path)
    for name in bad:
        code, _, err = run(capsys, "import", tmp_path / name, "-o", tmp_path / "out")
        assert code == 2 and err.count("\n") == 1 and bad[name] in err, err
    cases = [
        (["export", tmp_path / "dec", "--format", "psd", "-o", tmp_path / "x.ora"], "must end in .psd"),
        (["export", tmp_path / "dec", "-o", tmp_path / "x.tif"], "must be ora or psd"),
        (["export", tmp_path / "dec", "--format", "gif", "-o", tmp_path / "x.gif"], "invalid choice"),
        (["export", tmp_path / "nodec", "-o", tmp_path / "x.ora"], "manifest.json"),
        (["export", tmp_path / "dec", "-o", tmp_path / "dec" / "manifest.json" / "x.ora"], "a file stands"),
    ]
    for argv, message in cases:
        code, _, err = run(capsys, *argv)
        assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not any(tmp_path.glob("x.*"))
