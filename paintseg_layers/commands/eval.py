"""``paintseg eval``: mean IoU and time on a folder of image/mask pairs, baselines in the same run."""

from __future__ import annotations

import json
from pathlib import Path

from .common import add_backend_flags, check_output, positive_int


def register(sub) -> None:
    p = sub.add_parser("eval", help="evaluate on DATA_DIR (images/, masks/, optional ignore/)", description=__doc__)
    p.add_argument("data_dir", type=Path, metavar="DATA_DIR")
    p.add_argument("--prompt", choices=["box"], default="box", help="prompt protocol (default box)")
    p.add_argument("--limit", type=positive_int, default=None, help="only the first N images")
    p.add_argument("--json", type=Path, default=None, help="write the numbers as JSON")
    add_backend_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from tqdm.auto import tqdm

    from ..evaluate import BOX_METHODS, evaluate_box_image, format_table, list_dataset, summarise
    from .common import make_backends, make_config

    if args.json is not None:
        check_output(args.json, "--json")
    samples = list_dataset(args.data_dir, limit=args.limit)
    painter, projector = make_backends(args)
    cfg = make_config(args)
    rows = []
    for s in tqdm(samples, desc="eval", unit="img", disable=args.no_progress):
        rows.append(evaluate_box_image(s, config=cfg, painter=painter, projector=projector, seed=args.seed))
    table = summarise(rows, BOX_METHODS)
    title = (f"{len(rows)} images, prompt {args.prompt}, working size {cfg.working_size} px (long side), "
             f"painter {painter.name}, projector {projector.name}, N={cfg.samples}, steps {cfg.steps}, seed {args.seed}")
    print(format_table(table, title=title))
    if args.json is not None:
        from ..imageio import write_text

        write_text(args.json, json.dumps({"config": cfg.to_dict(), "methods": table, "images": rows}, indent=1))
    return 0
