"""Diffusion painter: any diffusers inpainting pipeline (Stable Diffusion 1.5 / 2 / XL inpainting).

This is PaintSeg's own painter. The ``n`` samples of one call are painted in **one batched
pipeline call**, with one ``torch.Generator`` per sample derived from ``seed`` (generators live on
the CPU, so a seed gives the same noise on every device). The painter works on a crop around the
mask (with context margin; AMCP hands it the whole working image for that), resized so that its
long side is the model's native resolution and both sides are multiples of 8 (what the VAE and
pipeline need); the mask the model sees is grown to whole latent cells; the painting is resized back
to the crop and only masked pixels are written, so unmasked pixels come back bit-for-bit.

Heavy imports (torch, diffusers) happen when a painter is built, never at import; a missing
package raises :class:`~paintseg_layers.errors.BackendError` naming the pip extra. Offline use is
explicit: ``local_files_only`` defaults to True when ``HF_HUB_OFFLINE`` is set, and a model that
is not available locally gives one line that names the id and how to pass a local folder.

Model loading, device and offline helpers live in :mod:`paintseg_layers._hub` (shared with the DINO projectors).
"""

from __future__ import annotations

import logging
import os

import numpy as np

from paintseg_layers._hub import EXTRA_HINT, import_torch, offline_default, quiet_hub, resolve_device, resolve_dtype
from paintseg_layers.errors import BackendError, InputError, is_int
from paintseg_layers.image import resize_image
from paintseg_layers.painters import PAINTERS
from paintseg_layers.painters.base import BasePainter, check_paint_inputs, sample_seeds
from paintseg_layers.painters.crops import crop_box, grow_to_cells, paint_size, round_up
from paintseg_layers.painters.diffusion_load import default_strength, load_pipeline
from paintseg_layers.painters.schedulers import make_scheduler

log = logging.getLogger(__name__)

#: Denoising steps when ``steps`` is not given (with the default DPM-Solver++ scheduler).
DEFAULT_STEPS = 20
#: Classifier-free guidance scale (PaintSeg's value).
DEFAULT_GUIDANCE = 7.5
#: Scheduler used when ``scheduler`` is not given (``None`` keeps the pipeline's own).
DEFAULT_SCHEDULER = "dpm++"


def default_model() -> str:
    """The default checkpoint, as registered for ``diffusion`` in :data:`~paintseg_layers.painters.PAINTERS`."""

    return PAINTERS.entry("diffusion").default_model


