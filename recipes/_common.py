"""Small helpers shared by the recipes (not part of the library): paths, the CLI's flags, picture panels."""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from paintseg_layers.cli.common import add_backend_flags, make_backends, make_config
from paintseg_layers.image import to_uint8
from paintseg_layers.imageio import read_image, write_image
from paintseg_layers.peel import decompose
from paintseg_layers.prompts import read_prompt_file
from paintseg_layers.viz import checkerboard

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def on_checkerboard(rgba, square: int = 8) -> np.ndarray:
    """An RGBA layer drawn over a grey checkerboard (uint8 RGB)."""
    rgba = np.asarray(rgba, np.float32)
    a = rgba[..., 3:4]
    return to_uint8(rgba[..., :3] * a + checkerboard(rgba.shape[:2], square=square) * (1 - a))


def outline(image, mask, colour=(255, 40, 40), thickness: int = 2) -> np.ndarray:
    """``image`` (uint8 RGB) with ``mask``'s outline drawn."""
    out = np.ascontiguousarray(to_uint8(image).copy())
    contours, _ = cv2.findContours(np.asarray(mask, np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, contours, -1, colour, thickness)
    return out


def panel(images, labels, *, gap: int = 6) -> np.ndarray:
    """Pictures side by side (same height) with a caption strip above each; uint8 RGB."""
    h = max(np.asarray(i).shape[0] for i in images)
    tiles = []
    for img, text in zip(images, labels):
        img = to_uint8(img)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        if img.shape[0] != h:
            img = cv2.resize(img, (round(img.shape[1] * h / img.shape[0]), h), interpolation=cv2.INTER_AREA)
        strip = np.full((24, img.shape[1], 3), 255, np.uint8)
        cv2.putText(strip, text, (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (20, 20, 20), 1, cv2.LINE_AA)
        tiles.append(np.concatenate([strip, img[..., :3]], axis=0))
        tiles.append(np.full((h + 24, gap, 3), 255, np.uint8))
    return np.concatenate(tiles[:-1], axis=1)


def save(path, image) -> Path:
    """Write a uint8/float RGB(A) picture (folders created); ``.jpg`` gets quality 88."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_image(path, to_uint8(image), quality=88 if path.suffix.lower() in (".jpg", ".jpeg") else None)


def add_decompose_flags(p: argparse.ArgumentParser, image: str = "shapes.png") -> None:
    """IMAGE (default an example), --prompts FILE (default IMAGE with .prompts), --out, backend flags."""
    p.add_argument("image", nargs="?", type=Path, default=EXAMPLES / image)
    p.add_argument("--prompts", type=Path, default=None,
                   help="prompt file, one `--box X0 Y0 X1 Y1` or `--point X Y` per object (default: IMAGE.prompts)")
    p.add_argument("--out", type=Path, default=Path("out") / Path(p.prog).stem)
    add_backend_flags(p)


def decompose_from_args(args):
    """``(image, decomposition)`` for IMAGE and its prompt file, with the chosen backends."""
    image = read_image(args.image)
    prompts = read_prompt_file(args.prompts or args.image.with_suffix(".prompts"))
    painter, projector, config = backends(args)
    dec = decompose(image, prompts, painter=painter, projector=projector, config=config, seed=args.seed)
    return image, dec


def backends(args):
    """``(painter, projector, AMCP config)`` from the CLI's shared backend flags."""
    return (*make_backends(args), make_config(args))
