"""DINO / DINOv2 projectors: self-supervised ViT patch features at pixel resolution.

PaintSeg contrasts paintings with the original in DINO ViT features (a small patch matters: 8 px
patches beat DINOv2's 14 px ones, supplementary Table B). The reference code runs ViT-B/8 at 480 px
(the ``paper`` preset); the default here is the lighter ViT-S/8 at 224 px (a 2x coarser potential).
Images are resized so that their long side is ``input_size`` with both sides multiples of the
patch size (aspect kept), normalised with the ImageNet mean and std, and run through the ViT in
batches; the patch tokens are reshaped to their grid and upsampled bilinearly back to the input's
pixels (:meth:`~_ViTProjector.contrast` upsamples the feature difference on the device instead).

Heavy imports (torch, transformers) happen when a projector is built; nothing downloads unless
``local_files_only`` is False (its default is True when ``HF_HUB_OFFLINE`` is set).
"""

from __future__ import annotations

import logging
import os

import numpy as np

from paintseg_layers._hub import (
    EXTRA_HINT,
    first_line,
    import_torch,
    in_hub_cache,
    model_source,
    not_local_message,
    offline_default,
    quiet_hub,
    resolve_device,
    resolve_dtype,
)
from paintseg_layers.errors import BackendError, InputError, is_int
from paintseg_layers.projectors import PROJECTORS
from paintseg_layers.projectors.base import BaseProjector, check_batch

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class _ViTProjector(BaseProjector):
    """Shared machinery of :class:`DinoProjector` and :class:`Dinov2Projector`."""

    name = ""
    #: transformers model class name.
    model_class = ""
    default_input_size = 224

    @property
    def default_model(self) -> str:
        """The registry's default checkpoint for this name, used when ``model`` is None."""

        return PROJECTORS.entry(self.name).default_model

    def __init__(self, model: str | os.PathLike | None = None, *, local_files_only: bool | None = None, device=None,
                 dtype=None, input_size: int | None = None, batch_size: int = 8, normalize: bool = True,
                 model_object=None):
        input_size = self.default_input_size if input_size is None else input_size
        if not is_int(input_size, 8, 4096):
            raise InputError(f"`input_size` must be an integer in [8, 4096], got {input_size!r}")
        if not is_int(batch_size, 1):
            raise InputError(f"`batch_size` must be an integer >= 1, got {batch_size!r}")
        self.input_size = int(input_size)
        self.batch_size = int(batch_size)
        self.normalize = bool(normalize)
        self._torch = import_torch(f"projector {self.name!r}")
        try:
            import transformers  # noqa: PLC0415, F401
        except ImportError:
            raise BackendError(f"projector {self.name!r} needs transformers, which is not installed: "
                               f"{EXTRA_HINT}") from None
        self.device = resolve_device(device)
        # features are compared between images: float32 by default even on CUDA (cheap next to painting)
        self.dtype = resolve_dtype(dtype if dtype is not None else "float32", self.device)
        self.local_files_only = offline_default(local_files_only)
        if model_object is not None:
            self.model = (getattr(getattr(model_object, "config", None), "_name_or_path", "")
                          or type(model_object).__name__)
            net = model_object
        else:
            self.model = str(model) if model is not None else self.default_model
            net = self._load(self.model)
        self.net = net.to(self.device, self.dtype).eval()
        self.patch = int(self.net.config.patch_size)
        self.channels = int(self.net.config.hidden_size)
        self._mean = self._torch.tensor(IMAGENET_MEAN, device=self.device).view(1, 3, 1, 1)
        self._std = self._torch.tensor(IMAGENET_STD, device=self.device).view(1, 3, 1, 1)

    # -- loading ---------------------------------------------------------------------------------
    def _load(self, model: str):
        import transformers  # noqa: PLC0415 - optional heavy dependency, imported on use

        what = f"projector {self.name!r}"
        layout = "a transformers folder with config.json"
        src, local = model_source(model, what=what, flag="--projector-model")
        missing = BackendError(not_local_message(model, what=what, flag="--projector-model", layout=layout,
                                                 offline=self.local_files_only))
        if not local and self.local_files_only and not in_hub_cache(src, "config.json"):
            raise missing
        cls = getattr(transformers, self.model_class)
        kwargs = {"add_pooling_layer": False} if self.model_class == "ViTModel" else {}
        with quiet_hub():
            try:
                net = cls.from_pretrained(src, local_files_only=self.local_files_only, **kwargs)
            except (OSError, ValueError) as exc:
                if local:
                    raise BackendError(f"{what}: cannot load {self.model_class} from folder {src}; expected {layout} "
                                       f"({first_line(exc)})") from None
                raise missing from None
        log.info("loaded %s (%s) on %s", model, self.model_class, self.device)
        return net

    # -- features --------------------------------------------------------------------------------
    def grid(self, shape: tuple[int, int]) -> tuple[int, int]:
        """``(rows, cols)`` of patches for an input of ``shape`` (long side ``input_size``, aspect kept)."""
        h, w = shape
        s = self.input_size / max(h, w)
        return max(1, int(round(h * s / self.patch))), max(1, int(round(w * s / self.patch)))

    def _forward(self, pixels):
        raise NotImplementedError

    def _check(self, images) -> np.ndarray:
        batch = check_batch(images)
        if batch.shape[1] < 2 or batch.shape[2] < 2:
            raise InputError(f"`images` must be at least 2 x 2 px, got {batch.shape[2]} x {batch.shape[1]}")
        if not np.isfinite(batch).all():
            raise InputError("`images` must be finite, got NaN or inf values")
        return batch

    def _grid_features(self, batch: np.ndarray):
        """Patch features ``(b, C, rows, cols)`` float32 on the device, for a checked batch."""
        import torch.nn.functional as F  # noqa: PLC0415 - optional heavy dependency, imported on use

        gh, gw = self.grid(batch.shape[1:3])
        x = self._torch.from_numpy(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)))
        x = F.interpolate(x.to(self.device), size=(gh * self.patch, gw * self.patch), mode="bilinear",
                          align_corners=False, antialias=True)
        x = ((x.clamp(0, 1) - self._mean) / self._std).to(self.dtype)
        tokens = self._forward(x)  # (b, gh * gw, C) patch tokens
        feat = tokens.reshape(tokens.shape[0], gh, gw, -1).permute(0, 3, 1, 2).float()
        return F.normalize(feat, dim=1) if self.normalize else feat

    def _chunks(self, batch: np.ndarray):
        for i in range(0, batch.shape[0], self.batch_size):
            yield i, self._grid_features(batch[i:i + self.batch_size])

    def project(self, images) -> np.ndarray:
        """Per-pixel features of a batch.

        Parameters
        ----------
        images : (B, H, W, 3) float32 in [0, 1] (uint8 accepted; one (H, W, 3) image is promoted)

        Returns
        -------
        (B, H, W, C) float32
            Patch features (L2-normalised per patch when ``normalize``) upsampled bilinearly to pixels.

        Raises
        ------
        InputError
            If ``images`` is not a batch of RGB images of at least 2 x 2 px.
        """
        import torch.nn.functional as F  # noqa: PLC0415 - optional heavy dependency, imported on use

        batch = self._check(images)
        b, h, w, _ = batch.shape
        out = np.empty((b, h, w, self.channels), np.float32)
        with self._torch.inference_mode():
            for i, feat in self._chunks(batch):
                feat = F.interpolate(feat, size=(h, w), mode="bilinear", align_corners=False)
                out[i:i + self.batch_size] = feat.permute(0, 2, 3, 1).cpu().numpy()
        return out

    def reference(self, image):
        """Patch features ``(1, C, rows, cols)`` of one original image, kept on the device for :meth:`contrast`."""
        with self._torch.inference_mode():
            return self._grid_features(self._check(image))

    def contrast(self, images, reference) -> np.ndarray:
        """Squared feature distance ``(B, H, W)`` float32 between ``images`` and a :meth:`reference`.

        Computed in torch on the device: the patch-feature difference is upsampled (bilinear
        interpolation is linear, so this equals the distance of the upsampled features) and
        reduced over channels there; only ``B x H x W`` floats come back, not ``B x H x W x C``.
        """
        import torch.nn.functional as F  # noqa: PLC0415 - optional heavy dependency, imported on use

        batch = self._check(images)
        b, h, w, _ = batch.shape
        if tuple(reference.shape[2:]) != self.grid((h, w)):
            raise InputError(f"`reference` has a {tuple(reference.shape[2:])} patch grid, but {w} x {h} images give "
                             f"{self.grid((h, w))}")
        out = np.empty((b, h, w), np.float32)
        with self._torch.inference_mode():
            for i, feat in self._chunks(batch):
                diff = F.interpolate(feat - reference, size=(h, w), mode="bilinear", align_corners=False)
                out[i:i + self.batch_size] = diff.square().sum(dim=1).cpu().numpy()
        return out

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(model={self.model!r}, device={str(self.device)!r}, "
                f"input_size={self.input_size}, patch={self.patch})")


