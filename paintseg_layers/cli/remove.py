"""``paintseg remove``: the image with the prompted object painted out."""

from __future__ import annotations

from pathlib import Path

from paintseg_layers.amcp.segmenter import Segmenter
from paintseg_layers.cli.common import (
    IMAGE_SUFFIXES,
    add_backend_flags,
    add_prompt_flags,
    check_output,
    make_backends,
    make_config,
    prompt_from_args,
)
from paintseg_layers.imageio import read_image, write_image


def register(sub) -> None:
    p = sub.add_parser("remove", help="paint the prompted object out of the image", description=__doc__)
    p.add_argument("image", type=Path)
    add_prompt_flags(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="image to write (.png or .jpg)")
    p.add_argument("--mask-out", type=Path, default=None, help="also write the removed object's mask")
    add_backend_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:

    inputs = (args.image, args.mask, args.scribble)
    check_output(args.output, inputs=inputs, suffixes=IMAGE_SUFFIXES)
    if args.mask_out is not None:
        check_output(args.mask_out, "--mask-out", inputs=inputs, others=((args.output, "-o"),),
                     suffixes=IMAGE_SUFFIXES)
    image = read_image(args.image)
    prompt = prompt_from_args(args, image.shape[:2])
    painter, projector = make_backends(args)
    res = Segmenter(image, painter=painter, projector=projector, config=make_config(args),
                    progress=not args.no_progress).segment(prompt, seed=args.seed)
    write_image(args.output, res.painting)
    if args.mask_out is not None:
        write_image(args.mask_out, res.mask)
    print(f"wrote {args.output} (removed {int(res.mask.sum())} px, {res.seconds:.2f} s)")
    return 0
