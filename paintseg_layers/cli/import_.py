"""``paintseg import``: read a layered .ora or .psd file back into a decomposition folder.

The bottom visible layer is the background plate (it must be opaque); every other visible layer
is an object, named by its layer name, in the file's stacking order. Hidden layers are skipped.
Visible masks, the occlusion graph and prompt indices are rebuilt from the pixels and the order.
"""

from __future__ import annotations

from pathlib import Path

from paintseg_layers.io import import_decomposition
from paintseg_layers.layers.folder import check_target


def register(sub) -> None:
    p = sub.add_parser("import", help="read a layered .ora or .psd file into a decomposition folder",
                       description=__doc__)
    p.add_argument("file", type=Path, metavar="FILE", help="layered file (.ora or .psd; detected from its content)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="decomposition folder to write")
    p.set_defaults(func=run)


def run(args) -> int:

    check_target(args.output, name="-o")
    decomposition = import_decomposition(args.file)
    decomposition.save(args.output)
    print(f"wrote {args.output} ({len(decomposition.layers)} layers: {', '.join(decomposition.order) or 'none'})")
    return 0
