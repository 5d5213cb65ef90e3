"""Time one AMCP segmentation with PaintSeg's neural backends: reference protocol vs optimised path.

The models are built from configs in this file with random weights (the cost of a forward pass does
not depend on the weights), so nothing is downloaded:

* painter: a Stable-Diffusion-1.5-inpainting-shaped UNet (9 input channels, 320-640-1280-1280) and
  VAE (128-256-512-512), no text encoder (the empty prompt is a zero embedding);
* projector: a DINO ViT-S/8-shaped ``ViTModel`` (384 wide, 12 layers, patch 8).

Protocols, each timing one segmentation of a 512 x 512 image with a box prompt (AMCP steps
``IOIOI``, 5 samples per step, working size 512, no graph-cut refinement):

(a) **reference**: one pipeline call per sample, PNDM, 50 steps, guidance 7.5 run as two UNet
    branches, float32, unfused attention;
(b) **optimised**: the N samples of a step in one batched call, float16/bfloat16 on CUDA,
    DPM-Solver++ multistep with few steps, guidance skipped where it is the identity (empty
    prompt), SDPA attention, channels-last, optionally ``torch.compile``;
(c) **paper**: the optimised painter with the ``paper`` preset's projector, a DINO ViT-B/8-shaped
    ``ViTModel`` (768 wide, 12 layers) at the preset's input size (480 px), and its AMCP steps.

It prints pipeline calls, UNet evaluations (forward calls and latent rows), seconds per
segmentation and peak GPU memory for each, and the speed ratio. ``--smoke`` runs tiny shapes on
the CPU in seconds, so that CI can check that the script works.

Usage::

    python benchmarks/gpu_amcp.py                 # full size, CUDA when present
    python benchmarks/gpu_amcp.py --compile       # also torch.compile the UNet (optimised path)
    python benchmarks/gpu_amcp.py --smoke         # tiny shapes on the CPU
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from paintseg_layers.painters import BasePainter

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a benchmark never downloads

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


# -- model shapes --------------------------------------------------------------------------------
def unet_config(smoke: bool) -> dict:
    if smoke:
        return dict(sample_size=32, in_channels=9, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
                    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                    up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32, attention_head_dim=8)
    # runwayml/stable-diffusion-inpainting unet/config.json
    return dict(sample_size=64, in_channels=9, out_channels=4, layers_per_block=2,
                block_out_channels=(320, 640, 1280, 1280),
                down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
                up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
                cross_attention_dim=768, attention_head_dim=8, norm_num_groups=32)


def vae_config(smoke: bool) -> dict:
    if smoke:
        return dict(block_out_channels=(32, 64), in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1,
                    down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
                    sample_size=64)
    return dict(block_out_channels=(128, 256, 512, 512), in_channels=3, out_channels=3, latent_channels=4,
                layers_per_block=2, down_block_types=("DownEncoderBlock2D",) * 4,
                up_block_types=("UpDecoderBlock2D",) * 4, sample_size=512, norm_num_groups=32)


def vit_config(smoke: bool, base: bool = False) -> dict:
    if smoke:
        return dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=37)
    if base:  # facebook/dino-vitb8 (the paper preset)
        return dict(image_size=224, patch_size=8, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                    intermediate_size=3072)
    # facebook/dino-vits8
    return dict(image_size=224, patch_size=8, hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
                intermediate_size=1536)


def reference_scheduler():
    from diffusers import PNDMScheduler

    # Stable Diffusion 1.5's scheduler config
    return PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", skip_prk_steps=True,
                         steps_offset=1, set_alpha_to_one=False)


def build_pipeline(smoke: bool, device, seed: int):
    """A random-weight SD-1.5-inpainting-shaped pipeline, built directly on ``device`` (float32)."""
    import torch
    from diffusers import AutoencoderKL, StableDiffusionInpaintPipeline, UNet2DConditionModel

    torch.manual_seed(seed)
    with torch.device(device):
        unet = UNet2DConditionModel(**unet_config(smoke))
        vae = AutoencoderKL(**vae_config(smoke))
    return StableDiffusionInpaintPipeline(unet=unet, vae=vae, text_encoder=None, tokenizer=None,
                                          scheduler=reference_scheduler(), safety_checker=None, feature_extractor=None,
                                          requires_safety_checker=False)


def build_projector(smoke: bool, device, seed: int, input_size: int, base: bool = False):
    import torch
    from transformers import ViTConfig, ViTModel

    from paintseg_layers.projectors.dino import DinoProjector

    torch.manual_seed(seed)
    with torch.device(device):
        vit = ViTModel(ViTConfig(**vit_config(smoke, base)), add_pooling_layer=False)
    return DinoProjector(model_object=vit, device=device, input_size=input_size)


# -- painters for the two protocols ----------------------------------------------------------------
class PerSamplePainter(BasePainter):
    """The reference protocol: one pipeline call per sample (wraps a :class:`DiffusionPainter`)."""

    name = "diffusion"
    chooses_resolution = True
    wants_context = True  # the inner painter crops its own context, as on the optimised path

    def __init__(self, inner):
        self.inner = inner

    def paint(self, image, mask, *, n=1, seed=0):
        from paintseg_layers.painters.base import sample_seeds

        return np.concatenate([self.inner.paint(image, mask, n=1, seed=s) for s in sample_seeds(seed, n)])


class UNetCounter:
    """Counts UNet forward calls and latent rows (batch entries) through a forward pre-hook."""

    def __init__(self, unet):
        self.calls = 0
        self.rows = 0
        self._handle = unet.register_forward_pre_hook(self._hook, with_kwargs=True)

    def _hook(self, module, args, kwargs):
        sample = args[0] if args else kwargs["sample"]
        self.calls += 1
        self.rows += int(sample.shape[0])

    def reset(self):
        self.calls = self.rows = 0


class CountedPipeline:
    """Stands in for a pipeline and counts its calls; everything else is forwarded."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.pipeline(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.pipeline, name)


