"""``paintseg segment``: one object's mask from a prompt."""

from __future__ import annotations

import json
from dataclasses import replace
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
from paintseg_layers.errors import InputError
from paintseg_layers.imageio import read_image, write_image, write_text
from paintseg_layers.jsonable import without_timings
from paintseg_layers.viz import draw_overlay


def register(sub) -> None:
    p = sub.add_parser("segment", help="segment one object from a prompt", description=__doc__)
    p.add_argument("image", type=Path)
    add_prompt_flags(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="mask PNG to write (255 = object)")
    p.add_argument("--overlay", type=Path, default=None, help="also write the mask drawn over the image")
    p.add_argument("--soft", type=Path, default=None, help="also write the soft mask (vote fraction) as PNG")
    p.add_argument("--json", type=Path, default=None, help="also write a JSON summary (seed, config, steps)")
    add_backend_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:

    if args.output.suffix.lower() != ".png":
        raise InputError(f"`-o` must be a .png file (masks are lossless), got {args.output.name!r}")
    outputs = ((args.output, "-o"), (args.overlay, "--overlay"), (args.soft, "--soft"), (args.json, "--json"))
    inputs = (args.image, args.mask, args.scribble)
    for k, (path, flag) in enumerate(outputs):
        if path is not None:
            check_output(path, flag, inputs=inputs, others=outputs[:k],
                         suffixes=(".json",) if flag == "--json" else IMAGE_SUFFIXES)
    image = read_image(args.image)
    prompt = prompt_from_args(args, image.shape[:2])
    painter, projector = make_backends(args)
    cfg = replace(make_config(args), paint_result=False)  # a mask needs no object-free painting
    res = Segmenter(image, painter=painter, projector=projector, config=cfg,
                    progress=not args.no_progress).segment(prompt, seed=args.seed)
    write_image(args.output, res.mask)
    if args.overlay is not None:
        write_image(args.overlay, draw_overlay(image, res.mask, prompt))
    if args.soft is not None:
        write_image(args.soft, res.soft)
    if args.json is not None:
        write_text(args.json, json.dumps(without_timings(res.to_dict()), indent=2))  # same seed, same bytes
    print(f"wrote {args.output} ({int(res.mask.sum())} px object, {res.seconds:.2f} s)")
    return 0
