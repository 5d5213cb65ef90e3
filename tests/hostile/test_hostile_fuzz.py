"""Issue 13: property-based fuzzing of manifests, edit scripts and prompt flags.

Whatever the input, the library answers with a result or an :class:`InputError` (the CLI's one
line, exit 2) -- never another exception (the CLI's ``unexpected`` line, exit 1).

The CI budget is small (profile ``ci``); before a release run the long profile::

    HYPOTHESIS_PROFILE=release pytest -q tests/hostile/test_hostile_fuzz.py
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paintseg_layers.cli import build_parser
from paintseg_layers.cli.common import prompt_from_args
from paintseg_layers.compose.apply import apply_edits
from paintseg_layers.compose.script import parse_edits
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes import ground_truth_decomposition, make_scene
from paintseg_layers.layers import Decomposition

settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("release", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_DEC = ground_truth_decomposition(make_scene(5, size=(48, 40), n_objects=2, cutouts="none"))
_ROOT = Path(tempfile.mkdtemp(prefix="paintseg_fuzz_"))
_GOOD = _DEC.save(_ROOT / "good")
_MANIFEST = json.loads((_GOOD / "manifest.json").read_text())

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_KEYS = ["image_size", "image", "background", "graph", "seed", "layers", "backends", "config"]
_LAYER_KEYS = ["id", "prompt_index", "depth", "rgba", "visible_mask", "amodal_mask", "prompt", "scores"]


@pytest.fixture(scope="module", autouse=True)
def _cleanup():
    yield
    shutil.rmtree(_ROOT, ignore_errors=True)


def _only_input_errors(call):
    try:
        return call()
    except InputError:
        return None


@given(key=st.sampled_from(_KEYS + [f"layers.0.{k}" for k in _LAYER_KEYS]), value=json_values,
       whole=st.booleans())
def test_manifest_fuzz(key, value, whole):
    folder = _ROOT / "fuzz"
    if not folder.exists():
        shutil.copytree(_GOOD, folder)
    man = json.loads(json.dumps(_MANIFEST))
    if whole:
        man = value
    else:
        node, parts = man, key.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        node[parts[-1]] = value
    (folder / "manifest.json").write_text(json.dumps(man))
    _only_input_errors(lambda: Decomposition.load(folder))


_OPS = ["remove", "translate", "scale", "flip", "raise", "lower", "insert", "insert_image", "bogus"]
edit_dicts = st.fixed_dictionaries(
    {"op": st.sampled_from(_OPS)},
    optional={"layer": st.sampled_from(["obj0", "obj1", "nope"]) | json_values, "dx": json_values,
              "dy": json_values, "factor": json_values, "center": json_values, "axis": json_values,
              "steps": json_values, "source": st.just(str(_GOOD)) | json_values,
              "image": st.just(str(_GOOD / "background.png")) | json_values,
              "x": json_values, "y": json_values, "id": json_values, "depth": json_values},
)


@given(script=st.fixed_dictionaries({"version": st.just(1) | json_values,
                                     "edits": st.lists(edit_dicts, max_size=4) | json_values}),
       feather=st.none() | st.floats(-5, 5))
def test_edit_script_fuzz(script, feather):
    edits = _only_input_errors(lambda: parse_edits(script, base_dir=_ROOT))
    if edits is not None:
        _only_input_errors(lambda: apply_edits(_DEC, edits, feather=feather))


_number = st.one_of(st.integers(-10**6, 10**6).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.text(max_size=6))


@given(flags=st.lists(st.one_of(
    st.tuples(st.just("--box"), _number, _number, _number, _number),
    st.tuples(st.just("--point"), _number, _number),
    st.tuples(st.just("--neg-point"), _number, _number),
    st.tuples(st.just("--mask"), st.sampled_from([str(_GOOD / "obj0.visible.png"), str(_GOOD), "missing.png"])),
), max_size=3))
def test_prompt_flag_fuzz(flags):
    argv = ["segment", "photo.png", "-o", "out.png"] + [str(v) for flag in flags for v in flag]
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse's own one-line usage error, exit 2
        assert exc.code == 2
        return
    _only_input_errors(lambda: prompt_from_args(args, (40, 48)))
