"""Evaluation data sets: a folder of ``images/``, ``masks/`` (255 = object) and optional ``ignore/``
(255 = left out of the score), paired by file stem."""

from __future__ import annotations

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
