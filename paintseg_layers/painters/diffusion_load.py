"""Loading a diffusers inpainting pipeline for the diffusion painter, and the per-class defaults it needs.

Kept apart from :mod:`paintseg_layers.painters.diffusion` (the painting itself). diffusers is imported on use.
"""

from __future__ import annotations

import logging

from paintseg_layers._hub import first_line, in_hub_cache, model_source, not_local_message, quiet_hub
from paintseg_layers.errors import BackendError

log = logging.getLogger(__name__)

_WHAT = "painter 'diffusion'"
_FLAG = "--painter-model"
_LAYOUT = "a diffusers pipeline folder with model_index.json"
#: SDXL inpainting degrades at strength 1.0 (its pipeline defaults to 0.9999; diffusers PR #4858, issue #8450).
SDXL_STRENGTH = 0.9999


def dtype_kwarg() -> str:
    """``dtype`` for diffusers that take it (>= 0.36), else the older ``torch_dtype``."""
    try:
        from diffusers.utils.deprecation_utils import _resolve_dtype  # noqa: PLC0415, F401 - optional heavy dependency
    except ImportError:
        return "torch_dtype"
    return "dtype"


def is_sdxl(pipeline_or_class_name) -> bool:
    """Whether a pipeline (or a pipeline class name from ``model_index.json``) is a Stable Diffusion XL one."""
    name = pipeline_or_class_name if isinstance(pipeline_or_class_name, str) else type(pipeline_or_class_name).__name__
    return "StableDiffusionXL" in name


def default_strength(pipeline) -> float:
    """The denoising strength a pipeline class paints best at: 1.0, or :data:`SDXL_STRENGTH` for SDXL."""
    return SDXL_STRENGTH if is_sdxl(pipeline) else 1.0


def load_kwargs(index: dict, dtype, variant: str | None) -> dict:
    """``from_pretrained`` keyword arguments for a pipeline whose ``model_index.json`` is ``index``."""
    kwargs = {}
    for key, value in index.items():
        # components saved as None (e.g. no tokenizer/text encoder) must be passed as None
        if not key.startswith("_") and (value is None or (isinstance(value, (list, tuple)) and value[0] is None)):
            kwargs[key] = None
    if "safety_checker" in index:
        kwargs["safety_checker"] = None  # it would black out paintings: not wanted for segmentation
    if "requires_safety_checker" in index:
        kwargs["requires_safety_checker"] = False
    if is_sdxl(str(index.get("_class_name", ""))):
        kwargs["add_watermarker"] = False  # an invisible watermark would perturb every painted pixel
    if variant is not None:
        kwargs["variant"] = variant  # e.g. "fp16" for caches that hold only the fp16 weights
    kwargs[dtype_kwarg()] = dtype
    return kwargs


def load_pipeline(model: str, *, dtype, local_files_only: bool, variant: str | None = None):
    """An inpainting pipeline from a hub id or a local folder, safety checker and watermark off.

    Raises
    ------
    BackendError
        If the model is not available (one line naming the id and how to pass a local folder).
    """
    with quiet_hub():  # importing the pipelines logs transformers' image-processor fallbacks
        from diffusers import AutoPipelineForInpainting, DiffusionPipeline  # noqa: PLC0415 - optional heavy dependency

    src, local = model_source(model, what=_WHAT, flag=_FLAG)
    missing = BackendError(not_local_message(model, what=_WHAT, flag=_FLAG, layout=_LAYOUT, offline=local_files_only))
    if not local and local_files_only and not in_hub_cache(src, "model_index.json"):
        raise missing  # fail before diffusers gets involved
    with quiet_hub():
        try:
            index = DiffusionPipeline.load_config(src, local_files_only=local_files_only)
        except (OSError, ValueError) as exc:
            if local:
                raise BackendError(f"{_WHAT}: folder {src} is not {_LAYOUT} ({first_line(exc)})") from None
            raise missing from None
        try:
            pipe = AutoPipelineForInpainting.from_pretrained(src, local_files_only=local_files_only,
                                                             **load_kwargs(index, dtype, variant))
        except (OSError, ValueError) as exc:
            if local:
                raise BackendError(f"{_WHAT}: cannot load the pipeline in {src} ({first_line(exc)})") from None
            raise BackendError(not_local_message(model, what=_WHAT, flag=_FLAG, layout=_LAYOUT,
                                                 offline=local_files_only, detail=first_line(exc))) from None
    log.info("loaded %s (%s) as %s", model, type(pipe).__name__, dtype)
    return pipe
