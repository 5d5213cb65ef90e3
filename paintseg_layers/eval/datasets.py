"""Evaluation data sets: a folder of ``images/``, ``masks/`` (255 = object) and optional ``ignore/``
(255 = left out of the score), paired by file stem; or a multi-object one whose ``instances.csv`` pairs each image
with several masks and their box prompts (:func:`list_frames`)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from paintseg_layers.errors import InputError
from paintseg_layers.imageio import read_image, read_mask

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class Sample:
    """One image of a data set: its name (file stem) and the paths of its files."""

    name: str
    image: Path
    mask: Path
    ignore: Path | None


def list_dataset(root, *, limit: int | None = None) -> list[Sample]:
    """Image/mask pairs under ``root`` sorted by stem (the first ``limit`` only, when given)."""
    root = Path(root)
    if not (root / "images").is_dir() or not (root / "masks").is_dir():
        raise InputError(f"`DATA_DIR` must contain images/ and masks/ folders, got {root}")
    masks = {p.stem: p for p in (root / "masks").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    ignores = {}
    if (root / "ignore").is_dir():
        ignores = {p.stem: p for p in (root / "ignore").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    samples = [
        Sample(p.stem, p, masks[p.stem], ignores.get(p.stem))
        for p in sorted((root / "images").iterdir())
        if p.suffix.lower() in IMAGE_SUFFIXES and p.stem in masks
    ]
    if not samples:
        raise InputError(f"no image/mask pairs with matching stems under {root}")
    return samples[:limit] if limit else samples


def load_sample(sample: Sample) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(image, gt, ignore)`` of ``sample``: RGB float32, (H, W) bool, (H, W) bool or None."""
    image = read_image(sample.image)
    gt = read_mask(sample.mask, shape=image.shape[:2], name="gt mask")
    ignore = read_mask(sample.ignore, shape=image.shape[:2], name="ignore mask") if sample.ignore else None
    if not gt.any():
        raise InputError(f"ground-truth mask of {sample.name!r} is empty")
    return image, gt, ignore


@dataclass(frozen=True)
class Frame:
    """One image of a multi-object data set: its name, its image, and per object its mask and box prompt."""

    name: str
    image: Path
    masks: tuple[Path, ...]
    boxes: tuple[tuple[float, float, float, float], ...]


def list_frames(root, *, limit: int | None = None) -> list[Frame]:
    """The frames of a multi-object data set under ``root``, sorted by image stem (the first ``limit`` only).

    ``root`` holds ``images/``, ``masks/`` (one 8-bit mask per object, 255 = object) and ``instances.csv`` with the
    columns ``mask_stem, image_stem, object_index, ..., box_x0y0x1y1`` (the box as four numbers, x1 / y1
    exclusive), one row per object: ``../shared/data/davis_multi`` (real video frames with 2-4 objects each).
    """
    root = Path(root)
    table = root / "instances.csv"
    if not table.is_file() or not (root / "images").is_dir() or not (root / "masks").is_dir():
        raise InputError(f"`DATA_DIR` must contain images/, masks/ and instances.csv, got {root}")
    images = {p.stem: p for p in (root / "images").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    masks = {p.stem: p for p in (root / "masks").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    rows: dict[str, list] = {}
    with table.open(newline="") as f:
        for row in csv.DictReader(f):
            try:
                box = tuple(float(v) for v in row["box_x0y0x1y1"].split())
                key = (int(row["object_index"]), row["mask_stem"], box)
                stem = row["image_stem"]
            except (KeyError, ValueError, TypeError) as exc:
                raise InputError(f"{table}: expected columns mask_stem, image_stem, object_index, box_x0y0x1y1 "
                                 f"(four numbers), got the row {row}") from exc
            if len(box) != 4 or key[1] not in masks or stem not in images:
                raise InputError(f"{table}: row {row} names no mask / image file or no box of four numbers")
            rows.setdefault(stem, []).append(key)
    frames = [Frame(stem, images[stem], tuple(masks[m] for _, m, _ in sorted(objs)),
                    tuple(b for _, _, b in sorted(objs))) for stem, objs in sorted(rows.items())]
    if not frames:
        raise InputError(f"no frames listed in {table}")
    return frames[:limit] if limit else frames


def load_frame(frame: Frame) -> tuple[np.ndarray, list[np.ndarray]]:
    """``(image, masks)`` of ``frame``: RGB float32 and one (H, W) bool visible mask per object, in box order."""
    image = read_image(frame.image)
    return image, [read_mask(p, shape=image.shape[:2], name="object mask") for p in frame.masks]