class DiffusionPainter(BasePainter):
    """Inpaint with a diffusers inpainting pipeline (PaintSeg's painter).

    Parameters
    ----------
    model : str or path, optional
        Hub id or local pipeline folder (with ``model_index.json``). Default: the registered
        ``diffusion`` model (Stable Diffusion 1.5 inpainting).
    local_files_only : bool, optional
        Never download; default True when ``HF_HUB_OFFLINE`` is set, else False.
    device : str or torch.device, optional
        Default CUDA if available, else MPS, else CPU.
    dtype : str or torch.dtype, optional
        Default float16 on CUDA, float32 elsewhere.
    steps : int, optional
        Denoising steps (default :data:`DEFAULT_STEPS`).
    guidance : float, optional
        Classifier-free guidance scale (default :data:`DEFAULT_GUIDANCE`).
    prompt, negative_prompt : str
        Text conditioning; PaintSeg paints with an empty prompt. A non-empty prompt needs the
        pipeline's tokenizer and text encoder.
    scheduler : str or diffusers scheduler, optional
        ``"dpm++"`` (default: DPM-Solver++ multistep), ``"dpm++karras"``, ``"unipc"``, ``"ddim"``,
        ``"euler"``, ``"euler_a"``, ``"pndm"``, ``"pipeline"`` (keep the pipeline's own) or an instance.
    pipeline : diffusers pipeline, optional
        An already built inpainting pipeline (``model`` and ``local_files_only`` are then unused).
    resolution : int, optional
        Long side, in px, at which the crop is painted (default: the model's native size,
        ``unet.config.sample_size * vae_scale_factor``, e.g. 512 for SD 1.5).
    margin : float
        Context around the mask: the crop is the mask's box grown by ``margin`` times its long
        side on every side (at least ``min_margin`` px), clipped to the image.
    min_margin : int
        Smallest context margin in px.
    skip_null_guidance : bool
        With empty prompt and negative prompt both guidance branches see the same conditioning,
        so guidance is the identity; skip it (half the UNet work, same result up to rounding). False runs it anyway.
    channels_last : bool
        Use the channels-last memory format for the UNet and VAE (faster on recent GPUs).
    compile : bool
        ``torch.compile`` the UNet (first call slow, later calls faster; CUDA only in practice).
    progress : bool
        Show the pipeline's denoising progress bar.
    strength : float, optional
        Denoising strength in (0, 1]. Default per pipeline class: 1.0, but 0.9999 for SDXL
        inpainting, which degrades at 1.0 (as its own pipeline default says).
    variant : str, optional
        Weight variant to load, e.g. ``"fp16"`` for a cache that holds only the fp16 files.
    offload : bool
        ``enable_model_cpu_offload``: keep each model on the CPU until it runs (GPUs with little
        memory; needs accelerate). The pipeline is then never moved to ``device`` as a whole.

    Raises
    ------
    BackendError
        If diffusers is missing or the model is not available.
    InputError
        If an option is out of range.

    Examples
    --------
    >>> painter = DiffusionPainter("path/to/sd-inpainting", local_files_only=True)  # doctest: +SKIP
    >>> paintings = painter.paint(image, mask, n=5, seed=0)                         # doctest: +SKIP
    >>> paintings.shape                                                             # doctest: +SKIP
    (5, 480, 640, 3)
    """

    name = "diffusion"
    #: The painter sizes its own input (the model's native resolution): callers should not downscale first.
    chooses_resolution = True
    batches_masks = True
    #: The painter crops its own context (``margin``) around the hole: AMCP passes the whole working image.
    wants_context = True

    def __init__(self, model: str | os.PathLike | None = None, *, local_files_only: bool | None = None, device=None,
                 dtype=None, steps: int | None = None, guidance: float | None = None, prompt: str = "",
                 negative_prompt: str = "", scheduler=DEFAULT_SCHEDULER, pipeline=None, resolution: int | None = None,
                 margin: float = 0.5, min_margin: int = 16, skip_null_guidance: bool = True,
                 channels_last: bool = False, compile: bool = False, progress: bool = False,
                 strength: float | None = None, variant: str | None = None, offload: bool = False):
        steps = DEFAULT_STEPS if steps is None else steps
        guidance = DEFAULT_GUIDANCE if guidance is None else guidance
        if not is_int(steps, 1):
            raise InputError(f"`steps` (denoising steps) must be an integer >= 1, got {steps!r}")
        if not isinstance(guidance, (int, float, np.number)) or not np.isfinite(guidance) or guidance < 0:
            raise InputError(f"`guidance` must be a finite number >= 0, got {guidance!r}")
        for nm, v in (("prompt", prompt), ("negative_prompt", negative_prompt)):
            if not isinstance(v, str):
                raise InputError(f"`{nm}` must be a string, got {type(v).__name__}")
        if resolution is not None and (not is_int(resolution, 16, 4096)):
            raise InputError(f"`resolution` must be an integer in [16, 4096] or None, got {resolution!r}")
        if not isinstance(margin, (int, float, np.number)) or not 0 <= margin <= 10:
            raise InputError(f"`margin` must be a number in [0, 10], got {margin!r}")
        if not is_int(min_margin, 0):
            raise InputError(f"`min_margin` must be an integer >= 0, got {min_margin!r}")
        if strength is not None and (isinstance(strength, bool) or not isinstance(strength, (int, float, np.number))
                                     or not 0 < strength <= 1):
            raise InputError(f"`strength` must be a number in (0, 1] or None, got {strength!r}")
        if variant is not None and (not isinstance(variant, str) or not variant.strip()):
            raise InputError(f"`variant` must be a non-empty string such as 'fp16' or None, got {variant!r}")
        if not isinstance(offload, (bool, np.bool_)):
            raise InputError(f"`offload` must be True or False, got {offload!r}")
        self.steps = int(steps)
        self.guidance = float(guidance)
        self.prompt = prompt
        self.negative_prompt = negative_prompt
        self.margin = float(margin)
        self.min_margin = int(min_margin)
        self.skip_null_guidance = bool(skip_null_guidance)
        self._torch = import_torch("painter 'diffusion'")
        try:
            with quiet_hub():
                import diffusers  # noqa: PLC0415, F401
        except ImportError:
            raise BackendError(f"painter 'diffusion' needs diffusers, which is not installed: {EXTRA_HINT}") from None

        if pipeline is None:
            self.model = str(model) if model is not None else default_model()
            self.local_files_only = offline_default(local_files_only)
            self.device = resolve_device(device)
            self.dtype = resolve_dtype(dtype, self.device)
            pipeline = load_pipeline(self.model, dtype=self.dtype, local_files_only=self.local_files_only,
                                     variant=variant)
        else:
            if not callable(pipeline) or not hasattr(pipeline, "unet") or not hasattr(pipeline, "vae"):
                raise InputError(f"`pipeline` must be a diffusers inpainting pipeline, got {type(pipeline).__name__}")
            self.model = getattr(getattr(pipeline, "config", None), "_name_or_path", None) or type(pipeline).__name__
            self.local_files_only = offline_default(local_files_only)
            self.device = resolve_device(device) if device is not None else pipeline.unet.device
            self.dtype = resolve_dtype(dtype, self.device) if dtype is not None else pipeline.unet.dtype
        if pipeline.unet.dtype != self.dtype:
            pipeline = pipeline.to(dtype=self.dtype)
        if getattr(pipeline, "watermark", None) is not None:
            pipeline.watermark = None  # SDXL's invisible watermark would perturb every painted pixel
        self.offload = bool(offload)
        if self.offload:
            # accelerate hooks move each model to the device when it runs; moving the pipeline would undo them
            pipeline.enable_model_cpu_offload(device=self.device)
        else:
            pipeline = pipeline.to(self.device)
        self.pipeline = pipeline
        self.strength = float(strength) if strength is not None else default_strength(pipeline)
        self._set_scheduler(scheduler)
        if channels_last:
            pipeline.unet.to(memory_format=self._torch.channels_last)
            pipeline.vae.to(memory_format=self._torch.channels_last)
        if compile:
            pipeline.unet = self._torch.compile(pipeline.unet)
        if hasattr(pipeline, "set_progress_bar_config"):
            pipeline.set_progress_bar_config(disable=not progress)
        vae_scale = (getattr(pipeline, "vae_scale_factor", None)
                     or 2 ** (len(pipeline.vae.config.block_out_channels) - 1))
        unet_cfg = pipeline.unet.config
        #: Painted sizes are multiples of this: what the pipeline and VAE need (8), not the UNet's
        #: downsampling (diffusers' UNet pads odd latent sizes itself), so crops are stretched at most 7 px.
        self.multiple = int(np.lcm(8, vae_scale))
        #: Latent cell size in px: the pipeline shrinks the mask to this grid.
        self.latent_cell = int(vae_scale)
        native = unet_cfg.sample_size * vae_scale if isinstance(unet_cfg.sample_size, int) else 512
        self.resolution = int(resolution) if resolution is not None else int(native)
        self.resolution = round_up(self.resolution, self.multiple)
        self._embeds = None  # (cond, uncond or None, extra call kwargs), computed once

    # -- scheduler -------------------------------------------------------------------------------
    def _set_scheduler(self, scheduler) -> None:
        if scheduler is not None and scheduler != "pipeline":
            self.pipeline.scheduler = make_scheduler(scheduler, self.pipeline.scheduler.config)

    # -- conditioning ------------------------------------------------------------------------------
    @property
    def uses_guidance(self) -> bool:
        """Whether a call runs classifier-free guidance (two UNet branches per step)."""
        null = self.skip_null_guidance and not self.prompt.strip() and not self.negative_prompt.strip()
        return self.guidance > 1.0 and not null

    def _conditioning(self):
        """``(kwargs for the pipeline call, batch-1 tensors)``: prompt embeddings computed once."""
        if self._embeds is not None:
            return self._embeds
        torch = self._torch
        pipe = self.pipeline
        cfg = self.uses_guidance
        sdxl = hasattr(pipe, "text_encoder_2")
        has_text = getattr(pipe, "text_encoder", None) is not None and getattr(pipe, "tokenizer", None) is not None
        if sdxl:
            has_text = has_text or (getattr(pipe, "text_encoder_2", None) is not None
                                    and getattr(pipe, "tokenizer_2", None) is not None)
        emb: dict = {}
        with torch.no_grad():
            if has_text:
                out = pipe.encode_prompt(prompt=self.prompt, device=self.device, num_images_per_prompt=1,
                                         do_classifier_free_guidance=cfg, negative_prompt=self.negative_prompt)
                emb["prompt_embeds"] = out[0]
                if cfg:
                    emb["negative_prompt_embeds"] = out[1]
                if sdxl:
                    emb["pooled_prompt_embeds"] = out[2]
                    if cfg:
                        emb["negative_pooled_prompt_embeds"] = out[3]
            else:
                if self.prompt.strip() or self.negative_prompt.strip():
                    raise BackendError("painter 'diffusion': a text prompt needs the pipeline's tokenizer and text "
                                       f"encoder, which {self.model!r} does not have; use an empty prompt")
                # no text model: the empty prompt is represented by zero embeddings of the right shape
                ucfg = pipe.unet.config
                seq = int(getattr(getattr(pipe, "tokenizer", None), "model_max_length", 77) or 77)
                seq = seq if seq < 10_000 else 77
                zeros = torch.zeros(1, seq, int(ucfg.cross_attention_dim), device=self.device, dtype=self.dtype)
                emb["prompt_embeds"] = zeros
                if cfg:
                    emb["negative_prompt_embeds"] = zeros
                if sdxl:
                    n_ids = 5 if getattr(pipe.config, "requires_aesthetics_score", False) else 6
                    dim = int(ucfg.projection_class_embeddings_input_dim) - n_ids * int(ucfg.addition_time_embed_dim)
                    pooled = torch.zeros(1, dim, device=self.device, dtype=self.dtype)
                    emb["pooled_prompt_embeds"] = pooled
                    if cfg:
                        emb["negative_pooled_prompt_embeds"] = pooled
        self._embeds = emb
        return emb

    # -- painting ----------------------------------------------------------------------------------
    def paint(self, image, mask, *, n: int = 1, seed: int = 0) -> np.ndarray:
        """Paint ``n`` samples of the masked region in one batched pipeline call.

        Parameters
        ----------
        image : (H, W, 3) float32 in [0, 1] (uint8 accepted)
        mask : (H, W) bool
            True where to paint.
        n : int
            Number of samples.
        seed : int
            Sample ``i`` uses a generator seeded with ``sample_seeds(seed, n)[i]``.

        Returns
        -------
        (n, H, W, 3) float32
            Paintings; pixels outside ``mask`` equal ``image`` exactly.

        Raises
        ------
        InputError
            If the shapes, dtype or ``n`` are invalid.
        """
        rgb, m = check_paint_inputs(image, mask, n)
        return self._paint(rgb, np.broadcast_to(m, (int(n), *m.shape)), seed)

    def paint_batch(self, image, masks, *, seed: int = 0) -> np.ndarray:
        """Paint one sample per mask, all in one batched pipeline call.

        Parameters
        ----------
        image : (H, W, 3) float32 in [0, 1] (uint8 accepted)
        masks : (n, H, W) bool
            One region per sample (e.g. AMCP's per-sample jittered dilations).
        seed : int
            Sample ``i`` uses ``sample_seeds(seed, n)[i]``, as in :meth:`paint`.

        Returns
        -------
        (n, H, W, 3) float32
            Sample ``i`` differs from ``image`` only inside ``masks[i]``.
        """
        arr = np.asarray(masks)
        if arr.ndim != 3 or arr.shape[0] < 1:
            raise InputError(f"`masks` must have shape (n, H, W) with n >= 1, got {arr.shape}")
        rgb, _ = check_paint_inputs(image, arr[0], 1)
        ms = np.stack([check_paint_inputs(rgb, a, 1)[1] for a in arr])
        return self._paint(rgb, ms, seed)

    def _paint(self, rgb: np.ndarray, masks: np.ndarray, seed) -> np.ndarray:
        if not is_int(seed, 0):
            raise InputError(f"`seed` must be an integer >= 0, got {seed!r}")
        torch = self._torch
        n = masks.shape[0]
        out = np.repeat(rgb[None], n, axis=0)
        union = masks.any(axis=0)
        if not union.any():
            return out
        x0, y0, x1, y1 = crop_box(union, self.margin, self.min_margin)
        crop = rgb[y0:y1, x0:x1]
        ph, pw = paint_size(crop.shape[:2], self.resolution, self.multiple)
        # a painted pixel anywhere in a resized mask pixel counts as masked, and the pipeline shrinks the
        # mask to the latent grid by nearest sampling: grown to whole latent cells, the hole the UNet
        # repaints covers every true-hole pixel (a thin O-step band included); only those are written back
        big = np.stack([resize_image(mk[y0:y1, x0:x1].astype(np.float32), (ph, pw)) > 1e-3 for mk in masks])
        big = grow_to_cells(big, self.latent_cell)
        img_t = torch.from_numpy(np.ascontiguousarray(resize_image(crop, (ph, pw)).transpose(2, 0, 1)))[None]
        img_t = img_t.expand(n, -1, -1, -1).contiguous()
        mask_t = torch.from_numpy(big.astype(np.float32))[:, None]
        gens = [torch.Generator(device="cpu").manual_seed(s) for s in sample_seeds(int(seed), n)]
        emb = {k: v.expand(n, *v.shape[1:]) for k, v in self._conditioning().items()}
        log.debug("painting %d sample(s) of a %dx%d crop at %dx%d", n, x1 - x0, y1 - y0, pw, ph)
        with torch.inference_mode():
            result = self.pipeline(image=img_t, mask_image=mask_t, height=ph, width=pw, strength=self.strength,
                                   num_inference_steps=self.steps,
                                   guidance_scale=self.guidance if self.uses_guidance else 1.0,
                                   generator=gens, output_type="np", **emb)
        painted = np.asarray(result.images, dtype=np.float32)
        if painted.shape != (n, ph, pw, 3):
            raise BackendError(f"painter 'diffusion': pipeline returned shape {painted.shape}, "
                               f"expected {(n, ph, pw, 3)}")
        if not np.isfinite(painted).all():
            raise BackendError(f"painter 'diffusion': the pipeline painted NaN or inf values in {self.dtype} "
                               "(a float16 overflow in the UNet or VAE); use dtype 'float32' or 'bfloat16'")
        for i in range(n):
            back = np.clip(resize_image(painted[i], crop.shape[:2]), 0.0, 1.0)
            region = masks[i][y0:y1, x0:x1]
            out[i, y0:y1, x0:x1][region] = back[region]
        return out

    def __repr__(self) -> str:
        return (f"DiffusionPainter(model={self.model!r}, device={str(self.device)!r}, dtype={self.dtype}, "
                f"steps={self.steps}, guidance={self.guidance}, strength={self.strength}, "
                f"resolution={self.resolution})")


__all__ = ["DiffusionPainter", "DEFAULT_STEPS", "DEFAULT_GUIDANCE", "DEFAULT_SCHEDULER"]
