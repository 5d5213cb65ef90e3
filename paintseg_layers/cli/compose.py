"""``paintseg compose``: re-render a decomposition folder, rearranged by edits.

Edits given as flags apply in the order they appear on the command line, after those of
``--edits FILE`` (a JSON or TOML edit script; see ``paintseg_layers.compose.edits``).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from paintseg_layers.cli.common import IMAGE_SUFFIXES, check_output
from paintseg_layers.compose.apply import apply_edits
from paintseg_layers.compose.edits import Flip, Insert, Lower, Raise, Remove, Scale, Translate
from paintseg_layers.compose.render import render
from paintseg_layers.compose.script import load_edits, save_edits
from paintseg_layers.errors import InputError
from paintseg_layers.imageio import write_image
from paintseg_layers.layers.folder import check_target
from paintseg_layers.layers.model import Decomposition

#: Largest ``--feather`` sigma in px (the blur kernel grows with it).
MAX_FEATHER = 100.0


class _Ordered(argparse.Action):
    """Append ``(flag, values)`` to one shared list, keeping the command-line order of all edit flags."""

    def __call__(self, parser, namespace, values, option_string=None):
        items = list(getattr(namespace, "cli_edits", None) or [])
        items.append((option_string, list(values) if isinstance(values, list) else [values]))
        namespace.cli_edits = items


def register(sub) -> None:
    p = sub.add_parser("compose", help="re-render a decomposition with objects removed, moved, scaled, reordered",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("directory", type=Path, metavar="DIR", help="decomposition folder (with manifest.json)")
    g = p.add_argument_group("edits (repeatable, applied in command-line order)")
    g.add_argument("--remove", action=_Ordered, metavar="ID", help="delete a layer")
    g.add_argument("--move", action=_Ordered, nargs=3, metavar=("ID", "DX", "DY"),
                   help="translate a layer by DX, DY px")
    g.add_argument("--scale", action=_Ordered, nargs=2, metavar=("ID", "S"),
                   help="scale a layer by S about its box centre")
    g.add_argument("--flip", action=_Ordered, metavar="ID", help="mirror a layer left-right")
    g.add_argument("--front", action=_Ordered, metavar="ID", help="bring a layer in front of all others")
    g.add_argument("--back", action=_Ordered, metavar="ID", help="send a layer behind all others")
    g.add_argument("--insert", action=_Ordered, nargs=3, metavar=("OTHER_DIR:ID", "X", "Y"),
                   help="insert layer ID of another decomposition, its box's top-left at X, Y, in front")
    p.add_argument("--edits", type=Path, default=None, metavar="FILE",
                   help="edit script (.json or .toml), applied first")
    p.add_argument("--feather", default=None, metavar="SIGMA",
                   help="edge softening in px for every layer, 0..100 (default: soft edges on edited layers only; "
                        "0 = off)")
    p.add_argument("-o", "--output", type=Path, required=True, help="picture to write (.png, .jpg, .tif, .webp)")
    p.add_argument("--save-edits", type=Path, default=None, metavar="FILE",
                   help="also write all edits as a replayable script (.json or .toml)")
    p.add_argument("--save-decomposition", type=Path, default=None, metavar="DIR",
                   help="also save the edited decomposition folder")
    p.set_defaults(func=run, cli_edits=[])


def _number(text: str, flag: str, what: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"`{flag}` {what} must be a number, got {text!r}") from None
    if not math.isfinite(v):
        raise InputError(f"`{flag}` {what} must be a finite number, got {text!r}")
    return v


def edits_from_flags(items) -> list:
    """Edits from the ordered ``(flag, values)`` list collected by the parser."""

    out = []
    for flag, values in items:
        try:
            if flag == "--remove":
                out.append(Remove(values[0]))
            elif flag == "--move":
                out.append(Translate(values[0], _number(values[1], flag, "DX"), _number(values[2], flag, "DY")))
            elif flag == "--scale":
                factor = _number(values[1], flag, "S")
                if factor <= 0:
                    raise InputError(f"`--scale` S must be > 0, got {values[1]!r}")
                out.append(Scale(values[0], factor))
            elif flag == "--flip":
                out.append(Flip(values[0]))
            elif flag == "--front":
                out.append(Raise(values[0]))
            elif flag == "--back":
                out.append(Lower(values[0]))
            elif flag == "--insert":
                spec = values[0]
                folder, sep, lid = spec.rpartition(":")
                if not sep or not folder or not lid:
                    raise InputError(f"`--insert` needs OTHER_DIR:ID (a decomposition folder and a layer id), "
                                     f"got {spec!r}")
                out.append(Insert(folder, lid, _number(values[1], flag, "X"), _number(values[2], flag, "Y")))
        except InputError as exc:
            msg = str(exc)
            short = msg.split(": ", 1)[-1]
            raise InputError(msg if msg.startswith("`") else f"`{flag} {' '.join(values)}`: {short}") from None
    return out


def run(args) -> int:

    inputs = (args.edits,)
    check_output(args.output, inputs=inputs, suffixes=IMAGE_SUFFIXES)
    if args.save_edits is not None:
        check_output(args.save_edits, "--save-edits", inputs=inputs, others=((args.output, "-o"),),
                     suffixes=(".json", ".toml"))
    if args.save_decomposition is not None:  # checked before anything is written
        check_target(args.save_decomposition, name="--save-decomposition")
        if Path(args.save_decomposition).resolve() == Path(args.directory).resolve():
            raise InputError(f"`--save-decomposition` must not replace the input folder {args.directory}")
    feather = None if args.feather is None else _number(args.feather, "--feather", "SIGMA")
    if feather is not None and not 0 <= feather <= MAX_FEATHER:
        raise InputError(f"`--feather` SIGMA must lie in [0, {MAX_FEATHER}] px, got {args.feather!r}")
    edits = list(load_edits(args.edits)) if args.edits is not None else []
    edits += edits_from_flags(args.cli_edits)
    decomposition = Decomposition.load(args.directory)
    edited = apply_edits(decomposition, edits, feather=feather)
    picture = render(edited)
    write_image(args.output, picture)
    if args.save_edits is not None:
        save_edits(args.save_edits, edits)
    if args.save_decomposition is not None:
        edited.save(args.save_decomposition)
    print(f"wrote {args.output} ({len(edits)} edit{'s' if len(edits) != 1 else ''}, "
          f"{len(edited.layers)} layers: {', '.join(edited.order) or 'none'})")
    return 0
