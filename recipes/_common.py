"""Small helpers shared by the recipes (not part of the library): paths, prompt files, flags, pictures."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def read_prompts(path, shape=None) -> list:
    """Object prompts from a prompt file: the ``paintseg decompose`` flags, one object per line.

    Lines look like ``--box X0 Y0 X1 Y1`` or ``--point X Y``; ``#`` starts a comment.
    """
    from paintseg_layers import BoxPrompt, PointPrompt

    prompts = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "--box" and len(words) == 5:
            prompts.append(BoxPrompt(tuple(float(v) for v in words[1:])))
        elif words[0] == "--point" and len(words) == 3:
            prompts.append(PointPrompt(((float(words[1]), float(words[2])),)))
        else:
            raise SystemExit(f"{path}:{n}: expected `--box X0 Y0 X1 Y1` or `--point X Y`, got {line!r}")
    return prompts


def add_backend_flags(p: argparse.ArgumentParser) -> None:
    """The flags that pick the backends (weight-free by default) and the effort."""
    g = p.add_argument_group("backends (defaults are weight-free; see the README for real weights)")
    g.add_argument("--painter", default=None, help="telea (default), ns, patchmatch, or diffusion")
    g.add_argument("--projector", default=None, help="lab (default), texture, dino or dinov2")
    g.add_argument("--painter-model", default=None, metavar="ID_OR_DIR", help="diffusers inpainting id or local folder")
    g.add_argument("--projector-model", default=None, metavar="ID_OR_DIR", help="DINO id or local folder")
    g.add_argument("--device", default=None, help="cuda, cpu, mps (neural backends only)")
    g.add_argument("--samples", type=int, default=None, help="painted samples per AMCP step (default: the library's, 5)")
    g.add_argument("--seed", type=int, default=0)


def backends(args):
    """``(painter, projector, config)`` from the flags of :func:`add_backend_flags`."""
    from paintseg_layers import AMCPConfig, get_painter, get_projector

    popts = {k: v for k, v in (("model", args.painter_model), ("device", args.device)) if v is not None}
    jopts = {k: v for k, v in (("model", args.projector_model), ("device", args.device)) if v is not None}
    if args.painter in (None, "telea", "ns", "patchmatch"):
        popts.pop("device", None)
    if args.projector in (None, "lab", "texture"):
        jopts.pop("device", None)
    config = AMCPConfig() if args.samples is None else AMCPConfig(samples=args.samples)
    return get_painter(args.painter, **popts), get_projector(args.projector, **jopts), config


def u8(image) -> np.ndarray:
    a = np.asarray(image)
    if a.dtype == np.uint8:
        return a
    return np.floor(np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)


def on_checkerboard(rgba, square: int = 8) -> np.ndarray:
    """An RGBA layer drawn over a grey checkerboard (uint8 RGB)."""
    rgba = np.asarray(rgba, np.float32)
    h, w = rgba.shape[:2]
    yy, xx = np.mgrid[:h, :w]
    board = np.where(((yy // square + xx // square) % 2)[..., None] == 0, 0.8, 0.6).astype(np.float32)
    a = rgba[..., 3:4]
    return u8(rgba[..., :3] * a + board * (1 - a))


def outline(image, mask, colour=(255, 40, 40), thickness: int = 2) -> np.ndarray:
    """``image`` (uint8 RGB) with ``mask``'s outline drawn."""
    out = np.ascontiguousarray(u8(image).copy())
    contours, _ = cv2.findContours(np.asarray(mask, np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, contours, -1, colour, thickness)
    return out


def panel(images, labels, *, gap: int = 6) -> np.ndarray:
    """Pictures side by side (same height) with a caption strip above each; uint8 RGB."""
    h = max(np.asarray(i).shape[0] for i in images)
    tiles = []
    for img, text in zip(images, labels):
        img = u8(img)
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
    """Write a uint8/float RGB(A) picture; ``.jpg`` gets quality 88."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kw = {"quality": 88} if path.suffix.lower() in (".jpg", ".jpeg") else {"optimize": True}
    Image.fromarray(u8(image)).save(path, **kw)
    return path


def add_decompose_flags(p: argparse.ArgumentParser, image: str = "shapes.png") -> None:
    """IMAGE (default an example), --prompts FILE (default IMAGE with .prompts), --out, backend flags."""
    p.add_argument("image", nargs="?", type=Path, default=EXAMPLES / image)
    p.add_argument("--prompts", type=Path, default=None,
                   help="prompt file, one `--box X0 Y0 X1 Y1` or `--point X Y` per object (default: IMAGE.prompts)")
    p.add_argument("--out", type=Path, default=Path("out") / Path(p.prog).stem)
    add_backend_flags(p)


def decompose_from_args(args):
    """``(image, decomposition)`` for IMAGE and its prompt file, with the chosen backends."""
    from paintseg_layers import read_image
    from paintseg_layers.peel import decompose

    image = read_image(args.image)
    prompts = read_prompts(args.prompts or args.image.with_suffix(".prompts"))
    painter, projector, config = backends(args)
    dec = decompose(image, prompts, painter=painter, projector=projector, config=config, seed=args.seed)
    return image, dec
