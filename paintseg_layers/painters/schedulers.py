"""Denoising schedulers of the diffusion painter, by short name."""

from __future__ import annotations

from paintseg_layers.errors import InputError

_SCHEDULERS = {
    "dpm++": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++"}),
    "dpm++karras": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "use_karras_sigmas": True}),
    "unipc": ("UniPCMultistepScheduler", {}),
    "ddim": ("DDIMScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "pndm": ("PNDMScheduler", {"skip_prk_steps": True}),
}


def make_scheduler(scheduler, config):
    """A diffusers scheduler from a short name (built from ``config``) or a scheduler object as is."""
    import diffusers  # noqa: PLC0415 - optional heavy dependency, imported on use

    if isinstance(scheduler, str):
        key = scheduler.lower()
        if key not in _SCHEDULERS:
            raise InputError(f"`scheduler` must be one of {sorted(_SCHEDULERS) + ['pipeline']} or a diffusers "
                             f"scheduler, got {scheduler!r}")
        cls_name, opts = _SCHEDULERS[key]
        return getattr(diffusers, cls_name).from_config(config, **opts)
    if not hasattr(scheduler, "set_timesteps"):
        raise InputError(f"`scheduler` must be a name or a diffusers scheduler, got {type(scheduler).__name__}")
    return scheduler
