"""Decompose every image of a folder with the batch API: resumable, one record per image.

    python recipes/batch.py [IMAGES_DIR] [--prompts FILE] [--out OUT_DIR] [--workers N] [--samples N]

A thin example of :func:`paintseg_layers.batch.run` (what ``paintseg batch`` wraps). The prompt
file holds ``--box X0 Y0 X1 Y1`` / ``--point X Y`` lines, one object per line, used for every
image; it is turned into the batch's JSON Lines prompts file. Each image ``NAME`` becomes the
layer folder ``OUT_DIR/layers/NAME/``; ``OUT_DIR/results.jsonl`` holds one record per image. A
rerun skips the images already finished with the same settings. Exit code 1 if any image failed.
"""

import argparse
import json
import sys
from pathlib import Path

from _common import EXAMPLES

from paintseg_layers import AMCPConfig
from paintseg_layers.batch import run
from paintseg_layers.batch.inputs import list_images
from paintseg_layers.prompts import read_prompt_file


def main(argv=None):
    p = argparse.ArgumentParser(prog="batch.py", description=__doc__.splitlines()[0])
    p.add_argument("folder", nargs="?", type=Path, default=EXAMPLES, help="folder of images (default examples/)")
    p.add_argument("--prompts", type=Path, default=EXAMPLES / "shapes.prompts", help="one prompt file for every image")
    p.add_argument("--out", type=Path, default=Path("out/batch"))
    p.add_argument("--workers", type=int, default=1, help="processes (outputs do not depend on it)")
    p.add_argument("--samples", type=int, default=None, help="painted samples per AMCP step")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    objects = [{"box": list(pr.box)} if pr.kind == "box" else {"points": [list(pr.positive[0])]}
               for pr in read_prompt_file(args.prompts)]
    args.out.mkdir(parents=True, exist_ok=True)
    prompts = args.out / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"image": path.name, "objects": objects}) + "\n"
                               for path in list_images(args.folder)))
    config = AMCPConfig() if args.samples is None else AMCPConfig(samples=args.samples)
    report = run(args.folder, args.out, task="decompose", prompts=prompts, config=config, workers=args.workers,
                 seed=args.seed)
    for rec in report.records:
        if rec["status"] != "ok":
            print(f"{rec['status']}: {rec['name']}: {rec['error']}")
    print(report.summary())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
