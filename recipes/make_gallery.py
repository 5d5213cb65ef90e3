"""Regenerate every picture of the README's gallery into docs/gallery/ (one command).

    python recipes/make_gallery.py            # or: make gallery

Runs each recipe on the shipped examples with its defaults (weight-free backends, seed 0) and
copies its before/after picture into ``docs/gallery/``. ``--samples N`` passes a lower effort to
every recipe (quicker, slightly different pictures).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: recipe -> (picture it writes, name in docs/gallery)
GALLERY = {
    "remove_object.py": [("before_after.jpg", "remove_object.jpg")],
    "move_and_reinsert.py": [("before_after.jpg", "move_and_reinsert.jpg"),
                             ("decomposition/contact_sheet.png", "decompose_contact_sheet.jpg")],
    "swap_depth.py": [("before_after.jpg", "swap_depth.jpg")],
    "into_another_photo.py": [("before_after.jpg", "into_another_photo.jpg")],
    "amodal_completion.py": [("amodal.jpg", "amodal_completion.jpg")],
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery")
    p.add_argument("--samples", type=int, default=None)
    args = p.parse_args(argv)

    from PIL import Image

    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")  # small BLAS calls are much faster single-threaded
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for recipe, pictures in GALLERY.items():
            t0 = time.perf_counter()
            work = Path(tmp) / Path(recipe).stem
            cmd = [sys.executable, str(HERE / recipe), "--out", str(work)]
            if args.samples is not None:
                cmd += ["--samples", str(args.samples)]
            subprocess.run(cmd, check=True, env=env, cwd=ROOT)
            for src, dst in pictures:
                Image.open(work / src).convert("RGB").save(args.out / dst, quality=88)
            print(f"{recipe}: {time.perf_counter() - t0:.1f} s -> {', '.join(d for _, d in pictures)}", flush=True)
    print(f"gallery written to {args.out}")


if __name__ == "__main__":
    main()