class DinoProjector(_ViTProjector):
    """DINO ViT features (transformers ``ViTModel``), PaintSeg's projector.

    Parameters
    ----------
    model : str or path, optional
        Hub id or local folder with ``config.json`` (default ``facebook/dino-vits8``).
    local_files_only : bool, optional
        Never download; default True when ``HF_HUB_OFFLINE`` is set.
    device : str or torch.device, optional
        Default CUDA, then MPS, then CPU.
    dtype : str or torch.dtype, optional
        Default float32.
    input_size : int, optional
        Long side, in px, of the ViT input (default 224; the reference code uses 480). Off 224
        the position embeddings are interpolated.
    batch_size : int
        Images per forward pass.
    normalize : bool
        L2-normalise each patch feature (distances then lie in [0, 4]).
    model_object : transformers model, optional
        An already built ``ViTModel`` (``model`` is then unused).

    Notes
    -----
    :meth:`project` is dense: ``B x H x W x C`` float32 (C = 384 for ViT-S), e.g. 0.8 GB for five
    320 x 320 crops. AMCP uses :meth:`contrast` instead, which returns only ``B x H x W``.

    Examples
    --------
    >>> proj = DinoProjector("facebook/dino-vits8", local_files_only=True)  # doctest: +SKIP
    >>> proj.project(images).shape                                          # doctest: +SKIP
    (5, 240, 320, 384)
    """

    name = "dino"
    model_class = "ViTModel"
    default_input_size = 224

    def _forward(self, pixels):
        hidden = self.net(pixel_values=pixels, interpolate_pos_encoding=True).last_hidden_state
        return hidden[:, 1:]  # drop the CLS token


class Dinov2Projector(_ViTProjector):
    """DINOv2 ViT features (transformers ``Dinov2Model``); same options as :class:`DinoProjector`.

    The default model is ``facebook/dinov2-small`` (patch 14) at ``input_size`` 448.
    """

    name = "dinov2"
    model_class = "Dinov2Model"
    default_input_size = 448

    def _forward(self, pixels):
        hidden = self.net(pixel_values=pixels).last_hidden_state  # Dinov2 interpolates positions itself
        n_reg = int(getattr(self.net.config, "num_register_tokens", 0) or 0)
        return hidden[:, 1 + n_reg:]


__all__ = ["DinoProjector", "Dinov2Projector", "IMAGENET_MEAN", "IMAGENET_STD"]
