"""``paintseg eval``: scores and time on a folder of image/mask pairs, baselines in the same run.

Protocols (``--prompt``): ``box`` (ground-truth box), ``coarse`` (seeded degradation of the ground
truth), ``scribble`` (``--scribbles DIR``, default DATA_DIR/scribbles_set1, else generated) and
``clicks`` (simulated clicks, NoC@85/90; stops early once IoU 0.90 is reached after >= 5 clicks).
Per-image results are cached (``--cache``), so an interrupted run resumes and prints the same table.
"""

from __future__ import annotations

import json
from pathlib import Path

from paintseg_layers.cli.common import add_backend_flags, check_output, make_backends, make_config, positive_int
from paintseg_layers.errors import InputError
from paintseg_layers.eval.evaluate import (
    PROMPT_METHOD,
    PROTOCOL_METHODS,
    EvalSpec,
    cache_paths,
    format_sweep_table,
    format_table,
    list_dataset,
    merge_records,
    parse_sweep,
    run_jobs,
    summarise,
    sweep_specs,
)
from paintseg_layers.eval.report import write_report
from paintseg_layers.imageio import write_text


def register(sub) -> None:
    p = sub.add_parser("eval", help="evaluate on DATA_DIR (images/, masks/, optional ignore/)", description=__doc__)
    p.add_argument("data_dir", type=Path, metavar="DATA_DIR")
    p.add_argument("--prompt", choices=["box", "coarse", "scribble", "clicks"], default="box",
                   help="prompt protocol (default box)")
    p.add_argument("--limit", type=positive_int, default=None, help="only the first N images")
    p.add_argument("--json", type=Path, default=None, help="write the numbers as JSON")
    p.add_argument("--scribbles", type=Path, default=None, metavar="DIR",
                   help="scribble maps for --prompt scribble (default DATA_DIR/scribbles_set1 if present, else generated)")
    p.add_argument("--max-clicks", type=positive_int, default=None, help="clicks protocol: at most N clicks (default 20)")
    p.add_argument("--sweep", default=None, metavar="NAME=V1,V2,...",
                   help="one row per value of an AMCP setting or backend, e.g. samples=1,2,3 or painter=telea,patchmatch")
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


def run(args) -> int:

    if args.json is not None:
        check_output(args.json, "--json")
    if args.report is not None and args.report.exists() and not args.report.is_dir():
        raise InputError(f"`--report` must be a folder, got a file: {args.report}")
    if args.max_clicks is not None and args.prompt != "clicks":
        raise InputError(f"`--max-clicks` applies to --prompt clicks only, got --prompt {args.prompt}")
    if args.scribbles is not None and args.prompt != "scribble":
        raise InputError(f"`--scribbles` applies to --prompt scribble only, got --prompt {args.prompt}")
    samples = list_dataset(args.data_dir, limit=args.limit)
    painter, projector = make_backends(args)  # validates the backend flags before any work
    cfg = make_config(args)
    scribbles = None
    if args.prompt == "scribble":
        scribbles = args.scribbles if args.scribbles is not None else args.data_dir / "scribbles_set1"
        if args.scribbles is not None and not scribbles.is_dir():
            raise InputError(f"`--scribbles` must be a folder of scribble maps, got {scribbles}")
        scribbles = str(scribbles) if scribbles.is_dir() else None
    popts = {k: v for k, v in (("model", args.painter_model), ("device", args.device)) if v is not None}
    jopts = {k: v for k, v in (("model", args.projector_model), ("device", args.device)) if v is not None}
    base = EvalSpec(args.prompt, PROTOCOL_METHODS[args.prompt], cfg.to_dict(), painter.name, projector.name,
                    popts, jopts, args.seed, scribbles=scribbles,
                    max_clicks=args.max_clicks if args.max_clicks is not None else 20)
    cache = None if args.no_cache else (args.cache or _default_cache(args))
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    pm = PROMPT_METHOD[args.prompt]
    where = f"scribbles {Path(scribbles).name if scribbles else 'generated'}, " if args.prompt == "scribble" else ""
    if args.prompt == "clicks":
        where = f"max {base.max_clicks} clicks (stop at IoU 0.90 after >= {base.min_clicks}), "
    title = (f"{len(samples)} images, prompt {args.prompt}, {where}working size {cfg.working_size} px (long side), "
             f"painter {painter.name}, projector {projector.name}, N={cfg.samples}, steps {cfg.steps}, seed {args.seed}")

    if args.sweep is None:
        jobs = [(s, base) for s in samples]
        rows = run_jobs(jobs, workers=args.workers, cache_dir=cache, progress=not args.no_progress)
        table = summarise(rows, PROTOCOL_METHODS[args.prompt], prompt_method=pm)
        text = format_table(table, title=title, prompt_method=pm)
        payload = {"config": cfg.to_dict(), "spec": base.key_dict(), "methods": table, "images": rows}
        gallery_rows = rows
    else:
        name, values = parse_sweep(args.sweep)
        bspec, specs = sweep_specs(base, name, values)
        jobs = [(s, bspec) for s in samples] + [(s, sp) for sp in specs for s in samples]
        recs = run_jobs(jobs, workers=args.workers, cache_dir=cache, progress=not args.no_progress)
        n = len(samples)
        base_rows = recs[:n]
        per_value = {sp.label.split("=", 1)[1]: recs[n * (i + 1): n * (i + 2)] for i, sp in enumerate(specs)}
        sweep = {v: summarise(r, PROTOCOL_METHODS[args.prompt], prompt_method=pm) for v, r in per_value.items()}
        btable = summarise(base_rows, PROTOCOL_METHODS[args.prompt], prompt_method=pm)
        title = title.replace(f"N={cfg.samples}", f"sweep {name}" if name == "samples" else f"N={cfg.samples}, sweep {name}")
        text = (format_sweep_table(sweep, name=name, title=title) + "\n\nbaselines (independent of the sweep)\n"
                + format_table(btable, prompt_method=pm))
        first = next(iter(per_value.values()))
        gallery_rows = merge_records(base_rows, first)
        payload = {"config": cfg.to_dict(), "spec": base.key_dict(), "sweep": {"name": name, "values": list(values)},
                   "methods": {**btable, **{f"{m} ({name}={v})": r for v, t in sweep.items() for m, r in t.items()}},
                   "sweep_tables": sweep, "images": merge_records(base_rows, *per_value.values()),
                   "images_by_value": per_value}
    print(text)
    if args.json is not None:

        write_text(args.json, json.dumps(payload, indent=1))
    if args.report is not None:

        args.report.mkdir(parents=True, exist_ok=True)
        first_spec = base if args.sweep is None else specs[0]
        masks_of = {s.name: _masks_path(cache, s, first_spec) for s in samples}
        write_report(args.report, text=text, protocol=args.prompt, samples=samples, records=gallery_rows,
                     masks_of=masks_of)
        print(f"wrote {args.report / 'summary.md'} and {args.report / 'index.html'}")
    return 0


def _masks_path(cache, sample, spec):

    if cache is None:
        return None
    p = cache_paths(cache, sample, spec)[1]
    return p if p.is_file() else None
