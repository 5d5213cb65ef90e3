"""Remove an object from a photo: segment it from a box (AMCP) and paint it out.

    python recipes/remove_object.py                      # the coffee cup from examples/coffee.png
    python recipes/remove_object.py photo.jpg --box 40 6 258 208 --out out/remove

Writes ``removed.png`` (the photo without the object), ``mask.png`` and ``before_after.jpg``.
The default painter here is ``patchmatch`` (weight-free exemplar synthesis: it continues the wood
texture; ``telea`` is faster but smears). Real weights: ``--painter diffusion --device cuda``
(``--painter-model ID_OR_DIR`` for another inpainting checkpoint) and ``--projector dino``
(``--projector-model``). Same thing from the shell::

    paintseg remove examples/coffee.png --box 40 6 258 208 --painter patchmatch -o removed.png
"""

import argparse
from pathlib import Path

from _common import EXAMPLES, add_backend_flags, backends, outline, panel, save

from paintseg_layers.prompts import read_prompt_file


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("image", nargs="?", type=Path, default=EXAMPLES / "coffee.png")
    p.add_argument("--box", nargs=4, type=float, metavar=("X0", "Y0", "X1", "Y1"),
                   help="box around the object (default: the first line of IMAGE's .prompts file)")
    p.add_argument("--out", type=Path, default=Path("out/remove_object"))
    add_backend_flags(p)
    p.set_defaults(painter="patchmatch")
    args = p.parse_args(argv)

    from paintseg_layers import BoxPrompt, read_image, remove_object

    image = read_image(args.image)
    prompt = BoxPrompt(tuple(args.box)) if args.box else read_prompt_file(args.image.with_suffix(".prompts"))[0]
    painter, projector, config = backends(args)
    removed, result = remove_object(image, prompt, painter=painter, projector=projector, config=config, seed=args.seed)

    save(args.out / "removed.png", removed)
    save(args.out / "mask.png", result.mask)
    picture = panel([outline(image, result.mask), removed],
                    ["input + segmented object", f"object removed ({painter.name})"])
    save(args.out / "before_after.jpg", picture)
    print(f"removed {int(result.mask.sum())} px; wrote {args.out}/removed.png and before_after.jpg")


if __name__ == "__main__":
    main()
