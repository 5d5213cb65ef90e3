"""``paintseg decompose``: peel an image into amodal layers, a background plate and an occlusion graph.

One prompt per object, repeatable: ``--box X0 Y0 X1 Y1`` (each box one object), ``--point X Y``
(each click one object) or ``--mask FILE`` (each mask one object). Prompts are numbered in the
order boxes, then points, then masks, each group in command-line order; that number is the layer's
``prompt_index`` in ``DIR/manifest.json``. With no prompts, objects are discovered automatically
(at most ``--max-objects``); ``--discover`` also discovers objects beside the given prompts.
"""

from __future__ import annotations

from pathlib import Path

from paintseg_layers.cli.common import add_backend_flags, bounded_int, make_backends, make_config
from paintseg_layers.errors import InputError
from paintseg_layers.imageio import read_image, read_mask
from paintseg_layers.layers.folder import check_target
from paintseg_layers.peel import decompose
from paintseg_layers.peel.config import AMODAL_MODES, PeelConfig
from paintseg_layers.prompts import BoxPrompt, MaskPrompt, PointPrompt

#: Upper bound of ``--max-objects``.
MAX_OBJECTS = 50


def register(sub) -> None:
    p = sub.add_parser("decompose", help="peel the prompted objects into amodal layers + background",
                       description=__doc__)
    p.add_argument("image", type=Path)
    g = p.add_argument_group("prompts (one per object, repeatable)")
    g.add_argument("--box", nargs=4, type=float, action="append", metavar=("X0", "Y0", "X1", "Y1"),
                   help="box around one object's visible part (pixels; x1, y1 exclusive)")
    g.add_argument("--point", nargs=2, type=float, action="append", metavar=("X", "Y"), help="a click on one object")
    g.add_argument("--mask", type=Path, action="append", help="coarse mask file of one object (non-zero = object)")
    g.add_argument("--discover", action="store_true", help="also discover objects beyond the given prompts")
    g.add_argument("--max-objects", type=bounded_int(0, MAX_OBJECTS), default=None, metavar="K",
                   help=f"at most K discovered objects, 0..{MAX_OBJECTS} (default 5)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="decomposition folder to write")
    p.add_argument("--amodal", choices=AMODAL_MODES, default=None,
                   help="hidden-part recovery: shape (continue the visible contour; default), paint (re-segment "
                        "on the painting), nearest (no-painter control), none")
    p.add_argument("--hand-order", action="store_true",
                   help="order the layers by the hand-made boundary cues alone, without the learnt ownership cue "
                        "(PeelConfig.learnt_cue = 0)")
    p.add_argument("--merge-duplicates", action="store_true",
                   help="merge prompts that name the same object instead of failing")
    p.add_argument("--no-contact-sheet", action="store_true", help="skip contact_sheet.png")
    add_backend_flags(p)
    p.set_defaults(func=run)


def prompts_from_args(args, shape) -> list:
    """Every object prompt named by the flags (boxes, then points, then masks)."""

    prompts = [BoxPrompt(tuple(b)) for b in args.box or ()]
    prompts += [PointPrompt((tuple(pt),)) for pt in args.point or ()]
    prompts += [MaskPrompt(read_mask(m, shape=shape, name="mask")) for m in args.mask or ()]
    if not prompts and not getattr(args, "allow_empty", False):
        raise InputError("give at least one object prompt (--box, --point or --mask, each repeatable), got none")
    return prompts


def run(args) -> int:

    out = Path(args.output)
    check_target(out, name="-o")  # refused before any work: a file, a foreign folder, no permission
    image = read_image(args.image)
    args.allow_empty = True  # no prompts: discover objects
    prompts = prompts_from_args(args, image.shape[:2])
    painter, projector = make_backends(args)
    opts = {"amcp": make_config(args)}
    if args.amodal is not None:
        opts["amodal"] = args.amodal
    if args.merge_duplicates:
        opts["duplicates"] = "merge"
    if args.hand_order:
        opts["learnt_cue"] = 0.0
    if prompts and not args.discover:
        dec = decompose(image, prompts, painter=painter, projector=projector, config=PeelConfig(**opts), seed=args.seed,
                        progress=not args.no_progress)
    else:
        opts.setdefault("duplicates", "merge")
        dec = decompose(image, prompts, discover=True,
                        max_objects=5 if args.max_objects is None else args.max_objects, painter=painter,
                        projector=projector, config=PeelConfig(**opts), seed=args.seed, progress=not args.no_progress)
    dec.save(out, contact_sheet=not args.no_contact_sheet)
    for layer in dec.layers:
        s = layer.scores
        front = sorted(dec.graph.predecessors(layer.id))
        note = " EMPTY (no object found)" if s.get("empty") else ""
        print(f"{layer.id} depth {layer.depth} prompt {layer.prompt_index}: visible {s['visible_area']} px, "
              f"amodal {s['amodal_area']} px (hidden {100 * s['hidden_fraction']:.0f}%), "
              f"behind {', '.join(front) if front else 'nothing'}{note}")
    print(f"wrote {out} ({len(dec.layers)} layers, background, graph, manifest.json)")
    return 0
