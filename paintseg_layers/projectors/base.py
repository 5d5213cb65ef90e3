"""The ``Projector`` protocol: images to per-pixel feature maps."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from paintseg_layers.errors import InputError


@runtime_checkable
class Projector(Protocol):
    """Map a batch of images to per-pixel features.

    ``project(images)`` takes ``(B, H, W, 3)`` float32 RGB in [0, 1] and returns ``(B, H, W, C)``
    float32 features at pixel resolution. The contrastive potential is the squared L2 distance
    between the features of a painting and of the original.

    Declared capability (:class:`BaseProjector` gives the default): ``pixelwise`` is True when a
    pixel's features depend only on its neighbourhood, so crops of the full-image map are exact
    (AMCP then projects the original once per image instead of once per crop).

    Optional (:class:`BaseProjector` gives them from ``project``): ``reference(image)`` and
    ``contrast(images, reference)``, which let a backend compute the potential where its features
    live (the DINO projectors: in torch on their device) instead of returning full-size features;
    ``contrast_at(images, reference, where)``, the potential ``(B, M)`` at the pixels of ``where`` only
    (the Lab projector: AMCP reads the potential only inside the painted regions).
    Also optional: ``thread_safe`` (default False), True when concurrent calls from several threads are
    safe (as for painters).
    """

    name: str
    pixelwise: bool

    def project(self, images: np.ndarray) -> np.ndarray: ...


class BaseProjector:
    """Defaults for the declared capabilities of :class:`Projector`; backends subclass it."""

    name = ""
    pixelwise = False
    thread_safe = False

    def project(self, images: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def reference(self, image: np.ndarray):
        """Features of one original ``(H, W, 3)`` image, in the form :meth:`contrast` takes."""
        return self.project(image[None])[0]

    def contrast(self, images: np.ndarray, reference) -> np.ndarray:
        """Squared feature distance ``(B, H, W)`` float32 between ``images`` and a :meth:`reference`."""
        return ((self.project(images) - reference[None]) ** 2).sum(axis=-1)


def check_batch(images) -> np.ndarray:
    """Validate a ``(B, H, W, 3)`` batch (a single ``(H, W, 3)`` image is promoted)."""
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.shape[0] < 1:
        raise InputError(f"`images` must have shape (B, H, W, 3), got {np.asarray(images).shape}")
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    return arr.astype(np.float32, copy=False)