@dataclass
class Row:
    protocol: str
    dtype: str
    scheduler: str
    denoise_steps: int
    pipeline_calls: int
    unet_calls: int
    unet_rows: int
    seconds: float
    peak_gpu_mib: float | None
    area: int
    error: str = ""
    projector: str = ""


def scene(size: int) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A textured background with a textured ellipse; returns the image and a box around the ellipse."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size] / size
    img = np.stack([0.35 + 0.25 * xx, 0.55 + 0.1 * np.sin(12 * yy), 0.45 - 0.2 * yy], -1)
    img += 0.03 * rng.standard_normal(img.shape)
    obj = ((xx - 0.5) / 0.22) ** 2 + ((yy - 0.55) / 0.3) ** 2 <= 1
    img[obj] = np.array([0.8, 0.2, 0.15]) + 0.08 * np.sin(40 * xx[obj])[:, None]
    box = (0.22 * size, 0.2 * size, 0.78 * size, 0.9 * size)
    return np.clip(img, 0, 1).astype(np.float32), box


def run_protocol(name: str, args, device, image, box) -> Row:
    import torch

    from paintseg_layers.amcp import AMCPConfig, Segmenter, get_preset
    from paintseg_layers.painters.diffusion import DiffusionPainter
    from paintseg_layers.prompts import BoxPrompt

    ref = name == "reference"
    paper = get_preset("paper") if name == "paper" else None
    cuda = device.type == "cuda"
    dtype = "float32" if ref or not cuda else args.dtype
    steps = args.ref_steps if ref else args.fast_steps
    scheduler = "pipeline" if ref else "dpm++"
    pipe = build_pipeline(args.smoke, device, args.seed)
    if ref:
        from diffusers.models.attention_processor import AttnProcessor

        pipe.unet.set_attn_processor(AttnProcessor())  # unfused attention, as in the 2023 reference setup
        pipe.vae.set_attn_processor(AttnProcessor())
    else:
        from diffusers.models.attention_processor import AttnProcessor2_0

        pipe.unet.set_attn_processor(AttnProcessor2_0())  # PyTorch SDPA (flash / memory-efficient kernels)
        pipe.vae.set_attn_processor(AttnProcessor2_0())
    painter = DiffusionPainter(pipeline=pipe, device=device, dtype=dtype, steps=steps, guidance=7.5,
                               scheduler=scheduler, skip_null_guidance=not ref, channels_last=cuda and not ref,
                               compile=args.compile and not ref)
    unet_count = UNetCounter(painter.pipeline.unet)
    call_count = painter.pipeline = CountedPipeline(painter.pipeline)
    input_size = args.input_size
    cfg = AMCPConfig(steps=args.amcp_steps, samples=args.samples, working_size=args.size, refine=False,
                     paint_result=False)
    if paper is not None:
        # smoke keeps the tiny ViT at a tiny input; the full run uses the preset's size and steps
        input_size = args.input_size * 3 // 2 if args.smoke else paper.projector_options["input_size"]
        cfg = cfg if args.smoke else paper.config(cfg)
    projector = build_projector(args.smoke, device, args.seed, input_size, base=paper is not None)
    seg_painter = PerSamplePainter(painter) if ref else painter
    # warm-up: one painting of the same size (kernels, cuDNN autotuning, compilation of that shape)
    warm = np.zeros(image.shape[:2], bool)
    warm[image.shape[0] // 3: 2 * image.shape[0] // 3, image.shape[1] // 3: 2 * image.shape[1] // 3] = True
    painter.paint(image, warm, n=1 if ref else args.samples, seed=0)
    unet_count.reset()
    call_count.calls = 0
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.perf_counter()
    res = Segmenter(image, painter=seg_painter, projector=projector, config=cfg).segment(BoxPrompt(box), seed=args.seed)
    if cuda:
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if cuda else None
    row = Row(name, dtype, type(painter.pipeline.scheduler).__name__, steps, call_count.calls, unet_count.calls,
              unet_count.rows, seconds, peak, int(res.mask.sum()),
              projector=f"ViT-{'B' if paper is not None else 'S'}/8@{input_size} {cfg.steps}")
    del painter, pipe, projector
    if cuda:
        torch.cuda.empty_cache()
    return row


def format_table(rows: list[Row]) -> str:
    head = ("protocol", "dtype", "scheduler", "steps", "projector, AMCP", "pipe calls", "UNet calls", "UNet rows",
            "s/segmentation", "peak GPU MiB")
    lines = [head]
    for r in rows:
        if r.error:
            lines.append((r.protocol, r.dtype, "-", "-", "-", "-", "-", "-", "failed", r.error[:60]))
            continue
        lines.append((r.protocol, r.dtype, r.scheduler, str(r.denoise_steps), r.projector, str(r.pipeline_calls),
                      str(r.unet_calls), str(r.unet_rows), f"{r.seconds:.2f}",
                      "-" if r.peak_gpu_mib is None else f"{r.peak_gpu_mib:.0f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    fmt = lambda line: "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |"  # noqa: E731
    out = [fmt(lines[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [fmt(line) for line in lines[1:]]
    ok = {r.protocol: r for r in rows if not r.error}
    if "reference" in ok and "optimised" in ok and ok["optimised"].seconds > 0:
        out.append(f"speed ratio (reference / optimised): {ok['reference'].seconds / ok['optimised'].seconds:.1f}x; "
                   f"UNet rows ratio: {ok['reference'].unet_rows / max(1, ok['optimised'].unet_rows):.1f}x")
    if "paper" in ok and "optimised" in ok and ok["optimised"].seconds > 0:
        out.append(f"paper preset cost (paper / optimised): {ok['paper'].seconds / ok['optimised'].seconds:.1f}x")
    return "\n".join(out)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny shapes on the CPU (seconds), for CI")
    p.add_argument("--device", default=None, help="torch device (default: cuda when present, else cpu)")
    p.add_argument("--dtype", default="bfloat16", choices=["float16", "bfloat16"],
                   help="optimised-path dtype on CUDA (default bfloat16: random weights cannot overflow it)")
    p.add_argument("--size", type=int, default=None, help="image side and AMCP working size (default 512; smoke 64)")
    p.add_argument("--samples", type=int, default=None, help="painted samples per step (default 5; smoke 2)")
    p.add_argument("--amcp-steps", default=None, help="AMCP step sequence (default IOIOI; smoke IO)")
    p.add_argument("--ref-steps", type=int, default=None, help="reference denoising steps (default 50; smoke 3)")
    p.add_argument("--fast-steps", type=int, default=None, help="optimised denoising steps (default 10; smoke 2)")
    p.add_argument("--input-size", type=int, default=None, help="projector input size (default 224; smoke 32)")
    p.add_argument("--compile", action="store_true", help="torch.compile the UNet on the optimised path")
    p.add_argument("--only", choices=["reference", "optimised", "paper"], default=None, help="run one protocol only")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = p.parse_args(argv)
    smoke = args.smoke
    defaults = {"size": (512, 64), "samples": (5, 2), "amcp_steps": ("IOIOI", "IO"), "ref_steps": (50, 3),
                "fast_steps": (10, 2), "input_size": (224, 32)}
    for key, (full, tiny) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, tiny if smoke else full)
    if smoke and args.device is None:
        args.device = "cpu"
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import diffusers  # noqa: F401
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        print(f"gpu_amcp: needs the diffusion extra ({exc.name} missing): pip install 'paintseg_layers[diffusion]'",
              file=sys.stderr)
        return 2
    from paintseg_layers.painters.diffusion import resolve_device

    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    if device.type != "cuda" and not args.smoke:
        print("gpu_amcp: no CUDA device; the full-size run is a GPU benchmark (use --smoke for the CPU check)",
              file=sys.stderr)
    image, box = scene(args.size)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device: {device} ({name}); torch {torch.__version__}, diffusers {diffusers.__version__}; "
          f"image {args.size}x{args.size}, AMCP {args.amcp_steps} x {args.samples} samples; "
          f"{'smoke shapes' if args.smoke else 'SD-1.5-inpainting + ViT-S/8 shapes'}, random weights", flush=True)
    rows = []
    for proto in ("reference", "optimised", "paper"):
        if args.only and proto != args.only:
            continue
        try:
            rows.append(run_protocol(proto, args, device, image, box))
        except Exception as exc:  # noqa: BLE001 - report the failure in the table and go on
            rows.append(Row(proto, "-", "-", 0, 0, 0, 0, float("nan"), None, 0, error=f"{type(exc).__name__}: {exc}"))
        print(f"  {proto}: done", flush=True)
    print(format_table(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 1 if any(r.error for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
