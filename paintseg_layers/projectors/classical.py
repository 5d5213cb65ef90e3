"""Weight-free projectors: CIE Lab colour, optionally with multi-scale texture channels."""

from __future__ import annotations

import cv2
import numpy as np
from skimage.color import rgb2lab
from skimage.feature import multiscale_basic_features

from paintseg_layers.projectors.base import BaseProjector, check_batch


class LabProjector(BaseProjector):
    """CIE Lab colour, scaled so that each channel spans about [0, 1] (L/100, a/100, b/100).

    Parameters
    ----------
    smooth : float
        Gaussian sigma in px applied before the conversion (0 = none); a little smoothing keeps
        the potential from firing on JPEG noise.
    """

    name = "lab"
    #: features of a pixel depend only on its neighbourhood, so crops of the full map are exact
    pixelwise = True
    thread_safe = True

    def __init__(self, smooth: float = 1.0):
        self.smooth = float(smooth)

    def project(self, images):
        batch = check_batch(images)
        out = np.empty(batch.shape, np.float32)
        for i, img in enumerate(batch):
            out[i] = rgb2lab(self._smoothed(img)).astype(np.float32) / 100.0
        return out

    def contrast_at(self, images, reference: np.ndarray, where: np.ndarray) -> np.ndarray:
        """Squared feature distance ``(B, M)`` to ``reference`` ``(H, W, C)`` at the ``M`` pixels of ``where``.

        Equal to ``contrast(images, reference)[:, where]``: the smoothing runs on the whole image, the Lab
        conversion (the costly part) only on those pixels.
        """
        batch = check_batch(images)
        ref = reference[where]
        out = np.empty((len(batch), len(ref)), np.float32)
        for i, img in enumerate(batch):
            lab = rgb2lab(self._smoothed(img)[where][None])[0].astype(np.float32) / 100.0
            lab -= ref
            lab *= lab
            # channel by channel: the additions of ``.sum(axis=-1)`` in its order, without its slow 3-wide reduction
            np.add(lab[:, 0], lab[:, 1], out=out[i])
            out[i] += lab[:, 2]
        return out

    def _smoothed(self, img: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(img, (0, 0), self.smooth) if self.smooth > 0 else img


class TextureProjector(BaseProjector):
    """Lab colour plus scikit-image multi-scale intensity/edge/texture channels.

    Parameters
    ----------
    texture_weight : float
        Weight of the texture block relative to colour (its channels are standardised per image).
    sigma_max : float
        Largest scale of the texture filters.
    """

    name = "texture"
    thread_safe = True

    def __init__(self, texture_weight: float = 0.3, sigma_max: float = 8.0):
        self.texture_weight = float(texture_weight)
        self.sigma_max = float(sigma_max)
        self._lab = LabProjector()

    def project(self, images):
        batch = check_batch(images)
        colour = self._lab.project(batch)
        feats = []
        for img in batch:
            grey = img.mean(axis=2)
            t = multiscale_basic_features(grey, intensity=False, edges=True, texture=True,
                                          sigma_min=1.0, sigma_max=self.sigma_max, num_sigma=3)
            t = (t - t.mean(axis=(0, 1))) / (t.std(axis=(0, 1)) + 1e-6)
            feats.append((t * (self.texture_weight / np.sqrt(t.shape[-1]))).astype(np.float32))
        return np.concatenate([colour, np.stack(feats)], axis=-1).astype(np.float32)
