"""benchmarks/order_learnt.py: the cut-out halves and a tiny end-to-end run (train, save, score the saved net)."""

from __future__ import annotations

from conftest import load_benchmark

from paintseg_layers.peel.ownership import OwnershipNet, load_net

ol = load_benchmark("order_learnt")


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
    assert isinstance(load_net(tmp_path / "ownership_net.npz"), OwnershipNet)
    # the saved net scored again (no training) prints the same table: the order read is deterministic
    assert ol.main(["--out", str(tmp_path), "--scale", "0.01", "--weights", "0,1", "--workers", "1",
                    "--net", str(tmp_path / "ownership_net.npz")]) == 0
    assert capsys.readouterr().out.splitlines() == table
