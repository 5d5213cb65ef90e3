"""The data model of a generated scene: :class:`Scene` and its :class:`SceneObject` s."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi

from paintseg_layers.errors import InputError
from paintseg_layers.prompts import BoxPrompt, PointPrompt


@dataclass(frozen=True, eq=False)
class SceneObject:
    """One object of a :class:`Scene` (all arrays full image size).

    Attributes
    ----------
    rgb : (H, W, 3) float32
        The object's full appearance (meaningful inside ``amodal_mask``; 0 elsewhere).
    amodal_mask, visible_mask : (H, W) bool
    depth : int
        0 = front-most.
    source : str
        ``"cutout:<name>"`` or ``"shape:<kind>"``.
    """

    rgb: np.ndarray
    amodal_mask: np.ndarray
    visible_mask: np.ndarray
    depth: int
    source: str

    @property
    def visible_box(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)`` of the visible part (exclusive ends)."""
        ys, xs = np.nonzero(self.visible_mask)
        return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1

    @property
    def visible_point(self) -> tuple[float, float]:
        """``(x, y)`` of the interior-most visible pixel (a user's click)."""
        dist = ndi.distance_transform_edt(np.pad(self.visible_mask, 1))[1:-1, 1:-1]
        y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
        return float(x), float(y)

    @property
    def hidden_fraction(self) -> float:
        a = int(self.amodal_mask.sum())
        return 1.0 - int(self.visible_mask.sum()) / a if a else 0.0

    def to_dict(self) -> dict:
        return {"depth": int(self.depth), "source": self.source, "amodal_area": int(self.amodal_mask.sum()),
                "visible_area": int(self.visible_mask.sum()), "visible_box": list(self.visible_box),
                "hidden_fraction": round(self.hidden_fraction, 4)}


@dataclass(frozen=True, eq=False)
class Scene:
    """A generated composite with its ground truth.

    Attributes
    ----------
    image : (H, W, 3) float32
        The composite (values on the 8-bit grid).
    background : (H, W, 3) float32
        The clean background.
    objects : tuple of SceneObject
        In *prompt order* (shuffled with respect to depth).
    seed : int
    background_kind : str
    """

    image: np.ndarray
    background: np.ndarray
    objects: tuple
    seed: int
    background_kind: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape[:2]

    @property
    def depth_order(self) -> list[int]:
        """Object indices (prompt order) front to back."""
        return sorted(range(len(self.objects)), key=lambda i: self.objects[i].depth)

    def occlusion_pairs(self) -> list[tuple[int, int, int]]:
        """``(front, back, hidden_px)`` for every pair where ``front`` hides part of ``back``."""
        out = []
        for i, a in enumerate(self.objects):
            for j, b in enumerate(self.objects):
                if a.depth < b.depth:
                    px = int((a.amodal_mask & b.amodal_mask).sum())
                    if px:
                        out.append((i, j, px))
        return out

    def prompts(self, kind: str = "box") -> list:
        """The prompts a user would give, one per object in prompt order.

        ``kind="box"``: a box around the visible part; ``"point"``: one click on the visible part's
        interior-most pixel.
        """
        if kind == "box":
            return [BoxPrompt(tuple(float(v) for v in o.visible_box)) for o in self.objects]
        if kind == "point":
            return [PointPrompt((o.visible_point,)) for o in self.objects]
        raise InputError(f"`kind` must be 'box' or 'point', got {kind!r}")

    def to_dict(self) -> dict:
        return {"seed": int(self.seed), "image_size": [int(self.shape[1]), int(self.shape[0])],
                "background": self.background_kind, "depth_order": self.depth_order,
                "objects": [o.to_dict() for o in self.objects], **self.meta}
