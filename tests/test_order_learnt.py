"""benchmarks/order_learnt.py: the learnt ownership cue's input, symmetries, swap-in and a tiny end-to-end run."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import load_benchmark, rect

import paintseg_layers.peel.order as order_stage

ol = load_benchmark("order_learnt")


def _pair():
    """A square in front of a wider rectangle it bites into (visible masks)."""
    front = rect(60, 40, 100, 80)
    back = rect(20, 50, 140, 70) & ~front
    return front, back


def test_pair_input_fits_the_pair_box_and_keeps_the_channels_apart():
    front, back = _pair()
    x = ol.pair_input(front, back, np.zeros_like(front))
    assert x.shape == (3, ol.SIZE, ol.SIZE) and x.dtype == np.float32
    # the pair's box (+4 px) is 128 x 48: fitted to 48 wide and 18 high, centred, the rest zero
    rows = np.nonzero(x[:2].sum(axis=(0, 2)))[0]
    assert 14 <= len(rows) <= 19 and x[:2].sum(axis=(0, 1))[0] == 0
    assert x[2].max() == 0  # no other object
    assert x[0].sum() > 0 and x[1].sum() > 0
    swapped = ol.pair_input(back, front, np.zeros_like(front))
    np.testing.assert_array_equal(swapped[[1, 0, 2]], x)


def test_net_is_antisymmetric_and_the_averaged_log_odds_ignore_flips():
    torch.manual_seed(0)
    net = ol.OwnershipNet().eval()
    front, back = _pair()
    x = ol.pair_input(front, back, rect(0, 0, 10, 10))[None]
    with torch.no_grad():
        direct = net(torch.from_numpy(x)).numpy()
        reverse = net(torch.from_numpy(np.ascontiguousarray(x[:, [1, 0, 2]]))).numpy()
    np.testing.assert_allclose(direct, -reverse, atol=1e-5)
    assert abs(float(direct[0])) > 0  # an untrained net still has an opinion to cancel
    turned = np.ascontiguousarray(np.rot90(x, 1, (2, 3))[..., ::-1])
    np.testing.assert_allclose(ol.log_odds(net, x), ol.log_odds(net, turned), atol=1e-5)


class _Constant(torch.nn.Module):
    """A stand-in net: log-odds ``value`` for every pair (already antisymmetric where it is used)."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, x):
        return torch.full((x.shape[0],), float(self.value))


def test_learnt_evidence_adds_the_weighted_log_odds_and_restores_the_stage():
    front, back = _pair()
    plain = order_stage.order_evidence
    e_ab, e_ba, contested = plain(front, back, radius=24)
    assert e_ab > e_ba  # the boundary cues read this pair right
    with ol.learnt_evidence(_Constant(-10.0), 1.0):
        assert order_stage.order_evidence is not plain
        l_ab, l_ba, l_contested = order_stage.order_evidence(front, back, radius=24)
    assert order_stage.order_evidence is plain
    assert l_contested == contested
    assert l_ba - l_ab == pytest.approx(10.0 - (e_ab - e_ba), abs=1e-4)
    with ol.learnt_evidence(_Constant(-10.0), 0.0):
        assert order_stage.order_evidence(front, back, radius=24) == (e_ab, e_ba, contested)


def test_cut_out_halves_are_disjoint_and_cover_every_object(tmp_path):
    src = ol.default_cutouts()
    assert src is not None, "the GrabCut data under ../shared is needed"
    halves = ol.split_cutouts(src, tmp_path)
    names = {h: {p.stem for p in (root / "masks").iterdir()} for h, root in halves.items()}
    assert names["A"].isdisjoint(names["B"])
    assert names["A"] | names["B"] == {p.stem for p in (src / "masks").iterdir()}
    assert abs(len(names["A"]) - len(names["B"])) <= 1
    for root in halves.values():  # every mask has its image
        assert {p.stem for p in (root / "images").iterdir()} >= {p.stem for p in (root / "masks").iterdir()}


def test_tiny_run_trains_saves_and_prints_the_held_out_table(tmp_path, capsys):
    assert ol.main(["--out", str(tmp_path), "--scale", "0.01", "--epochs", "1", "--weights", "0,1",
                    "--workers", "1"]) == 0
    table = capsys.readouterr().out.splitlines()
    rows = {line[:22].strip(): line[22:].split() for line in table[2:]}
    assert set(rows) == {name for name, *_ in ol.HELD_OUT}
    for pairs, plain, _slash, learnt in rows.values():
        assert 0 <= int(plain) <= int(pairs) and 0 <= int(learnt) <= int(pairs)
    net = ol.OwnershipNet()
    net.load_state_dict(torch.load(tmp_path / "ownership_net.pt", weights_only=True))
    # the saved net scored again (no training) prints the same table: the order read is deterministic
    assert ol.main(["--out", str(tmp_path), "--scale", "0.01", "--weights", "0,1", "--workers", "1",
                    "--net", str(tmp_path / "ownership_net.pt")]) == 0
    assert capsys.readouterr().out.splitlines() == table
