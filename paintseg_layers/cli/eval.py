"""``paintseg eval``: scores and time on a folder of image/mask pairs, baselines in the same run.

Protocols (``--prompt``): ``box`` (ground-truth box), ``coarse`` (seeded degradation of the ground
truth), ``scribble`` (``--scribbles DIR``, default DATA_DIR/scribbles_set1, else generated) and
``clicks`` (simulated clicks, NoC@85/90; stops early once IoU 0.90 is reached after >= 5 clicks).
Per-image results are cached (``--cache``), so an interrupted run resumes and prints the same table.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from paintseg_layers import eval as evaluation
from paintseg_layers.cli.common import add_backend_flags, check_output, make_backends, make_config, positive_int
from paintseg_layers.errors import InputError
from paintseg_layers.eval.report import write_report
from paintseg_layers.imageio import write_text


def register(sub) -> None:
    p = sub.add_parser("eval", help="evaluate on DATA_DIR (images/, masks/, optional ignore/)", description=__doc__)
    p.add_argument("data_dir", type=Path, metavar="DATA_DIR")
    p.add_argument("--prompt", choices=list(evaluation.PROTOCOLS), default="box", help="prompt protocol (default box)")
    p.add_argument("--limit", type=positive_int, default=None, help="only the first N images")
    p.add_argument("--json", type=Path, default=None, help="write the numbers as JSON")
    p.add_argument("--scribbles", type=Path, default=None, metavar="DIR",
                   help="scribble maps for --prompt scribble (default DATA_DIR/scribbles_set1 if present, "
                   "else generated)")
    p.add_argument("--max-clicks", type=positive_int, default=None,
                   help="clicks protocol: at most N clicks (default 20)")
    p.add_argument("--sweep", default=None, metavar="NAME=V1,V2,...",
                   help="one row per value of an AMCP setting or backend, e.g. samples=1,2,3 or "
                   "painter=telea,patchmatch")
    p.add_argument("--report", type=Path, default=None, metavar="DIR", help="write DIR/summary.md and DIR/index.html")
    p.add_argument("--workers", type=positive_int, default=1, help="parallel processes over images (default 1)")
    p.add_argument("--cache", type=Path, default=None, metavar="DIR",
                   help="per-image result cache (default REPORT/cache, else beside --json, else .paintseg_cache/)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    add_backend_flags(p)
    p.set_defaults(func=run)


def _default_cache(args) -> Path:
    if args.report is not None:
        return args.report / "cache"
    if args.json is not None:
        return args.json.parent / ".paintseg_cache"
    return Path(".paintseg_cache")


def _check_flags(args) -> None:
    if args.json is not None:
        check_output(args.json, "--json")
    if args.report is not None and args.report.exists() and not args.report.is_dir():
        raise InputError(f"`--report` must be a folder, got a file: {args.report}")
    if args.max_clicks is not None and args.prompt != "clicks":
        raise InputError(f"`--max-clicks` applies to --prompt clicks only, got --prompt {args.prompt}")
    if args.scribbles is not None and args.prompt != "scribble":
        raise InputError(f"`--scribbles` applies to --prompt scribble only, got --prompt {args.prompt}")
    if args.scribbles is not None and not args.scribbles.is_dir():
        raise InputError(f"`--scribbles` must be a folder of scribble maps, got {args.scribbles}")


def run(args) -> int:
    _check_flags(args)
    fresh = args.report is not None and not args.report.exists()
    try:
        return _run(args)
    except BaseException:
        if fresh:  # a failed run leaves no half-written report folder (nor the cache it started in it)
            shutil.rmtree(args.report, ignore_errors=True)
        raise


def _run(args) -> int:
    evaluation.list_dataset(args.data_dir)  # a bad DATA_DIR is reported before the backends load
    painter, projector = make_backends(args)  # validates the backend flags before any work
    popts = {k: v for k, v in (("model", args.painter_model), ("device", args.device)) if v is not None}
    jopts = {k: v for k, v in (("model", args.projector_model), ("device", args.device)) if v is not None}
    report = evaluation.run(
        args.data_dir, args.prompt, limit=args.limit, config=make_config(args), painter=painter.name,
        projector=projector.name, painter_options=popts, projector_options=jopts, seed=args.seed,
        scribbles=args.scribbles, max_clicks=args.max_clicks, sweep=args.sweep, workers=args.workers,
        cache_dir=None if args.no_cache else (args.cache or _default_cache(args)), progress=not args.no_progress)
    text = evaluation.format_report(report)
    print(text)
    if args.json is not None:
        write_text(args.json, json.dumps(report.to_dict(), indent=1))
    if args.report is not None:
        args.report.mkdir(parents=True, exist_ok=True)
        write_report(args.report, text=text, protocol=args.prompt, samples=report.samples,
                     records=[r.to_dict() for r in report.gallery], masks_of=report.masks_of())
        print(f"wrote {args.report / 'summary.md'} and {args.report / 'index.html'}")
    return 0
