"""Move an object, and re-insert a copy of another one elsewhere, in a decomposed scene.

    python recipes/move_and_reinsert.py                 # examples/shapes.png + shapes.prompts

The scene is peeled into amodal layers (``paintseg decompose``); the compositor then moves layer
``--move ID`` by ``--dx``/``--dy`` and inserts a copy of layer ``--copy ID`` at ``--at X Y``.
Because layers are amodal, the moved object shows its completed shape, and the pixels it leaves
uncover the background plate and the hidden part of the object behind it. Writes
``decomposition/``, ``edited.png`` and ``before_after.jpg``. Shell equivalent::

    paintseg decompose examples/shapes.png $(cat examples/shapes.prompts) -o out/shapes
    paintseg compose out/shapes --move obj1 -150 40 --insert out/shapes:obj2 30 10 -o edited.png

Real weights: ``--painter diffusion --device cuda`` and ``--projector dino`` (see the README).
"""

import argparse

from _common import add_decompose_flags, decompose_from_args, panel, save


def main(argv=None):
    p = argparse.ArgumentParser(prog="move_and_reinsert.py", description=__doc__.splitlines()[0])
    add_decompose_flags(p)
    p.add_argument("--move", default="obj1", metavar="ID", help="layer to move (default obj1)")
    p.add_argument("--dx", type=float, default=-150)
    p.add_argument("--dy", type=float, default=40)
    p.add_argument("--copy", default="obj2", metavar="ID", help="layer to insert a copy of (default obj2)")
    p.add_argument("--at", nargs=2, type=float, default=(30, 10), metavar=("X", "Y"),
                   help="where the copy's box top-left lands")
    args = p.parse_args(argv)

    from paintseg_layers import Insert, Translate, compose

    image, dec = decompose_from_args(args)
    args.out.mkdir(parents=True, exist_ok=True)
    dec.save(args.out / "decomposition")
    edits = [Translate(args.move, args.dx, args.dy), Insert(dec, args.copy, *args.at, id=f"{args.copy}-copy")]
    edited = compose(dec, edits)
    save(args.out / "edited.png", edited)
    save(args.out / "before_after.jpg", panel([image, dec.background, edited],
                                              ["input", "background plate", f"{args.move} moved, {args.copy} copied"]))
    print(f"order {dec.order}; wrote {args.out}/edited.png and before_after.jpg")


if __name__ == "__main__":
    main()
