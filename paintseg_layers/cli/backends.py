"""``paintseg backends``: every painter and projector, whether it is installed, its default model."""

from __future__ import annotations

from paintseg_layers.painters import DEFAULT_PAINTER, PAINTERS
from paintseg_layers.projectors import DEFAULT_PROJECTOR, PROJECTORS


def register(sub) -> None:
    p = sub.add_parser("backends", help="list painters and projectors", description=__doc__)
    p.set_defaults(func=run)


def run(args) -> int:

    for title, reg, default in (("painters", PAINTERS, DEFAULT_PAINTER), ("projectors", PROJECTORS, DEFAULT_PROJECTOR)):
        print(f"{title}:")
        for e in reg.entries():
            status = "installed" if e.installed() else f"missing (pip install 'paintseg_layers[{e.extra}]')"
            mark = "*" if e.name == default else " "
            model = f"  model: {e.default_model}" if e.default_model else ""
            print(f" {mark} {e.name:<11} {status:<12} {e.summary}{model}")
    print("(* = default)")
    return 0
