"""Pictures for people: masks drawn over images, prompts drawn on top."""

from __future__ import annotations

import cv2
import numpy as np

from paintseg_layers.image import as_rgb, to_uint8


def draw_overlay(image, mask, prompt=None, *, colour=(1.0, 0.2, 0.2), alpha: float = 0.45) -> np.ndarray:
    """The image with ``mask`` tinted and outlined, and the prompt (box / clicks) drawn; uint8 RGB."""
    rgb = as_rgb(image).copy()
    m = np.asarray(mask, bool)
    rgb[m] = (1 - alpha) * rgb[m] + alpha * np.asarray(colour, np.float32)
    out = np.ascontiguousarray(to_uint8(rgb))
    contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    thick = max(1, round(max(m.shape) / 400))
    cv2.drawContours(out, contours, -1, tuple(int(c * 255) for c in colour), thick)
    if prompt is not None:
        kind = getattr(prompt, "kind", None)
        if kind == "box":
            x0, y0, x1, y1 = (int(round(v)) for v in prompt.box)
            cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), (40, 220, 40), thick + 1)
        elif kind == "points":
            r = max(3, round(max(m.shape) / 120))
            for x, y in prompt.positive:
                cv2.circle(out, (int(x), int(y)), r, (40, 220, 40), -1)
            for x, y in prompt.negative:
                cv2.circle(out, (int(x), int(y)), r, (220, 40, 220), -1)
    return out
