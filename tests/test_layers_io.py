"""Layer / Decomposition: validation, manifest contract, bit-identical save/load, atomic writes."""

import json

import cv2
import networkx as nx
import numpy as np
import pytest
from PIL import Image

from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes import ground_truth_decomposition, make_scene
from paintseg_layers.layers import Decomposition, Layer, folder, quantize8
from paintseg_layers.viz import contact_sheet_image


@pytest.fixture(scope="module")
def decomposition():
    return ground_truth_decomposition(make_scene(7, size=(96, 80), n_objects=3, cutouts="none"))


def _same(d1, d2):
    assert d1.image_size == d2.image_size and d1.seed == d2.seed
    assert d1.order == d2.order
    assert np.array_equal(d1.background, d2.background) and d1.background.dtype == d2.background.dtype
    assert (d1.image is None) == (d2.image is None)
    if d1.image is not None:
        assert np.array_equal(d1.image, d2.image)
    for a, b in zip(d1.layers, d2.layers):
        for key in ("id", "prompt_index", "depth", "prompt", "scores"):
            assert getattr(a, key) == getattr(b, key), key
        assert a.rgba.dtype == b.rgba.dtype == np.float32
        assert np.array_equal(a.rgba, b.rgba)
        assert np.array_equal(a.visible_mask, b.visible_mask) and np.array_equal(a.amodal_mask, b.amodal_mask)
    assert sorted(d1.graph.edges(data=True)) == sorted(d2.graph.edges(data=True))
    assert dict(d1.graph.nodes(data=True)) == dict(d2.graph.nodes(data=True))


def test_round_trip_is_bit_identical(decomposition, tmp_path):
    d = decomposition
    d.save(tmp_path / "dec")
    loaded = Decomposition.load(tmp_path / "dec")
    _same(d, loaded)
    loaded.save(tmp_path / "again")
    for f in sorted((tmp_path / "dec").iterdir()):
        assert (tmp_path / "again" / f.name).read_bytes() == f.read_bytes(), f.name
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folders left


def test_layer_pngs_decode_the_same_in_another_reader(decomposition, tmp_path):
    # libpng (OpenCV), the decoder of Krita and GIMP, reads the fast-compressed files to the same pixels
    d = decomposition
    d.save(tmp_path / "dec")
    for layer in d.layers:
        bgra = cv2.imread(str(tmp_path / "dec" / f"{layer.id}.rgba.png"), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA), layer.rgba8), layer.id
    bgr = cv2.imread(str(tmp_path / "dec" / "background.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(bgr[..., ::-1], d.background8)


def test_manifest_contract(decomposition, tmp_path):
    d = decomposition
    root = d.save(tmp_path / "dec")
    man = json.loads((root / "manifest.json").read_text())
    w, h = d.image_size
    assert man["image_size"] == [w, h] and man["seed"] == d.seed
    assert (root / man["background"]).is_file() and (root / man["graph"]).is_file()
    assert [e["depth"] for e in man["layers"]] == list(range(len(d.layers)))
    for e in man["layers"]:
        assert {"id", "prompt_index", "depth", "rgba", "visible_mask", "amodal_mask"} <= set(e)
        with Image.open(root / e["rgba"]) as im:
            assert im.mode == "RGBA" and im.size == (w, h)
        for key in ("visible_mask", "amodal_mask"):
            with Image.open(root / e[key]) as im:
                arr = np.asarray(im)
            assert im.mode == "L" and set(np.unique(arr)) <= {0, 255}
    g = json.loads((root / man["graph"]).read_text())
    assert "nodes" in g and "edges" in g


def test_float_data_is_stored_at_8_bits(tmp_path):
    rng = np.random.default_rng(0)
    m = np.zeros((20, 30), bool)
    m[5:15, 5:20] = True
    rgba = np.dstack([rng.random((20, 30, 3)), m]).astype(np.float32)
    d = Decomposition((Layer("a", 0, 0, rgba, m, m),), rng.random((20, 30, 3)).astype(np.float32),
                      _one_node("a"), (30, 20))
    back = Decomposition.load(d.save(tmp_path / "d"))
    assert np.array_equal(back.layers[0].rgba, quantize8(rgba))
    assert np.abs(back.background - d.background).max() <= 0.5 / 255 + 1e-6
    assert back.image is None


def _one_node(name):
    g = nx.DiGraph()
    g.add_node(name, prompt_index=0)
    return g


def test_overwrite_rules(decomposition, tmp_path):
    target = tmp_path / "dec"
    decomposition.save(target)
    decomposition.save(target)  # a decomposition folder may be replaced
    with pytest.raises(InputError):
        decomposition.save(target, overwrite=False)
    other = tmp_path / "other"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    with pytest.raises(InputError, match="not an empty folder"):
        decomposition.save(other)
    assert (other / "precious.txt").read_text() == "keep me"
    # missing parents are created (issue 13 item 12); a file in the way is refused
    assert (decomposition.save(tmp_path / "missing" / "dec") / "manifest.json").is_file()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="a file stands"):
        decomposition.save(tmp_path / "afile" / "dec")


def test_load_errors(decomposition, tmp_path):
    with pytest.raises(InputError, match="manifest.json"):
        Decomposition.load(tmp_path)
    root = decomposition.save(tmp_path / "dec")
    (root / folder.manifest(decomposition)["layers"][0]["rgba"]).unlink()
    with pytest.raises(InputError, match="missing"):
        Decomposition.load(root)
    (root / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="JSON"):
        Decomposition.load(root)


def test_validation_errors(decomposition):
    layer = decomposition.layers[0]
    with pytest.raises(InputError, match="rgba"):
        Layer("x", 0, 0, layer.rgba.astype(np.float64), layer.visible_mask, layer.amodal_mask)
    with pytest.raises(InputError, match="visible_mask"):
        Layer("x", 0, 0, layer.rgba, layer.visible_mask[:-1], layer.amodal_mask)
    with pytest.raises(InputError, match="id"):
        Layer("../x", 0, 0, layer.rgba, layer.visible_mask, layer.amodal_mask)
    d = decomposition
    with pytest.raises(InputError, match="front to back"):
        Decomposition(tuple(reversed(d.layers)), d.background, d.graph, d.image_size)
    with pytest.raises(InputError, match="graph"):
        Decomposition(d.layers, d.background, nx.DiGraph(), d.image_size)
    with pytest.raises(InputError, match="background"):
        Decomposition(d.layers, d.background[:-1], d.graph, d.image_size)


def test_contact_sheet_and_to_dict(decomposition):
    sheet = contact_sheet_image(decomposition, tile=64)
    assert sheet.dtype == np.uint8 and sheet.ndim == 3
    info = decomposition.to_dict()
    json.dumps(info)
    assert info["order"] == decomposition.order
    assert decomposition.layer(decomposition.layers[0].prompt_index) is decomposition.layers[0]
    with pytest.raises(KeyError):
        decomposition.layer("nope")


def test_cropped_layer_storage_keeps_every_non_zero_channel():
    from paintseg_layers.layers.model import _Cropped

    for view in (slice(None), slice(None, None, 2)):  # contiguous (uint32 fast path) and strided
        for ch in range(4):
            arr = np.zeros((50, 120, 4), np.uint8)
            arr[10:20, 5:9, 3] = 255
            arr[40, 110, ch] = 7  # one pixel far away, non-zero in one channel only
            arr = arr[:, view]
            stored = _Cropped.of(arr)
            assert isinstance(stored, _Cropped)
            assert np.array_equal(stored.full(), arr), (view, ch)
