"""``paintseg export``: write a decomposition folder as a layered OpenRaster or Photoshop file.

One named layer per object (name = layer id), front-most on top, at its original position,
above an opaque layer named ``background``.
"""

from __future__ import annotations

from pathlib import Path

from paintseg_layers.cli.common import check_output
from paintseg_layers.errors import InputError
from paintseg_layers.io import export_decomposition
from paintseg_layers.layers.model import Decomposition


def register(sub) -> None:
    p = sub.add_parser("export", help="write a decomposition as a layered .ora or .psd file", description=__doc__)
    p.add_argument("directory", type=Path, metavar="DIR", help="decomposition folder (with manifest.json)")
    p.add_argument("--format", choices=("ora", "psd"), default=None,
                   help="file format (default: from the suffix of -o)")
    p.add_argument("-o", "--output", type=Path, required=True, help="file to write (.ora or .psd)")
    p.add_argument("--crop", action="store_true", help="store object layers cropped to their content (smaller files)")
    p.set_defaults(func=run)


def run(args) -> int:

    check_output(args.output, inputs=(args.directory,))
    suffix = args.output.suffix.lower().lstrip(".")
    fmt = args.format or suffix
    if fmt not in ("ora", "psd"):
        raise InputError(f"`--format` must be ora or psd (or -o must end in .ora/.psd), got -o {args.output.name!r}")
    if suffix != fmt:
        raise InputError(f"`-o` must end in .{fmt} for --format {fmt}, got {args.output.name!r}")
    decomposition = Decomposition.load(args.directory)
    export_decomposition(decomposition, args.output, format=fmt, crop=args.crop)
    print(f"wrote {args.output} ({fmt}, {len(decomposition.layers)} object layers + background)")
    return 0
