"""Edit dataclasses, JSON/TOML edit scripts, and the ``paintseg compose`` command."""

import json

import numpy as np
import pytest
from PIL import Image

from paintseg_layers.cli import main
from paintseg_layers.compose import compose
from paintseg_layers.compose.edits import Flip, Insert, InsertImage, Lower, Raise, Remove, Scale, Translate
from paintseg_layers.compose.script import (
    dumps_edits,
    edit_from_dict,
    edit_to_dict,
    load_edits,
    parse_edits,
    save_edits,
)
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes import ground_truth_decomposition, make_scene

ALL = (Remove("a"), Translate("a", 3, -2.5), Scale("b", 1.5, center=(10, 20)), Flip("a", "vertical"), Raise("b"),
       Lower("a", steps=2), Insert("/data/other", "obj1", 4, 5, id="new", depth=1),
       InsertImage("/data/sticker.png", 1, 2, id="st"))


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_script_round_trip(tmp_path, fmt):
    path = save_edits(tmp_path / f"edits.{fmt}", ALL)
    back = load_edits(path)
    assert back[:-1] == ALL[:-1]  # InsertImage may hold an array, so it compares by identity
    assert [edit_to_dict(e) for e in back] == [edit_to_dict(e) for e in ALL]


def test_relative_paths_follow_the_script(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps({"edits": [{"op": "insert", "source": "other", "layer": "obj0",
                                                            "x": 0, "y": 0}]}))
    (edit,) = load_edits(tmp_path / "s.json")
    assert edit.source == str(tmp_path / "other")


def test_toml_script_by_hand(tmp_path):
    (tmp_path / "s.toml").write_text('version = 1\n[[edits]]\nop = "translate"\nlayer = "obj0"\ndx = 30\ndy = -4\n'
                                     '[[edits]]\nop = "raise"\nlayer = "obj1"\nsteps = 1\n')
    assert load_edits(tmp_path / "s.toml") == (Translate("obj0", 30, -4), Raise("obj1", 1))


@pytest.mark.parametrize("doc, message", [
    ({"edits": [{"op": "translate", "layer": "a", "dx": 1}]}, r"edit #1 \(translate\): missing key\(s\) 'dy'"),
    ({"edits": [{"op": "remove", "layer": "a", "colour": 1}]}, r"unknown key\(s\) 'colour'; allowed: layer"),
    ({"edits": [{"op": "teleport", "layer": "a"}]}, r"`op` must be one of remove, translate"),
    ({"edits": [{"op": "scale", "layer": "a", "factor": -2}]}, r"`factor` must lie in \(0, 100\]"),
    ({"edits": [{"op": "scale", "layer": "a", "factor": "big"}]}, r"`factor` must be a number, got 'big'"),
    ({"edits": [{"op": "translate", "layer": "a", "dx": True, "dy": 0}]}, r"`dx` must be a number"),
    ({"edits": [{"op": "flip", "layer": "a", "axis": "diagonal"}]}, r"`axis` must be 'horizontal' or 'vertical'"),
    ({"edits": [{"op": "raise", "layer": "a", "steps": 0}]}, r"`steps` must be an integer >= 1"),
    ({"edits": [{"op": "remove", "layer": 3}]}, r"`layer` must be a layer id"),
    ({"edits": [{"op": "insert", "source": "x", "layer": "a", "x": 0, "y": 0, "depth": -1}]}, r"`depth` must be"),
    ({"edits": [{"op": "insert", "source": "x", "layer": "a", "x": 0, "y": 0, "id": "a/b"}]}, r"`id` must be"),
    ({"edits": ["remove a"]}, r"edit #1 must be a table/object"),
    ({"edits": {"op": "remove"}}, r"`edits` must be a list"),
    ({"edits": [], "mode": 1}, r"unknown top-level key\(s\) 'mode'"),
    ({"version": 2, "edits": []}, r"`version` must be 1"),
    ([], r"edit script must be a table/object"),
])
def test_bad_scripts_raise_one_clear_line(doc, message):
    with pytest.raises(InputError, match=message) as info:
        parse_edits(doc)
    assert "\n" not in str(info.value)


def test_dataclass_validation():
    with pytest.raises(InputError, match="finite"):
        Translate("a", float("nan"), 0)
    with pytest.raises(InputError, match="center"):
        Scale("a", 2, center=(1, 2, 3))
    with pytest.raises(InputError, match=r"\(h, w, 4\)"):
        InsertImage(np.zeros((3, 3, 3)), 0, 0)
    with pytest.raises(InputError, match="in-memory"):
        edit_to_dict(InsertImage(np.zeros((3, 3, 4)), 0, 0))
    assert edit_from_dict({"op": "flip", "layer": "x"}) == Flip("x", "horizontal")


