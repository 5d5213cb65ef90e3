"""Decompose every image of a folder with one prompt file, with a progress bar, skipping finished ones.

    python recipes/batch.py IMAGES_DIR --prompts FILE --out OUT_DIR [paintseg decompose flags]

Each image ``name.ext`` becomes the decomposition folder ``OUT_DIR/name/`` (layers, plate, graph,
``manifest.json``, ``contact_sheet.png``). An image whose ``OUT_DIR/name/manifest.json`` exists is
skipped, so an interrupted run picks up where it stopped (folders are written atomically, so a
half-written one never counts as finished); ``--force`` redoes everything. Images that fail (e.g. a
box outside a smaller image) are reported and the run goes on; the exit code is 1 if any failed.
The prompt file holds ``paintseg decompose`` flags, one object per line (``--box X0 Y0 X1 Y1`` or
``--point X Y``), the same for every image; this runs ``paintseg decompose`` in-process per image,
so any of its flags can be added (e.g. ``--samples 2``, or ``--painter diffusion --device cuda --projector dino``).
"""

import argparse
import shlex
import sys
from pathlib import Path

from _common import EXAMPLES

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"}


def main(argv=None):
    p = argparse.ArgumentParser(prog="batch.py", description=__doc__.splitlines()[0])
    p.add_argument("folder", nargs="?", type=Path, default=EXAMPLES, help="folder of images (default examples/)")
    p.add_argument("--prompts", type=Path, default=EXAMPLES / "shapes.prompts", help="one prompt file for every image")
    p.add_argument("--out", type=Path, default=Path("out/batch"))
    p.add_argument("--pattern", default="*", help="glob for the image names (default *)")
    p.add_argument("--force", action="store_true", help="redo images that are already finished")
    args, extra = p.parse_known_args(argv)  # anything else goes to `paintseg decompose`

    from tqdm.auto import tqdm

    from paintseg_layers.cli import main as paintseg

    flags = [w for line in args.prompts.read_text().splitlines() for w in shlex.split(line, comments=True)]
    images = sorted(f for f in args.folder.glob(args.pattern) if f.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        sys.exit(f"no images in {args.folder} matching {args.pattern!r}")
    args.out.mkdir(parents=True, exist_ok=True)
    done = skipped = 0
    failed = []
    bar = tqdm(images, unit="image")
    for path in bar:
        bar.set_postfix_str(path.name)
        target = args.out / path.stem
        if (target / "manifest.json").exists() and not args.force:
            skipped += 1
            continue
        code = paintseg(["decompose", str(path), *flags, "-o", str(target), "--no-progress", *extra])
        if code == 0:
            done += 1
        else:
            failed.append(path.name)
    print(f"{done} decomposed, {skipped} skipped (already finished), {len(failed)} failed"
          + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
