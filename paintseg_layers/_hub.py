"""Model loading for the neural backends: torch import, device and dtype, hub ids vs local folders, offline.

Shared by :mod:`paintseg_layers.painters.diffusion` and :mod:`paintseg_layers.projectors.dino`. Nothing
here imports torch or the hub client at import time: they are optional (the ``diffusion`` extra).
"""

from __future__ import annotations

import importlib
import os
import warnings
from pathlib import Path

import numpy as np

from paintseg_layers.errors import BackendError, InputError

#: Install hint for the optional dependencies of the neural backends.
EXTRA_HINT = "pip install 'paintseg_layers[diffusion]'"

_TRUE = {"1", "true", "yes", "on"}
_DTYPES = {"float32": "float32", "fp32": "float32", "float": "float32", "float16": "float16", "fp16": "float16",
           "half": "float16", "bfloat16": "bfloat16", "bf16": "bfloat16"}


def import_torch(what: str):
    """Import torch or raise :class:`BackendError` naming the extra (``what`` names the backend)."""
    try:
        import torch  # noqa: PLC0415 - optional heavy dependency
    except ImportError:
        raise BackendError(f"{what} needs torch, which is not installed: {EXTRA_HINT}") from None
    return torch


def offline_default(local_files_only: bool | None) -> bool:
    """``local_files_only`` as given, else True when ``HF_HUB_OFFLINE`` is set to a true value."""
    if local_files_only is None:
        return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE
    if not isinstance(local_files_only, (bool, np.bool_)):
        raise InputError(f"`local_files_only` must be True, False or None, got {local_files_only!r}")
    return bool(local_files_only)


def resolve_device(device):
    """A ``torch.device``: ``None`` picks CUDA, then MPS, then the CPU.

    Raises
    ------
    InputError
        If ``device`` is not a valid torch device string, or names CUDA/MPS where none exists.
    """
    torch = import_torch("a neural backend")
    if device is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise InputError(f"`device` must be a torch device such as 'cpu', 'cuda' or 'cuda:1', got {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"`device` {device!r} asks for CUDA, but torch sees no CUDA device (use --device cpu)")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise InputError(f"`device` {device!r} asks for MPS, which is not available here (use --device cpu)")
    return dev


def resolve_dtype(dtype, device):
    """A ``torch.dtype``: ``None`` gives float16 on CUDA and float32 elsewhere.

    Accepts a ``torch.dtype`` or one of ``float32``/``fp32``, ``float16``/``fp16``, ``bfloat16``/``bf16``.
    """
    torch = import_torch("a neural backend")
    if dtype is None:
        return torch.float16 if device.type == "cuda" else torch.float32
    if isinstance(dtype, torch.dtype):
        if dtype not in (torch.float32, torch.float16, torch.bfloat16):
            raise InputError(f"`dtype` must be float32, float16 or bfloat16, got {dtype}")
        return dtype
    name = _DTYPES.get(str(dtype).lower().removeprefix("torch."))
    if name is None:
        raise InputError(f"`dtype` must be one of {sorted(_DTYPES)} or a torch.dtype, got {dtype!r}")
    return getattr(torch, name)


def model_source(model: str | os.PathLike, *, what: str, flag: str) -> tuple[str, bool]:
    """``(source, is_local_dir)`` for a hub id or a local folder.

    Raises
    ------
    BackendError
        If ``model`` is clearly a path (absolute, ``./``, ``~`` or an existing file) but not a folder.
    """
    if not isinstance(model, (str, os.PathLike)) or not str(model).strip():
        raise InputError(f"`model` must be a hub id or a local folder, got {model!r}")
    text = str(model)
    path = Path(text).expanduser()
    if path.is_dir():
        return str(path), True
    looks_like_path = path.is_absolute() or text.startswith((".", "~")) or path.exists() or text.count("/") > 1
    if looks_like_path:
        raise BackendError(f"{what}: model folder {text} does not exist or is not a folder; pass {flag} DIR with an "
                           "existing checkpoint folder")
    return text, False


def not_local_message(model: str, *, what: str, flag: str, layout: str, offline: bool, detail: str = "") -> str:
    """The one-line error for a model that could not be loaded from the local cache."""
    why = ("is not in the local Hugging Face cache and downloads are off (local_files_only / HF_HUB_OFFLINE)"
           if offline else "could not be loaded or downloaded")
    tail = f" [{detail}]" if detail else ""
    return (f"{what}: model {model!r} {why}; pass a local folder instead ({flag} DIR, {layout}) "
            f"or download it once with `hf download {model}`{tail}")


def in_hub_cache(repo_id: str, filename: str) -> bool:
    """Whether ``filename`` of hub repo ``repo_id`` is in the local Hugging Face cache (no network)."""
    try:
        from huggingface_hub import try_to_load_from_cache  # noqa: PLC0415 - optional dependency
    except ImportError:  # pragma: no cover - a dependency of diffusers and transformers
        return True
    try:
        found = try_to_load_from_cache(repo_id, filename)
    except Exception:  # noqa: BLE001 - an invalid repo id: let the loader give its own message
        return False
    return isinstance(found, str)


class quiet_hub(warnings.catch_warnings):
    """Silence what the model libraries print while they import and load (not actionable for our users).

    huggingface_hub's deprecation noise about arguments its callers pass, and transformers / diffusers log
    lines (e.g. image processors falling back without torchvision) are muted; their verbosity is restored on
    exit, so a model-loading error reaches the user as one line.
    """

    def __enter__(self):
        out = super().__enter__()
        warnings.filterwarnings("ignore", message=".*local_dir_use_symlinks.*")
        warnings.filterwarnings("ignore", message=".*resume_download.*")
        self._levels = []
        for name in ("transformers", "diffusers"):  # transformers first: importing diffusers logs through it
            try:
                lib = importlib.import_module(f"{name}.utils.logging")
            except ImportError:
                continue
            self._levels.append((lib, lib.get_verbosity()))
            lib.set_verbosity_error()
        return out

    def __exit__(self, *exc):
        for lib, level in reversed(self._levels):
            lib.set_verbosity(level)
        return super().__exit__(*exc)


def first_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (at most 160 characters) of an exception."""
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0][:160]}" if text else exc.__class__.__name__
