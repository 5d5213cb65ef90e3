"""Neural backends with tiny random models: the diffusion painter and the DINO projectors.

Every model is built from a config with random weights, saved with ``save_pretrained`` into a
temporary folder in the standard layout (a diffusers pipeline folder with ``model_index.json``; a
transformers folder with ``config.json``) and loaded back through the backends' real loading code
with ``local_files_only``. Nothing is downloaded: ``HF_HUB_OFFLINE`` is set before diffusers or
transformers are imported. The models are built once per module and paint with 2 denoising steps.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before huggingface_hub reads it

import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from paintseg_layers.errors import BackendError, InputError  # noqa: E402

TINY_STEPS = 2


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny models on a shared 2-core machine run faster, and steadier, on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# -- tiny checkpoints ------------------------------------------------------------------------------
def _tiny_unet_vae():
    from diffusers import AutoencoderKL, UNet2DConditionModel

    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=32, in_channels=9, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, attention_head_dim=8, norm_num_groups=32)
    vae = AutoencoderKL(
        block_out_channels=(32, 64), in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"), norm_num_groups=32, sample_size=64)
    return unet, vae


def _tiny_text():
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=2, pad_token_id=1, hidden_size=32, intermediate_size=37, num_attention_heads=4,
        num_hidden_layers=2, vocab_size=100, max_position_embeddings=77))
    # a tokenizer from a hand-written vocabulary (no hub files): specials plus a few words
    vocab = {"<|startoftext|>": 0, "!": 1, "<|endoftext|>": 2, "a</w>": 3, "red</w>": 4, "cat</w>": 5}
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    return text_encoder, tokenizer


def build_tiny_pipeline(folder, *, text: bool = True):
    """Save a tiny random Stable-Diffusion inpainting pipeline to ``folder``; returns the folder."""
    from diffusers import PNDMScheduler, StableDiffusionInpaintPipeline

    torch.manual_seed(0)
    unet, vae = _tiny_unet_vae()
    text_encoder, tokenizer = _tiny_text() if text else (None, None)
    pipe = StableDiffusionInpaintPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
        scheduler=PNDMScheduler(skip_prk_steps=True, steps_offset=1), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False)
    pipe.save_pretrained(folder)
    return folder


def build_tiny_vits(folder):
    from transformers import Dinov2Config, Dinov2Model, ViTConfig, ViTModel

    torch.manual_seed(0)
    vit = ViTModel(ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                             intermediate_size=37), add_pooling_layer=False)
    vit.save_pretrained(folder / "dino")
    dv2 = Dinov2Model(Dinov2Config(image_size=28, patch_size=14, hidden_size=32, num_hidden_layers=2,
                                   num_attention_heads=4, intermediate_size=37))
    dv2.save_pretrained(folder / "dinov2")
    return folder / "dino", folder / "dinov2"


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpt")
    sd = build_tiny_pipeline(root / "sd-inpaint")
    sd_notext = build_tiny_pipeline(root / "sd-inpaint-notext", text=False)
    dino, dinov2 = build_tiny_vits(root)
    return {"sd": sd, "sd_notext": sd_notext, "dino": dino, "dinov2": dinov2}


@pytest.fixture(scope="module")
def painter(ckpt):
    from paintseg_layers.painters.diffusion import DiffusionPainter

    return DiffusionPainter(ckpt["sd"], local_files_only=True, device="cpu", steps=TINY_STEPS)


@pytest.fixture(scope="module")
def painter_notext(ckpt):
    from paintseg_layers.painters import get_painter

    return get_painter("diffusion", model=str(ckpt["sd_notext"]), local_files_only=True, device="cpu",
                       steps=TINY_STEPS)


@pytest.fixture(scope="module", params=["dino", "dinov2"])
def projector(request, ckpt):
    from paintseg_layers.projectors import get_projector

    return get_projector(request.param, model=str(ckpt[request.param]), local_files_only=True, device="cpu",
                         input_size=56)


@pytest.fixture
def count_calls(monkeypatch):
    """Count calls of the inpainting pipeline class; returns the list of recorded call kwargs."""
    from diffusers import StableDiffusionInpaintPipeline

    calls = []
    original = StableDiffusionInpaintPipeline.__call__

    def counted(self, *args, **kwargs):
        calls.append({"batch": int(kwargs["image"].shape[0]), "height": kwargs.get("height"),
                      "width": kwargs.get("width"), "guidance": kwargs.get("guidance_scale")})
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StableDiffusionInpaintPipeline, "__call__", counted)
    return calls


def scene(h=64, w=64):
    """A grey-green background with a red square; returns (image, mask of the square)."""
    yy, xx = np.mgrid[:h, :w]
    img = np.stack([0.3 + 0.2 * xx / w, 0.5 + 0.1 * yy / h, 0.4 * np.ones((h, w))], -1).astype(np.float32)
    mask = np.zeros((h, w), bool)
    mask[h // 4: 3 * h // 4, w // 4: 3 * w // 4] = True
    img[mask] = (0.85, 0.15, 0.1)
    return img, mask


# -- painter: contract -------------------------------------------------------------------------------
def test_painter_loads_through_auto_pipeline(painter):
    assert type(painter.pipeline).__name__ == "StableDiffusionInpaintPipeline"
    assert painter.device.type == "cpu" and painter.dtype == torch.float32
    assert painter.resolution == 64 and painter.multiple == 8
    assert painter.uses_guidance is False  # empty prompt: guidance would be the identity
    assert type(painter.pipeline.scheduler).__name__ == "DPMSolverMultistepScheduler"


@pytest.mark.parametrize("n", [1, 3])
def test_painter_contract(painter, count_calls, n):
    img, mask = scene(40, 56)
    out = painter.paint(img, mask, n=n, seed=3)
    assert out.shape == (n, 40, 56, 3) and out.dtype == np.float32
    assert np.array_equal(out[:, ~mask], np.broadcast_to(img[~mask], (n, *img[~mask].shape)))
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert np.abs(out[:, mask] - img[mask]).mean() > 1e-3  # the hole was repainted
    # the n samples are one batched pipeline call with one generator per sample
    assert [c["batch"] for c in count_calls] == [n]
    if n > 1:
        assert np.abs(out[0] - out[1]).max() > 1e-3


def test_painter_same_seed_same_paintings(painter):
    img, mask = scene()
    a = painter.paint(img, mask, n=2, seed=7)
    b = painter.paint(img, mask, n=2, seed=7)
    c = painter.paint(img, mask, n=2, seed=8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_painter_accepts_uint8_and_empty_mask(painter, count_calls):
    img, mask = scene()
    u8 = (img * 255).round().astype(np.uint8)
    assert painter.paint(u8, mask, n=1, seed=0).shape == (1, 64, 64, 3)
    empty = painter.paint(img, np.zeros_like(mask), n=2, seed=0)
    assert np.array_equal(empty, np.stack([img, img]))
    assert len(count_calls) == 1  # nothing to paint, no pipeline call


@pytest.mark.parametrize("kwargs, match", [
    ({"mask": np.zeros((10, 10), bool)}, "mask"),
    ({"n": 0}, "n"),
    ({"n": 1.5}, "n"),
    ({"seed": -1}, "seed"),
    ({"image": np.zeros((64, 64, 5), np.float32)}, "image"),
])
def test_painter_bad_input_raises(painter, kwargs, match):
    img, mask = scene()
    args = {"image": img, "mask": mask, "n": 1, "seed": 0, **kwargs}
    with pytest.raises(InputError, match=match):
        painter.paint(args.pop("image"), args.pop("mask"), **args)


def test_paint_batch_one_call_for_differing_masks(painter, count_calls):
    img, mask = scene()
    from scipy.ndimage import binary_dilation

    masks = np.stack([binary_dilation(mask, iterations=r) for r in (0, 2, 4)])
    out = painter.paint_batch(img, masks, seed=1)
    assert out.shape == (3, 64, 64, 3)
    assert [c["batch"] for c in count_calls] == [3]
    for i in range(3):
        assert np.array_equal(out[i][~masks[i]], img[~masks[i]])
    with pytest.raises(InputError, match="masks"):
        painter.paint_batch(img, mask, seed=0)


def test_painter_crops_large_images_and_maps_back(painter, count_calls):
    rng = np.random.default_rng(0)
    img = rng.random((300, 420, 3)).astype(np.float32)
    mask = np.zeros((300, 420), bool)
    mask[100:130, 200:250] = True
    out = painter.paint(img, mask, n=1, seed=0)
    assert out.shape == (1, 300, 420, 3)
    assert np.array_equal(out[0][~mask], img[~mask])
    (call,) = count_calls
    # painted at the model's resolution, sizes multiples of 8, not the whole image
    assert call["height"] % 8 == 0 and call["width"] % 8 == 0
    assert max(call["height"], call["width"]) == painter.resolution


def test_painter_size_rules():
    from paintseg_layers.painters.crops import crop_box, paint_size, round_up

    assert round_up(1, 8) == 8 and round_up(64, 8) == 64 and round_up(65, 8) == 72
    assert paint_size((100, 50), 512, 64) == (512, 256)
    assert paint_size((300, 301), 512, 64) == (512, 512)
    m = np.zeros((1000, 1000), bool)
    m[400:500, 450:470] = True
    assert crop_box(m, 0.5, 16) == (400, 350, 520, 550)


def test_painter_without_text_encoder_uses_zero_embeddings(painter_notext, count_calls):
    assert painter_notext.pipeline.text_encoder is None and painter_notext.pipeline.tokenizer is None
    img, mask = scene()
    out = painter_notext.paint(img, mask, n=2, seed=0)
    assert out.shape == (2, 64, 64, 3) and len(count_calls) == 1
    emb = painter_notext._conditioning()["prompt_embeds"]
    assert tuple(emb.shape) == (1, 77, 32) and not emb.any()


def test_painter_text_prompt_with_guidance(ckpt, count_calls):
    from paintseg_layers.painters.diffusion import DiffusionPainter

    p = DiffusionPainter(ckpt["sd"], local_files_only=True, device="cpu", steps=TINY_STEPS, prompt="a red cat",
                         scheduler="ddim")
    assert p.uses_guidance
    img, mask = scene()
    assert p.paint(img, mask, n=2, seed=0).shape == (2, 64, 64, 3)
    assert count_calls[0]["guidance"] == pytest.approx(7.5)


def test_painter_text_prompt_without_tokenizer_fails(painter_notext):
    from paintseg_layers.painters.diffusion import DiffusionPainter

    p = DiffusionPainter(pipeline=painter_notext.pipeline, prompt="a cat", steps=TINY_STEPS)
    img, mask = scene()
    with pytest.raises(BackendError, match="tokenizer"):
        p.paint(img, mask)


def test_painter_accepts_injected_pipeline(painter):
    from paintseg_layers.painters.diffusion import DiffusionPainter

    p = DiffusionPainter(pipeline=painter.pipeline, steps=TINY_STEPS, scheduler="pipeline")
    img, mask = scene()
    assert np.array_equal(p.paint(img, mask, n=1, seed=5), painter.paint(img, mask, n=1, seed=5))


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 0}, "steps"), ({"guidance": -1.0}, "guidance"), ({"scheduler": "nope"}, "scheduler"),
    ({"dtype": "int8"}, "dtype"),
    ({"device": "cuda:0"} if not torch.cuda.is_available() else {"device": "nodev"}, "device"),
    ({"resolution": 4}, "resolution"), ({"margin": -1}, "margin"),
])
def test_painter_bad_options_raise(ckpt, kwargs, match):
    from paintseg_layers.painters.diffusion import DiffusionPainter

    with pytest.raises(InputError, match=match):
        DiffusionPainter(ckpt["sd_notext"], local_files_only=True, **{"device": "cpu", **kwargs})


# -- offline behaviour --------------------------------------------------------------------------------
def test_missing_models_fail_fast_with_one_line(tmp_path):
    from paintseg_layers.painters.diffusion import DiffusionPainter
    from paintseg_layers.projectors.dino import DinoProjector, Dinov2Projector

    for make, flag in ((DiffusionPainter, "--painter-model"), (DinoProjector, "--projector-model"),
                       (Dinov2Projector, "--projector-model")):
        with pytest.raises(BackendError) as err:
            make("nobody/no-such-model", local_files_only=True)
        msg = str(err.value)
        assert "\n" not in msg and "'nobody/no-such-model'" in msg and "local" in msg and flag in msg
    with pytest.raises(BackendError, match="model_index.json"):
        DiffusionPainter(tmp_path, local_files_only=True)  # an existing folder that is not a pipeline
    with pytest.raises(BackendError, match="does not exist"):
        DinoProjector(str(tmp_path / "missing" / "dir"), local_files_only=True)


def test_local_files_only_follows_hf_hub_offline(monkeypatch):
    from paintseg_layers._hub import offline_default

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert offline_default(None) is True and offline_default(False) is False
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert offline_default(None) is False and offline_default(True) is True


def test_missing_package_names_the_extra(monkeypatch):
    from paintseg_layers.painters.diffusion import DiffusionPainter
    from paintseg_layers.projectors.dino import DinoProjector

    monkeypatch.setitem(sys.modules, "diffusers", None)
    monkeypatch.setitem(sys.modules, "transformers", None)
    for make in (DiffusionPainter, DinoProjector):
        with pytest.raises(BackendError, match=r"paintseg_layers\[diffusion\]"):
            make("x/y", local_files_only=True)


def test_import_is_light():
    code = ("import sys, paintseg_layers.painters.diffusion, paintseg_layers.projectors.dino; "
            "print(sorted(m for m in ('diffusers', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- projectors ---------------------------------------------------------------------------------------
def test_projector_contract(projector):
    rng = np.random.default_rng(0)
    images = rng.random((3, 40, 52, 3)).astype(np.float32)
    feats = projector.project(images)
    assert feats.shape == (3, 40, 52, 32) and feats.dtype == np.float32
    assert np.isfinite(feats).all()
    assert np.array_equal(feats, projector.project(images))  # deterministic
    np.testing.assert_allclose(projector.project(images[1])[0], feats[1], atol=1e-5)  # batch-invariant
    assert np.abs(feats[0] - feats[1]).max() > 1e-3
    norms = np.linalg.norm(feats, axis=-1)
    assert norms.max() <= 1 + 1e-4 and norms.min() > 0.1  # unit patch features, bilinearly interpolated
    u8 = projector.project((images * 255).round().astype(np.uint8))
    assert u8.shape == feats.shape


def test_projector_bad_input_raises(projector):
    with pytest.raises(InputError, match="images"):
        projector.project(np.zeros((2, 16, 16), np.float32))
    with pytest.raises(InputError, match="images"):
        projector.project(np.zeros((1, 1, 16, 3), np.float32))


def test_projector_grid_and_input_size(ckpt):
    from paintseg_layers.projectors.dino import DinoProjector

    p = DinoProjector(ckpt["dino"], local_files_only=True, device="cpu", input_size=80)  # off the 32 px config
    assert p.grid((40, 80)) == (5, 10)
    assert p.project(np.zeros((1, 40, 80, 3), np.float32)).shape == (1, 40, 80, 32)
    with pytest.raises(InputError, match="input_size"):
        DinoProjector(ckpt["dino"], local_files_only=True, input_size=2)


# -- AMCP and the CLI end to end ----------------------------------------------------------------------
def _agreeing_seed(samples: int) -> int:
    """A seed whose first I-step draws the same dilation for every sample in today's AMCP loop.

    The Segmenter groups samples by painted region and calls the painter once per group; with
    ``band=0`` every O-step region agrees, and with this seed the first I-step's do too, so the
    loop makes one pipeline call per step. (Once the Segmenter batches differing regions through
    ``paint_batch``, any seed gives one call per step.)
    """
    for s in range(1000):
        if len(set(np.random.default_rng([s, 0]).integers(-1, 2, size=samples).tolist())) == 1:
            return s
    raise AssertionError("no seed found")


def test_amcp_makes_one_batched_pipeline_call_per_step(painter, count_calls):
    from paintseg_layers.amcp import AMCPConfig, Segmenter
    from paintseg_layers.prompts import BoxPrompt

    img, _ = scene()
    cfg = AMCPConfig(steps="IO", samples=3, band=0, refine=False, paint_result=False)
    res = Segmenter(img, painter=painter, projector="lab", config=cfg).segment(BoxPrompt((10, 10, 54, 54)),
                                                                              seed=_agreeing_seed(3))
    assert len(res.history) == 2
    assert [c["batch"] for c in count_calls] == [3, 3]


def _write_scene(tmp_path):
    from PIL import Image

    img, _ = scene()
    path = tmp_path / "scene.png"
    Image.fromarray((img * 255).round().astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("proj", ["dino", "dinov2"])
def test_cli_segment_end_to_end(ckpt, tmp_path, monkeypatch, count_calls, capsys, proj):
    from PIL import Image

    import paintseg_layers.painters.diffusion as diffusion
    from paintseg_layers.cli import main

    monkeypatch.setattr(diffusion, "DEFAULT_STEPS", TINY_STEPS)  # the CLI has no flag for denoising steps
    path = _write_scene(tmp_path)
    masks = []
    runs = 2 if proj == "dino" else 1  # determinism once is enough
    for run in range(runs):
        out = tmp_path / f"mask{run}.png"
        argv = ["segment", str(path), "--box", "10", "10", "54", "54", "--painter", "diffusion", "--painter-model",
                str(ckpt["sd"]), "--projector", proj, "--projector-model", str(ckpt[proj]), "--device", "cpu",
                "-o", str(out), "--samples", "2", "--steps", "IO", "--seed", "4", "--no-progress"]
        assert main(argv) == 0, capsys.readouterr().err
        m = np.asarray(Image.open(out))
        assert m.shape == (64, 64) and set(np.unique(m)) <= {0, 255}
        masks.append(m)
    assert np.array_equal(masks[0], masks[-1])  # same seed, same result
    # every sample of every step was painted, grouped into batched calls (at most one per sample)
    per_run = count_calls[: len(count_calls) // runs]
    assert sum(c["batch"] for c in per_run) == 2 * 2 and 2 <= len(per_run) <= 4
    assert all(c["height"] == 64 and c["width"] == 64 for c in count_calls)


def test_cli_missing_model_exits_2_with_one_line(tmp_path, capsys):
    from paintseg_layers.cli import main

    path = _write_scene(tmp_path)
    for argv_tail in (["--painter", "diffusion", "--painter-model", "nobody/no-such-inpainting"],
                      ["--projector", "dino", "--projector-model", "nobody/no-such-vit"]):
        rc = main(["segment", str(path), "--box", "10", "10", "54", "54", "-o", str(tmp_path / "m.png"),
                   "--no-progress", *argv_tail])
        err = capsys.readouterr().err.strip()
        assert rc == 2
        assert len(err.splitlines()) == 1 and "nobody/no-such-" in err and "local" in err
    assert not (tmp_path / "m.png").exists()
