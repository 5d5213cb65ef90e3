"""The neural path as the reference runs it, checked where tiny random models cannot see (issue 19).

Each test pins one choice that real weights need and that would quietly lower results if it came
back: context for the painter beyond AMCP's feature crop, masks grown to whole latent cells, SDXL's
strength and watermark, the reference preset, a per-step painter, the fp16 NaN guard, CPU offload,
minimal stretching. Models are tiny, random, built from configs; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import copy
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before huggingface_hub reads it

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from test_neural_backends import (  # noqa: E402, F401 - one_torch_thread: the same autouse fixture
    TINY_STEPS,
    _tiny_unet_vae,
    build_tiny_pipeline,
    build_tiny_vits,
    one_torch_thread,
    scene,
)

from paintseg_layers.errors import BackendError, InputError  # noqa: E402


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpt19")
    dino, dinov2 = build_tiny_vits(root)
    return {"sd": build_tiny_pipeline(root / "sd", text=False), "sdxl": build_tiny_sdxl(root / "sdxl"),
            "dino": dino, "dinov2": dinov2}


@pytest.fixture(scope="module")
def painter(ckpt):
    from paintseg_layers.painters.diffusion import DiffusionPainter

    return DiffusionPainter(ckpt["sd"], local_files_only=True, device="cpu", steps=TINY_STEPS)


def build_tiny_sdxl(folder):
    """A tiny random SDXL inpainting pipeline (no text encoders: zero embeddings), saved to ``folder``."""
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLInpaintPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=32, in_channels=9, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time",
        addition_time_embed_dim=8, projection_class_embeddings_input_dim=6 * 8 + 32, cross_attention_dim=64,
        norm_num_groups=32)
    _, vae = _tiny_unet_vae()
    pipe = StableDiffusionXLInpaintPipeline(
        vae=vae, text_encoder=None, text_encoder_2=None, tokenizer=None, tokenizer_2=None, unet=unet,
        scheduler=EulerDiscreteScheduler(steps_offset=1, timestep_spacing="leading"), requires_aesthetics_score=False,
        add_watermarker=False)
    pipe.save_pretrained(folder)
    return folder


@pytest.fixture
def pipeline_calls(monkeypatch):
    """Record the keyword arguments of every inpainting pipeline call (SD and SDXL)."""
    from diffusers import StableDiffusionInpaintPipeline, StableDiffusionXLInpaintPipeline

    calls = []
    for cls in (StableDiffusionInpaintPipeline, StableDiffusionXLInpaintPipeline):
        original = cls.__call__

        def recorded(self, *args, _original=original, **kwargs):
            calls.append(dict(kwargs))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__call__", recorded)
    return calls


# -- 1. context for the I-step ---------------------------------------------------------------------
def test_amcp_hands_the_diffusion_painter_context_beyond_its_crop(painter, pipeline_calls, monkeypatch):
    from paintseg_layers.amcp import AMCPConfig, Segmenter
    from paintseg_layers.painters.diffusion import DiffusionPainter
    from paintseg_layers.prompts import BoxPrompt

    rng = np.random.default_rng(0)
    img = rng.random((240, 240, 3)).astype(np.float32)
    cfg = AMCPConfig(steps="I", samples=2, refine=False, paint_result=False, crop_jitter=0)
    seen = []
    original = DiffusionPainter.paint_batch

    def spy(self, image, masks, *, seed=0):
        seen.append(image.shape[:2])
        return original(self, image, masks, seed=seed)

    monkeypatch.setattr(DiffusionPainter, "paint_batch", spy)
    monkeypatch.setattr(DiffusionPainter, "paint", lambda self, image, mask, *, n=1, seed=0:
                        spy(self, image, np.broadcast_to(mask, (n, *mask.shape)), seed=seed))
    box = BoxPrompt((80, 80, 160, 160))
    seg = Segmenter(img, painter=painter, projector="lab", config=cfg)
    res = seg.segment(box, seed=0)
    assert seen == [seg.work_shape]  # the whole working image, not AMCP's feature crop
    assert res.mask.shape == (240, 240)
    with_context = float(pipeline_calls[-1]["mask_image"].mean())
    # the same step with the context taken away: the painter sees AMCP's crop only
    monkeypatch.setattr(DiffusionPainter, "wants_context", False)
    Segmenter(img, painter=painter, projector="lab", config=cfg).segment(box, seed=0)
    crop_only = float(pipeline_calls[-1]["mask_image"].mean())
    # the painter's own margin (half the hole's side each way) makes the hole about a quarter of what it
    # sees; clipped to AMCP's crop it was nearly half (the issue measured 45-50 %)
    assert with_context < 0.33 and crop_only > 0.4


# -- 2. thin O-step bands at latent resolution -------------------------------------------------------
def test_grow_to_cells():
    from paintseg_layers.painters.crops import grow_to_cells

    m = np.zeros((1, 8, 8), bool)
    m[0, 3, 5] = True
    g = grow_to_cells(m, 4)
    assert g[0, :4, 4:].all() and g.sum() == 16
    assert np.array_equal(grow_to_cells(m, 1), m)
    with pytest.raises(ValueError, match="multiple"):
        grow_to_cells(np.zeros((1, 6, 8), bool), 4)


def test_pipeline_mask_covers_whole_latent_cells_around_a_thin_band(painter, pipeline_calls):
    import torch.nn.functional as F

    img, obj = scene(64, 64)
    from scipy.ndimage import binary_dilation

    band = binary_dilation(obj, iterations=1) & ~obj  # a 1 px O-step band
    out = painter.paint_batch(img, band[None], seed=0)
    assert np.array_equal(out[0][~band], img[~band])  # only the true hole is written back
    (call,) = pipeline_calls
    m = call["mask_image"]
    f = painter.latent_cell
    assert f == painter.pipeline.vae_scale_factor and f > 1
    h, w = m.shape[-2:]
    latent = F.interpolate(m, size=(h // f, w // f))  # what the pipeline does to reach the latent grid
    kept = latent.repeat_interleave(f, -2).repeat_interleave(f, -1)
    assert torch.equal(kept, m)  # nothing the painter masks is lost at latent resolution
    assert m.shape[-2:] == band.shape and bool(kept[0, 0][torch.from_numpy(band)].all())
    # undilated, the band would lose pixels to kept latent cells (the bug this guards against)
    raw = torch.from_numpy(band.astype(np.float32))[None, None]
    raw_kept = F.interpolate(raw, size=(h // f, w // f)).repeat_interleave(f, -2).repeat_interleave(f, -1)
    assert float(raw_kept[0, 0][torch.from_numpy(band)].mean()) < 0.9


# -- 3. SDXL inpainting ------------------------------------------------------------------------------
def test_sdxl_paints_below_strength_one_and_without_watermark(ckpt, pipeline_calls):
    from paintseg_layers.painters.diffusion import DiffusionPainter

    p = DiffusionPainter(ckpt["sdxl"], local_files_only=True, device="cpu", steps=TINY_STEPS)
    assert type(p.pipeline).__name__ == "StableDiffusionXLInpaintPipeline"
    assert p.strength < 1.0 and p.pipeline.watermark is None
    img, mask = scene()
    out = p.paint(img, mask, n=1, seed=0)
    assert np.isfinite(out).all() and np.array_equal(out[0][~mask], img[~mask])
    assert pipeline_calls[-1]["strength"] == pytest.approx(0.9999)


def test_sd_keeps_strength_one_and_strength_is_an_option(ckpt, painter, pipeline_calls):
    from paintseg_layers.painters.diffusion import DiffusionPainter

    assert painter.strength == 1.0
    p = DiffusionPainter(pipeline=painter.pipeline, steps=TINY_STEPS, strength=0.8)
    img, mask = scene()
    p.paint(img, mask, n=1, seed=0)
    assert pipeline_calls[-1]["strength"] == pytest.approx(0.8)
    for bad in (0, 1.5, True, "x"):
        with pytest.raises(InputError, match="strength"):
            DiffusionPainter(pipeline=painter.pipeline, strength=bad)


def test_sdxl_loads_without_watermarker_even_when_the_package_is_there(ckpt, monkeypatch):
    """The loading layer passes ``add_watermarker=False`` (pretend invisible-watermark is installed)."""
    import diffusers.pipelines.stable_diffusion_xl.pipeline_stable_diffusion_xl_inpaint as sdxl_mod

    from paintseg_layers.painters.diffusion_load import load_kwargs, load_pipeline

    class Stamp:
        def apply_watermark(self, images):
            return images * 0

    monkeypatch.setattr(sdxl_mod, "is_invisible_watermark_available", lambda: True)
    monkeypatch.setattr(sdxl_mod, "StableDiffusionXLWatermarker", Stamp, raising=False)
    pipe = load_pipeline(str(ckpt["sdxl"]), dtype=torch.float32, local_files_only=True)
    assert pipe.watermark is None
    assert "add_watermarker" not in load_kwargs({"_class_name": "StableDiffusionInpaintPipeline"}, torch.float32, None)


# -- 4. the reference preset and a painter per step kind -----------------------------------------------
def _backend_args(argv):
    from paintseg_layers.cli.common import add_backend_flags

    p = argparse.ArgumentParser()
    add_backend_flags(p)
    return p.parse_args(argv)


def test_paper_preset_resolves_to_the_reference_ids_and_sizes(ckpt):
    from paintseg_layers.amcp import get_preset
    from paintseg_layers.cli.common import make_backends, make_config

    paper = get_preset("paper")
    assert paper.painter == "diffusion" and paper.painter_options == {
        "model": "stable-diffusion-v1-5/stable-diffusion-inpainting", "resolution": 512}
    assert (paper.projector, paper.projector_options) == ("dino", {"model": "facebook/dino-vitb8", "input_size": 480})
    assert get_preset("paper-dinov2").projector_options == {"model": "facebook/dinov2-base", "input_size": 840}
    with pytest.raises(InputError, match="preset"):
        get_preset("nope")
    args = _backend_args(["--preset", "paper", "--painter-model", str(ckpt["sd"]), "--projector-model",
                          str(ckpt["dino"]), "--device", "cpu", "--samples", "3"])
    painter, projector = make_backends(args)
    assert painter.resolution == 512 and projector.input_size == 480 and projector.name == "dino"
    cfg = make_config(args)
    assert cfg.steps == "IOIOI" and cfg.samples == 3  # an explicit flag overrides the preset


def test_paper_preset_without_weights_names_the_reference_model(tmp_path, capsys):
    from paintseg_layers.cli import main

    img, _ = scene()
    from PIL import Image

    path = tmp_path / "s.png"
    Image.fromarray((img * 255).astype(np.uint8)).save(path)
    rc = main(["segment", str(path), "--box", "10", "10", "54", "54", "-o", str(tmp_path / "m.png"), "--preset",
               "paper", "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "stable-diffusion-v1-5/stable-diffusion-inpainting" in err


def test_step_painters_paint_i_and_o_steps_with_their_own_painter():
    from paintseg_layers.amcp import AMCPConfig, Segmenter
    from paintseg_layers.painters import StepPainters, get_painter
    from paintseg_layers.prompts import BoxPrompt

    log = []

    class Tagged:
        def __init__(self, tag, inner):
            self.tag, self.inner, self.name = tag, inner, inner.name
            self.chooses_resolution = self.batches_masks = False

        def paint(self, image, mask, *, n=1, seed=0):
            log.append(self.tag)
            return self.inner.paint(image, mask, n=n, seed=seed)

    img, obj = scene()
    both = StepPainters(Tagged("I", get_painter("telea")), Tagged("O", get_painter("ns")))
    assert both.name == "I:telea,O:ns"
    cfg = AMCPConfig(steps="IOI", samples=2, refine=False, paint_result=False, band=0, dilation=0)
    Segmenter(img, painter=both, projector="lab", config=cfg).segment(BoxPrompt((10, 10, 54, 54)), seed=0)
    assert [t for i, t in enumerate(log) if i == 0 or t != log[i - 1]] == ["I", "O", "I"]
    with pytest.raises(InputError, match="outpaint"):
        StepPainters(get_painter("telea"), "ns")


# -- 5. robustness with real models ------------------------------------------------------------------
def test_nan_painting_raises_the_backend_error(painter):
    from paintseg_layers.painters.diffusion import DiffusionPainter

    pipe = copy.deepcopy(painter.pipeline)
    with torch.no_grad():
        pipe.vae.decoder.conv_out.bias.fill_(float("nan"))  # what a float16 overflow looks like downstream
    p = DiffusionPainter(pipeline=pipe, steps=TINY_STEPS, scheduler="pipeline")
    img, mask = scene()
    with pytest.raises(BackendError, match="float32.*bfloat16"):
        p.paint(img, mask, n=1, seed=0)


def test_variant_is_passed_to_the_loader(ckpt):
    from paintseg_layers.painters.diffusion import DiffusionPainter
    from paintseg_layers.painters.diffusion_load import load_kwargs

    assert load_kwargs({}, torch.float16, "fp16")["variant"] == "fp16"
    with pytest.raises(BackendError, match="fp16"):  # the tiny checkpoint has no fp16 files
        DiffusionPainter(ckpt["sd"], local_files_only=True, device="cpu", variant="fp16")
    with pytest.raises(InputError, match="variant"):
        DiffusionPainter(ckpt["sd"], local_files_only=True, device="cpu", variant="")


def test_offloaded_pipeline_is_not_moved(ckpt, monkeypatch):
    from diffusers import DiffusionPipeline

    from paintseg_layers.painters.diffusion import DiffusionPainter

    events, inside = [], []
    original_offload, original_to = DiffusionPipeline.enable_model_cpu_offload, DiffusionPipeline.to

    def offload(self, *args, **kwargs):
        events.append("offload")
        inside.append(True)
        try:
            return original_offload(self, *args, **kwargs)
        finally:
            inside.pop()

    def to(self, *args, **kwargs):
        if not inside:
            events.append("to")
        return original_to(self, *args, **kwargs)

    monkeypatch.setattr(DiffusionPipeline, "enable_model_cpu_offload", offload)
    monkeypatch.setattr(DiffusionPipeline, "to", to)
    p = DiffusionPainter(ckpt["sd"], local_files_only=True, device="cpu", steps=TINY_STEPS, offload=True)
    assert events == ["offload"]
    img, mask = scene()
    out = p.paint(img, mask, n=1, seed=0)
    assert np.isfinite(out).all() and "to" not in events  # (diffusers re-arms its hooks after a call)
    events.clear()
    DiffusionPainter(ckpt["sd"], local_files_only=True, device="cpu", steps=TINY_STEPS)
    assert events == ["to"]  # without offload the pipeline is moved as a whole


def test_sizes_are_stretched_only_to_what_the_vae_needs(pipeline_calls):
    from diffusers import PNDMScheduler, StableDiffusionInpaintPipeline, UNet2DConditionModel

    from paintseg_layers.painters.diffusion import DiffusionPainter

    torch.manual_seed(0)
    unet = UNet2DConditionModel(  # four levels: the UNet downsamples latents 8x (16x in pixels)
        block_out_channels=(32, 32, 32, 32), layers_per_block=1, sample_size=32, in_channels=9, out_channels=4,
        down_block_types=("DownBlock2D",) * 3 + ("CrossAttnDownBlock2D",),
        up_block_types=("CrossAttnUpBlock2D",) + ("UpBlock2D",) * 3, cross_attention_dim=32, attention_head_dim=8,
        norm_num_groups=32)
    _, vae = _tiny_unet_vae()
    pipe = StableDiffusionInpaintPipeline(unet=unet, vae=vae, text_encoder=None, tokenizer=None,
                                          scheduler=PNDMScheduler(skip_prk_steps=True), safety_checker=None,
                                          feature_extractor=None, requires_safety_checker=False)
    p = DiffusionPainter(pipeline=pipe, device="cpu", steps=TINY_STEPS, resolution=72)
    assert p.multiple == 8 and p.resolution == 72
    img, mask = scene(40, 56)
    out = p.paint(img, mask, n=1, seed=0)
    assert (pipeline_calls[-1]["height"], pipeline_calls[-1]["width"]) == (56, 72)  # not 64 x 80
    assert np.isfinite(out).all()


def test_dino_potential_is_computed_on_the_device_not_from_full_size_features(ckpt, monkeypatch):
    from paintseg_layers.amcp import AMCPConfig, Segmenter
    from paintseg_layers.projectors import get_projector
    from paintseg_layers.prompts import BoxPrompt

    rng = np.random.default_rng(1)
    images = rng.random((3, 40, 52, 3)).astype(np.float32)
    for name in ("dino", "dinov2"):
        proj = get_projector(name, model=str(ckpt[name]), local_files_only=True, device="cpu", input_size=56,
                             batch_size=2)
        expected = ((proj.project(images[1:]) - proj.project(images[:1])) ** 2).sum(-1)
        pot = proj.contrast(images[1:], proj.reference(images[0]))
        assert pot.shape == (2, 40, 52) and pot.dtype == np.float32
        np.testing.assert_allclose(pot, expected, rtol=1e-4, atol=1e-5)
        with pytest.raises(InputError, match="reference"):
            proj.contrast(images[:, :20], proj.reference(images[0]))
    # AMCP never asks for the dense (B, H, W, C) features
    img, _ = scene()
    monkeypatch.setattr(type(proj), "project", lambda self, images: pytest.fail("dense features were computed"))
    cfg = AMCPConfig(steps="IO", samples=2, refine=False, paint_result=False)
    res = Segmenter(img, painter="telea", projector=proj, config=cfg).segment(BoxPrompt((10, 10, 54, 54)), seed=0)
    assert res.mask.any()


def test_preset_builds_a_painter_per_step_and_its_config():
    from paintseg_layers.amcp import AMCPConfig, Preset
    from paintseg_layers.painters import StepPainters

    preset = Preset("two", painter="telea", projector="lab", o_painter="ns", amcp={"steps": "IOIOI"})
    painter, projector = preset.backends()
    assert isinstance(painter, StepPainters) and painter.for_step("O").name == "ns" and projector.name == "lab"
    assert preset.config(AMCPConfig(samples=3)) == AMCPConfig(samples=3, steps="IOIOI")
