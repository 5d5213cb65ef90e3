"""Cut an object out of one photo and place it into another.

    python recipes/into_another_photo.py               # the coffee cup into examples/chelsea.png

The source photo is decomposed (one layer per prompt); the target photo becomes a decomposition
with no layers (its own picture is the background plate), and the compositor inserts the layer
with ``Insert`` and resizes it with ``Scale``. Writes ``result.png`` and ``before_after.jpg``.
Shell equivalent (the target must be a decomposition folder too, e.g. ``paintseg import`` of a
one-layer file, or any decomposition)::

    paintseg decompose examples/coffee.png --box 40 6 258 208 -o out/cup
    paintseg compose out/other --insert out/cup:obj0 150 90 -o result.png

Real weights: ``--painter diffusion --device cuda``, ``--projector dino``.
"""

import argparse
from pathlib import Path

from _common import EXAMPLES, add_decompose_flags, decompose_from_args, on_checkerboard, panel, save


def as_decomposition(photo):
    """A photo as a decomposition with no object layers (the photo is the plate)."""
    import networkx as nx

    from paintseg_layers.layers import Decomposition, quantize8

    h, w = photo.shape[:2]
    return Decomposition(layers=(), background=quantize8(photo), graph=nx.DiGraph(), image_size=(w, h))


def main(argv=None):
    p = argparse.ArgumentParser(prog="into_another_photo.py", description=__doc__.splitlines()[0])
    add_decompose_flags(p, image="coffee.png")
    p.add_argument("--target", type=Path, default=EXAMPLES / "chelsea.png", help="photo to paste into")
    p.add_argument("--layer", default="obj0", help="layer of the source to move (default obj0)")
    p.add_argument("--at", nargs=2, type=float, default=(20, 120), metavar=("X", "Y"),
                   help="where the layer's box top-left lands in the target")
    p.add_argument("--scale", type=float, default=0.45, help="size factor (default 0.45)")
    args = p.parse_args(argv)

    from paintseg_layers import Insert, Scale, compose, read_image

    image, dec = decompose_from_args(args)
    target = read_image(args.target)
    result = compose(
        as_decomposition(target),
        [Insert(dec, args.layer, *args.at, id="pasted"), Scale("pasted", args.scale, center=tuple(args.at))],
    )
    save(args.out / "result.png", result)
    save(args.out / "before_after.jpg", panel([image, on_checkerboard(dec.layer(args.layer).rgba), target, result],
                                              ["source", f"layer {args.layer}", "target", "result"]))
    print(f"wrote {args.out}/result.png and before_after.jpg")


if __name__ == "__main__":
    main()
