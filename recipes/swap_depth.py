"""Swap the depth order of two overlapping objects.

    python recipes/swap_depth.py                        # obj1 and obj2 of examples/shapes.png

The occlusion graph says who hides whom; the compositor's ``Raise``/``Lower`` edits move a layer
in the front-to-back order and rebuild the graph to match. The object brought forward shows its
amodal (completed) shape: how plausible its hidden part looks depends on the painter (the
weight-free ``telea`` fills it with smooth colour; ``--painter diffusion`` paints real texture).
Writes ``swapped.png`` and ``before_after.jpg``. Shell equivalent (``--front`` = raise to the front)::

    paintseg compose out/shapes --front obj1 -o swapped.png
"""

import argparse

from _common import add_decompose_flags, decompose_from_args, panel, save


def swap_edits(order, a, b):
    """``Raise``/``Lower`` edits that exchange the places of layers ``a`` and ``b`` in ``order``."""
    from paintseg_layers import Lower, Raise

    ia, ib = order.index(a), order.index(b)
    if ia > ib:
        (a, ia), (b, ib) = (b, ib), (a, ia)
    if ib - ia == 0:
        return []
    # the front one goes back to b's place; b (now one place further forward) goes to a's old place
    edits = [Lower(a, steps=ib - ia)]
    if ib - ia > 1:
        edits.append(Raise(b, steps=ib - ia - 1))
    return edits


def main(argv=None):
    p = argparse.ArgumentParser(prog="swap_depth.py", description=__doc__.splitlines()[0])
    add_decompose_flags(p)
    p.add_argument("--swap", nargs=2, default=("obj1", "obj2"), metavar=("ID_A", "ID_B"))
    args = p.parse_args(argv)

    from paintseg_layers import apply_edits, render

    image, dec = decompose_from_args(args)
    swapped = apply_edits(dec, swap_edits(dec.order, *args.swap))
    picture = render(swapped)
    save(args.out / "swapped.png", picture)
    save(args.out / "before_after.jpg", panel([image, picture], [" > ".join(dec.order) + " (front first)",
                                                                 " > ".join(swapped.order) + " (swapped)"]))
    print(f"order {dec.order} -> {swapped.order}; wrote {args.out}/swapped.png")


if __name__ == "__main__":
    main()