def test_load_edits_file_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_edits(tmp_path / "missing.json")
    (tmp_path / "e.yaml").write_text("edits: []")
    with pytest.raises(InputError, match=r"must end in .json or .toml"):
        load_edits(tmp_path / "e.yaml")
    (tmp_path / "bad.json").write_text("{edits: [")
    with pytest.raises(InputError, match="not valid JSON"):
        load_edits(tmp_path / "bad.json")
    (tmp_path / "bad.toml").write_text("[[edits]\nop=")
    with pytest.raises(InputError, match="not valid TOML"):
        load_edits(tmp_path / "bad.toml")
    (tmp_path / "bad2.toml").write_text('[[edits]]\nop = "remove"\nlayr = "a"\n')
    with pytest.raises(InputError, match=r"bad2.toml: edit #1 \(remove\): unknown key"):
        load_edits(tmp_path / "bad2.toml")
    assert dumps_edits([], fmt="toml") == "version = 1\n"


# -- the command -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def truth_dir(tmp_path_factory):
    scene = make_scene(0, size=(80, 64), cutouts="none", n_objects=3)
    d = ground_truth_decomposition(scene)
    path = tmp_path_factory.mktemp("dec") / "scene0"
    d.save(path, contact_sheet=False)
    return path, d


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def read_png(path):
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB")).astype(np.float32) / 255


def test_compose_cli_no_edit_and_flags_in_order(tmp_path, capsys, truth_dir):
    path, d = truth_dir
    code, out, err = run(capsys, "compose", path, "-o", tmp_path / "same.png")
    assert code == 0, err
    assert np.array_equal(read_png(tmp_path / "same.png"), d.image)
    front, second = d.order[0], d.order[1]
    code, out, err = run(capsys, "compose", path, "--move", front, "-100", "0", "--front", second, "--scale", second,
                         "1.2", "-o", tmp_path / "edited.png", "--save-edits", tmp_path / "edits.toml",
                         "--save-decomposition", tmp_path / "edited")
    assert code == 0, err
    expected = compose(d, [Translate(front, -100, 0), Raise(second), Scale(second, 1.2)])
    assert np.abs(read_png(tmp_path / "edited.png") - expected).max() <= 0.5 / 255 + 1e-6
    assert load_edits(tmp_path / "edits.toml") == (Translate(front, -100, 0), Raise(second), Scale(second, 1.2))
    # the saved script replays to the same picture
    code, _, err = run(capsys, "compose", path, "--edits", tmp_path / "edits.toml", "-o", tmp_path / "replay.png")
    assert code == 0, err
    assert np.array_equal(read_png(tmp_path / "replay.png"), read_png(tmp_path / "edited.png"))
    assert (tmp_path / "edited" / "manifest.json").is_file()


def test_compose_cli_insert_remove_back(tmp_path, capsys, truth_dir):
    path, d = truth_dir
    code, out, err = run(capsys, "compose", path, "--insert", f"{path}:{d.order[0]}", "2", "3", "--remove", d.order[1],
                         "--back", d.order[0], "--flip", d.order[2], "-o", tmp_path / "x.png")
    assert code == 0, err
    assert f"{d.order[0]}-2" in out
    # the rendered pixels are those of the same edits applied through the API, and each edit changed them
    edits = [Insert(str(path), d.order[0], 2, 3), Remove(d.order[1]), Lower(d.order[0]), Flip(d.order[2])]
    expected = compose(d, edits)
    got = read_png(tmp_path / "x.png")
    assert np.abs(got - expected).max() <= 0.5 / 255 + 1e-6
    for k in range(len(edits)):
        without = compose(d, edits[:k] + edits[k + 1:])
        assert np.abs(without - expected).max() > 0.1, f"edit {edits[k]} changed nothing"


@pytest.mark.parametrize("argv, message", [
    (["--move", "ghost", "1", "2"], r"unknown layer id 'ghost'; known ids: obj"),
    (["--move", "obj0", "abc", "2"], r"`--move` DX must be a number, got 'abc'"),
    (["--scale", "obj0", "0"], r"`--scale` S must be > 0, got '0'"),
    (["--scale", "obj0", "nan"], r"`--scale` S must be a finite number"),
    (["--insert", "nowhere", "1", "2"], r"`--insert` needs OTHER_DIR:ID"),
    (["--insert", "/no/such/dir:obj0", "1", "2"], r"must be a decomposition folder"),
    (["--edits", "missing.toml"], r"`--edits` file not found"),
    (["--feather", "-1"], r"`--feather` SIGMA must lie in \[0, 100.0\] px"),
    (["--feather", "1e9"], r"`--feather` SIGMA must lie in \[0, 100.0\] px"),
    (["--move", "obj0", "1"], r"expected 3 arguments"),
])
def test_compose_cli_errors_are_one_line(tmp_path, capsys, truth_dir, argv, message):
    import re

    path, _ = truth_dir
    code, out, err = run(capsys, "compose", path, *argv, "-o", tmp_path / "x.png")
    assert code == 2
    assert err.count("\n") == 1 and re.search(message, err), err
    assert not (tmp_path / "x.png").exists()


def test_compose_cli_unreadable_dir(tmp_path, capsys):
    code, _, err = run(capsys, "compose", tmp_path, "-o", tmp_path / "x.png")
    assert code == 2 and "manifest.json" in err and err.count("\n") == 1
