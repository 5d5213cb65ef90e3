"""Flags and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from paintseg_layers.amcp.config import AMCPConfig
from paintseg_layers.amcp.presets import PRESETS, build_backends, get_preset
from paintseg_layers.errors import InputError
from paintseg_layers.imageio import check_writable, read_label_map, read_mask
from paintseg_layers.painters import DEFAULT_PAINTER, PAINTERS
from paintseg_layers.projectors import DEFAULT_PROJECTOR, PROJECTORS
from paintseg_layers.prompts import BoxPrompt, MaskPrompt, PointPrompt, ScribblePrompt, check_prompt


def _int_at_least(minimum: int, maximum: int | None = None):
    rule = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"

    def parse(text: str) -> int:
        try:
            v = int(text[:40])
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer {rule}, got {text[:40]!r}") from None
        if v < minimum or (maximum is not None and v > maximum):
            raise argparse.ArgumentTypeError(f"expected an integer {rule}, got {v}")
        return v

    return parse


def _steps(text: str) -> str:
    if not 1 <= len(text) <= MAX_STEPS or set(text.upper()) - {"I", "O"}:
        shown = text if len(text) <= 40 else f"{text[:37]}... ({len(text)} letters)"
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_STEPS} letters I and O (e.g. IOIOI), got {shown!r}")
    return text


#: Upper bounds of the size-like flags: work and memory grow with each.
MAX_SAMPLES = 64
MAX_STEPS = 32
MAX_WORKING_SIZE = 4096
MAX_SEED = 2**32 - 1

#: argparse types: integers >= 1 and >= 0, with one-line messages naming the received value
positive_int = _int_at_least(1)
nonneg_int = _int_at_least(0)
bounded_int = _int_at_least


def add_backend_flags(p: argparse.ArgumentParser) -> None:
    """--painter/--projector (+ models, device), --seed, --samples, --steps, --working-size, --no-progress.

    Defaults are None so the library's defaults stay the single source of truth.
    """
    g = p.add_argument_group("backends and method")
    g.add_argument("--preset", default=None, choices=sorted(PRESETS),
                   help="named backends and settings; 'paper' = the reference's SD inpainting + DINO ViT-B/8 at 480 px "
                        "(needs weights); other flags override it")
    g.add_argument("--painter", default=None, help="painter name (see `paintseg backends`; default telea)")
    g.add_argument("--projector", default=None, help="projector name (default lab)")
    g.add_argument("--painter-model", default=None, metavar="ID_OR_DIR", help="checkpoint for a neural painter")
    g.add_argument("--projector-model", default=None, metavar="ID_OR_DIR", help="checkpoint for a neural projector")
    g.add_argument("--device", default=None, help="torch device for neural backends (cpu, cuda, cuda:1, mps)")
    g.add_argument("--seed", type=_int_at_least(0, MAX_SEED), default=0,
                   help=f"random seed in [0, {MAX_SEED}] (default 0); same seed, same result")
    g.add_argument("--samples", type=_int_at_least(1, MAX_SAMPLES), default=None,
                   help=f"painted samples per step, 1..{MAX_SAMPLES} (default 5)")
    g.add_argument("--steps", type=_steps, default=None,
                   help=f"step sequence of I and O, 1..{MAX_STEPS} letters, e.g. IOIOI (default IOI)")
    g.add_argument("--working-size", type=_int_at_least(32, MAX_WORKING_SIZE), default=None,
                   help=f"long side of the working resolution, 32..{MAX_WORKING_SIZE} (default 320)")
    g.add_argument("--no-refine", action="store_true", help="skip the graph-cut refinement")
    g.add_argument("--no-progress", action="store_true", help="hide progress bars")


def backend_options(args) -> dict:
    """The backends the flags and ``--preset`` ask for, as keyword arguments of :func:`run_batch`:
    ``painter``, ``painter_options``, ``projector``, ``projector_options``, ``o_painter`` (None unless the
    preset paints O-steps with another painter and ``--painter`` keeps the preset's) and ``o_painter_options``.

    ``--device`` goes to whichever backend is neural; ``--*-model`` to a neural backend only.
    """
    preset = get_preset(args.preset) if getattr(args, "preset", None) else None
    pentry = PAINTERS.entry(args.painter or (preset.painter if preset else DEFAULT_PAINTER))
    jentry = PROJECTORS.entry(args.projector or (preset.projector if preset else DEFAULT_PROJECTOR))
    if args.painter_model is not None and not pentry.neural:
        raise InputError(f"`--painter-model` applies to neural painters only, not {pentry.name!r}")
    if args.projector_model is not None and not jentry.neural:
        raise InputError(f"`--projector-model` applies to neural projectors only, not {jentry.name!r}")
    if args.device is not None and not (pentry.neural or jentry.neural):
        raise InputError(f"`--device` applies to neural backends only; painter {pentry.name!r} and projector "
                         f"{jentry.name!r} are weight-free")
    # --device goes to whichever of the two backends is neural
    popts = dict(preset.painter_options) if preset and pentry.name == preset.painter else {}
    jopts = dict(preset.projector_options) if preset and jentry.name == preset.projector else {}
    popts.update((k, v) for k, v in (("model", args.painter_model), ("device", args.device))
                 if v is not None and pentry.neural)
    jopts.update((k, v) for k, v in (("model", args.projector_model), ("device", args.device))
                 if v is not None and jentry.neural)
    o_name, oopts = None, {}
    if preset and preset.o_painter and pentry.name == preset.painter:
        o_name, oopts = preset.o_painter, dict(preset.o_painter_options)
        if args.device is not None and PAINTERS.entry(o_name).neural:
            oopts["device"] = args.device
    return {"painter": pentry.name, "painter_options": popts, "projector": jentry.name,
            "projector_options": jopts, "o_painter": o_name, "o_painter_options": oopts}


def make_backends(args):
    """Painter and projector instances from the flags (model/device passed only when given)."""
    return build_backends(**backend_options(args))


def make_config(args):

    over = {}
    if args.samples is not None:
        over["samples"] = args.samples
    if args.steps is not None:
        over["steps"] = args.steps
    if args.working_size is not None:
        over["working_size"] = args.working_size
    if args.no_refine:
        over["refine"] = False
    base = get_preset(args.preset).config() if getattr(args, "preset", None) else AMCPConfig()
    return replace(base, **over)


def add_prompt_flags(p: argparse.ArgumentParser, *, repeatable: bool = False) -> None:
    """--box / --point / --neg-point / --mask / --scribble."""
    g = p.add_argument_group("prompt (one of)")
    action = "append" if repeatable else "store"
    g.add_argument("--box", nargs=4, type=float, action=action, metavar=("X0", "Y0", "X1", "Y1"),
                   help="box around the object (pixels; x1, y1 exclusive)")
    g.add_argument("--point", nargs=2, type=float, action="append", metavar=("X", "Y"),
                   help="a click on the object (repeatable)")
    g.add_argument("--neg-point", nargs=2, type=float, action="append", metavar=("X", "Y"),
                   help="a click off the object (repeatable)")
    g.add_argument("--mask", type=Path, action=action, help="coarse mask file (non-zero = object)")
    g.add_argument("--scribble", type=Path, action=action,
                   help="scribble file: 255 object strokes, 0 background strokes, 128 unmarked "
                        "(or a plain stroke mask)")


def prompt_from_args(args, shape):
    """The single prompt named by the flags, validated against ``shape`` (H, W)."""

    given = [n for n in ("box", "point", "mask", "scribble") if getattr(args, n)]
    if args.neg_point and not args.point:
        raise InputError("`--neg-point` needs at least one `--point` on the object")
    if len(given) != 1:
        raise InputError(f"give exactly one prompt (--box, --point, --mask or --scribble), got {len(given) or 'none'}"
                         + (f": {', '.join('--' + g for g in given)}" if given else ""))
    kind = given[0]
    if kind == "box":
        prompt = BoxPrompt(tuple(args.box))
    elif kind == "point":
        prompt = PointPrompt(tuple(map(tuple, args.point)), tuple(map(tuple, args.neg_point or ())))
    elif kind == "mask":
        prompt = MaskPrompt(read_mask(args.mask, shape=shape, name="mask"))
    else:
        prompt = ScribblePrompt.from_label_map(read_label_map(args.scribble, shape=shape, name="scribble"))
    check_prompt(prompt, shape)
    return prompt


def check_output(path: Path, name: str = "-o", *, inputs=(), others=(), suffixes=None) -> Path:
    """Refuse an output before any work: a directory, an input file, another output, a bad suffix, no permission.

    Parameters
    ----------
    path : Path
        The output file.
    name : str
        Its flag, for messages.
    inputs : sequence of Path
        Files the command reads; writing over one of them is refused.
    others : sequence of (Path, str)
        Other outputs of the same command and their flags; two outputs at one path are refused.
    suffixes : sequence of str, optional
        Accepted suffixes (lower case, with the dot).
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise InputError(f"`{name}` must be a file path, got a directory: {path}")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise InputError(f"`{name}` must end in {', '.join(suffixes)}, got {path.name!r}")
    here = path.resolve()
    for source in inputs:
        if source is not None and Path(source).resolve() == here:
            raise InputError(f"`{name}` must not overwrite the input {source}; choose another file")
    for other, flag in others:
        if other is not None and Path(other).resolve() == here:
            raise InputError(f"`{name}` and `{flag}` name the same file {path}; choose two files")
    check_writable(path, name)
    return path


#: Suffixes :func:`~paintseg_layers.imageio.write_image` can write.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp")
