"""The learnt ownership cue (peel/ownership.py): input, symmetries, shipped weights, its place in the order stage."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import load_benchmark, rect

from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes import make_scene
from paintseg_layers.masks import dilate
from paintseg_layers.peel import PeelConfig, order_evidence, order_graph
from paintseg_layers.peel import ownership as own

ol = load_benchmark("order_learnt")  # the trainer: its torch twin of the net


def _pair():
    """A square in front of a wider rectangle it bites into (visible masks)."""
    front = rect(60, 40, 100, 80)
    back = rect(20, 50, 140, 70) & ~front
    return front, back


def test_pair_input_fits_the_pair_box_and_keeps_the_channels_apart():
    front, back = _pair()
    x = own.pair_input(front, back)
    assert x.shape == (3, own.SIZE, own.SIZE) and x.dtype == np.float32
    # the pair's box (+4 px) is 128 x 48: fitted to 48 wide and 18 high, centred, the rest zero
    rows = np.nonzero(x[:2].sum(axis=(0, 2)))[0]
    assert 14 <= len(rows) <= 19 and x[:2].sum(axis=(0, 1))[0] == 0
    assert x[2].max() == 0  # no other object
    assert x[0].sum() > 0 and x[1].sum() > 0
    np.testing.assert_array_equal(own.pair_input(back, front)[[1, 0, 2]], x)


def test_pair_input_names_the_bad_argument():
    front, back = _pair()
    with pytest.raises(InputError, match="one shape"):
        own.pair_input(front, back[:60])
    with pytest.raises(InputError, match="empty"):
        own.pair_input(np.zeros_like(front), np.zeros_like(back))


def _random_weights(seed):
    torch.manual_seed(seed)
    net = ol.TorchNet()
    for m in net.modules():  # batch-norm statistics away from (0, 1), so that folding them is tested
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return net.eval()


def test_numpy_inference_is_the_trained_torch_net():
    torch_net = _random_weights(0)
    assert {k: tuple(v.shape) for k, v in torch_net.weights().items()} == own.weight_shapes()
    x = np.stack([own.pair_input(*_pair(), rect(0, 0, 10, 10)), own.pair_input(*_pair()[::-1])])
    with torch.no_grad():
        want = torch_net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(own.OwnershipNet(torch_net.weights())(x), want, atol=1e-5)


def test_net_is_antisymmetric_and_the_averaged_log_odds_ignore_flips():
    net = own.OwnershipNet(_random_weights(1).weights())
    front, back = _pair()
    x = own.pair_input(front, back, rect(0, 0, 10, 10))[None]
    direct, reverse = net(x), net(np.ascontiguousarray(x[:, [1, 0, 2]]))
    np.testing.assert_allclose(direct, -reverse, atol=1e-5)
    assert abs(float(direct[0])) > 0  # an untrained net still has an opinion to cancel
    turned = np.ascontiguousarray(np.rot90(x, 1, (2, 3))[..., ::-1])
    np.testing.assert_allclose(own.log_odds(net, x), own.log_odds(net, turned), atol=1e-5)


def test_shipped_net_reads_the_bite_and_swaps_sign_with_the_pair():
    front, back = _pair()
    ab = own.ownership(front, back)
    assert ab > 1.0  # the square that bites into the bar is in front, confidently
    assert own.ownership(back, front) == pytest.approx(-ab, abs=1e-4)
    # the same pair turned a quarter and mirrored reads the same
    turn = lambda m: np.ascontiguousarray(np.rot90(m)[:, ::-1])
    assert own.ownership(turn(front), turn(back)) == pytest.approx(ab, abs=1e-3)


def test_shipped_net_orders_true_masks_of_scenes_it_never_saw():
    """Generated scenes with seeds outside the training's (30000-32299, 40000-41039): the net alone, on the true
    visible masks of the truly overlapping pairs that touch, gets most of them right."""
    right = total = 0
    for seed in range(7000, 7030):
        scene = make_scene(seed, size=(160, 120), n_objects=(2, 4))
        vis = [o.visible_mask for o in scene.objects]
        for front, back, _ in scene.occlusion_pairs():
            if not (dilate(vis[front], 1) & vis[back]).any():
                continue
            others = np.zeros_like(vis[0])
            for k, m in enumerate(vis):
                if k not in (front, back):
                    others |= m
            total += 1
            right += own.ownership(vis[front], vis[back], others) > 0
    assert total >= 50
    assert right / total >= 0.85, f"{right} / {total}"


def test_save_and_load_round_trip(tmp_path):
    net = own.OwnershipNet(_random_weights(2).weights())
    path = own.save_weights(net.weights, tmp_path / "net.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]  # no temporary left
    x = own.pair_input(*_pair())[None]
    np.testing.assert_array_equal(own.log_odds(own.load_net(path), x), own.log_odds(net, x))


def test_load_net_refuses_what_is_not_its_weights(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="`path`.*bad.npz"):
        own.load_net(bad)
    np.savez(tmp_path / "other.npz", w=np.zeros(3))
    with pytest.raises(InputError, match="must hold the arrays"):
        own.load_net(tmp_path / "other.npz")
    state = dict(own.shipped_net().weights)
    state["body.0.0.weight"] = np.zeros((16, 5, 3, 3), np.float32)
    np.savez(tmp_path / "shape.npz", **state)
    with pytest.raises(InputError, match=r"body.0.0.weight.*\(16, 3, 3, 3\)"):
        own.load_net(tmp_path / "shape.npz")
    state["body.0.0.weight"] = np.full((16, 3, 3, 3), np.nan, np.float32)
    np.savez(tmp_path / "nan.npz", **state)
    with pytest.raises(InputError, match="finite"):
        own.load_net(tmp_path / "nan.npz")


def test_load_net_never_unpickles(tmp_path):
    """A weights file carrying a pickled object is refused, and the pickle's code never runs (in a subprocess)."""
    marker = tmp_path / "ran"
    script = f"""
import os, numpy as np
from paintseg_layers.errors import InputError
from paintseg_layers.peel.ownership import load_net
class Evil:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))
arr = np.empty(1, object); arr[0] = Evil()
np.savez("{tmp_path / 'evil.npz'}", w=arr)
try:
    load_net("{tmp_path / 'evil.npz'}")
except InputError as exc:
    print("refused:", exc)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "refused:" in run.stdout, run.stderr
    assert not marker.exists()


def test_order_evidence_adds_the_weighted_log_odds():
    def constant(x):  # a stand-in net: log-odds -10 for every pair
        return np.full(len(x), -10.0)

    front, back = _pair()
    e_ab, e_ba, contested = order_evidence(front, back, radius=24)
    assert e_ab > e_ba  # the boundary cues read this pair right
    l_ab, l_ba, l_contested = order_evidence(front, back, radius=24, learnt=1.0, net=constant)
    assert l_contested == contested
    assert l_ba - l_ab == pytest.approx(10.0 - (e_ab - e_ba), abs=1e-4)
    assert order_evidence(front, back, radius=24, learnt=0.0, net=constant) == (e_ab, e_ba, contested)


def test_order_graph_names_the_learnt_cue_and_the_config_checks_its_weight():
    front, back = _pair()
    kw = {"working_size": 160, "contact_radius": 0.15, "min_confidence": 0.02}
    learnt = order_graph({"a": front, "b": back}, front.shape, learnt=1.0, **kw)
    plain = order_graph({"a": front, "b": back}, front.shape, **kw)
    assert list(learnt.edges) == list(plain.edges) == [("a", "b")]
    assert learnt.edges["a", "b"]["cue"] == "junction+convexity+learnt"
    assert plain.edges["a", "b"]["cue"] == "junction+convexity"
    assert learnt.edges["a", "b"]["margin"] > plain.edges["a", "b"]["margin"]  # the net agrees: more confident
    assert PeelConfig().learnt_cue == 1.0
    for bad in (-0.5, 11, True, "1"):
        with pytest.raises(InputError, match="`learnt_cue`"):
            PeelConfig(learnt_cue=bad)
