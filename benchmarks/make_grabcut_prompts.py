"""Write a ``paintseg batch`` prompts file with the ground-truth box of every GrabCut image.

    python benchmarks/make_grabcut_prompts.py [DATA_DIR] [-o prompts.jsonl]

The box of an image is the bounding box of its ground-truth mask (``masks/NAME.*``, 255 = object;
x1, y1 exclusive), exactly as ``paintseg eval --prompt box`` builds it (the ``ignore/`` band is not
used). One JSON line per image: ``{"image": "NAME.jpg", "objects": [{"box": [x0, y0, x1, y1]}]}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from paintseg_layers import read_image, read_mask
from paintseg_layers.eval import list_dataset
from paintseg_layers.imageio import write_text
from paintseg_layers.masks import bbox

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "grabcut"


def prompt_lines(data_dir, limit: int | None = None) -> list[str]:
    """One JSON line per image/mask pair of ``data_dir``, sorted by name."""
    lines = []
    for sample in list_dataset(data_dir, limit=limit):
        shape = read_image(sample.image).shape[:2]
        box = bbox(read_mask(sample.mask, shape=shape, name=f"mask of {sample.name}"))
        if box is None:
            raise SystemExit(f"the ground-truth mask of {sample.name} is empty")
        lines.append(json.dumps({"image": sample.image.name, "objects": [{"box": [int(v) for v in box]}]}))
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="make_grabcut_prompts.py", description=__doc__.splitlines()[0])
    p.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="folder with images/ and masks/")
    p.add_argument("-o", "--output", type=Path, default=Path("grabcut_boxes.jsonl"))
    p.add_argument("--limit", type=int, default=None, help="only the first N images (by name)")
    args = p.parse_args(argv)
    lines = prompt_lines(args.data, args.limit)
    write_text(args.output, "\n".join(lines) + "\n")
    print(f"wrote {args.output} ({len(lines)} images)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
