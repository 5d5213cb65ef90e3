"""``paintseg batch``: segment, remove or decompose every image of a folder, resumably, on local processes or Ray.

INPUT is a folder of images or a text file of image paths. ``--prompts`` is a JSON Lines file, one
image per line: ``{"image": "a.jpg", "objects": [{"box": [x0, y0, x1, y1]}, {"points": [[x, y]]},
{"mask": "a_mask.png"}]}``. Outputs go to OUT/masks/NAME.png, OUT/removed/NAME.png or
OUT/layers/NAME/, one record per image to OUT/results.jsonl. Rerunning the same command skips
every image already finished with the same settings. Exit code 1 when any image failed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.batch import ENGINES, TASKS
from paintseg_layers.batch import run as run_batch
from paintseg_layers.cli.common import add_backend_flags, backend_options, make_config, positive_int
from paintseg_layers.errors import InputError
from paintseg_layers.peel import PeelConfig
from paintseg_layers.peel.config import AMODAL_MODES


def _nonneg_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not v >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {v}")
    return v


def register(sub) -> None:
    p = sub.add_parser("batch", help="run segment/remove/decompose over many images (local processes or Ray)",
                       description=__doc__)
    p.add_argument("input", type=Path, metavar="INPUT", help="folder of images, or a text file of image paths")
    p.add_argument("--task", choices=sorted(TASKS), required=True, help="what to do to each image")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT", help="output folder")
    p.add_argument("--prompts", type=Path, default=None, metavar="FILE", help="JSON Lines prompts file (see above)")
    p.add_argument("--discover", action="store_true",
                   help="discover objects in images without prompts (decompose: also beside the given ones)")
    p.add_argument(
        "--max-objects", type=positive_int, default=5, metavar="K", help="at most K discovered objects (default 5)"
    )
    p.add_argument(
        "--amodal", choices=AMODAL_MODES, default=None, help="decompose: hidden-part recovery"
    )
    p.add_argument("--hand-order", action="store_true",
                   help="decompose: order the layers by the hand-made boundary cues alone (no learnt ownership cue)")
    p.add_argument("--contact-sheet", action="store_true", help="decompose: also draw each folder's contact_sheet.png")
    g = p.add_argument_group("engine")
    g.add_argument("--engine", choices=ENGINES, default="local", help="local processes (default) or a Ray cluster")
    g.add_argument("--workers", type=positive_int, default=1, help="processes or Ray actors (default 1)")
    g.add_argument(
        "--address", default=None, help="Ray cluster to join: auto, or ray://HOST:PORT (default: a local Ray)"
    )
    g.add_argument("--num-gpus", type=_nonneg_float, default=0, help="GPUs per Ray actor, e.g. 1 or 0.5 (default 0)")
    add_backend_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.address and args.engine != "ray":
        raise InputError(f"`--address` joins a Ray cluster and needs `--engine ray`, got --engine {args.engine}")
    backends = backend_options(args)
    amcp: AMCPConfig = make_config(args)
    config = amcp
    if args.task == "decompose":
        config = PeelConfig(amcp=amcp, **({"amodal": args.amodal} if args.amodal else {}),
                            **({"learnt_cue": 0.0} if args.hand_order else {}))
    elif args.amodal or args.contact_sheet or args.hand_order:
        raise InputError(f"`--amodal`, `--hand-order` and `--contact-sheet` apply to --task decompose, got --task "
                         f"{args.task}")
    report = run_batch(args.input, args.output, task=args.task, prompts=args.prompts, discover=args.discover,
                       engine=args.engine, workers=args.workers, address=args.address, num_gpus=args.num_gpus,
                       **backends,
                       config=config, seed=args.seed, max_objects=args.max_objects, contact_sheet=args.contact_sheet,
                       progress=not args.no_progress)
    failed = [r for r in report.records if r["status"] == "failed"]
    for r in failed[:10]:
        print(f"failed: {r['name']}: {r['error']}")
    if len(failed) > 10:
        print(f"... and {len(failed) - 10} more failed (see {report.results})")
    print(report.summary())
    return 1 if failed else 0
