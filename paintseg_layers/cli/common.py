"""Flags and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from paintseg_layers.amcp.config import AMCPConfig
from paintseg_layers.amcp.presets import PRESETS, get_preset
from paintseg_layers.errors import InputError
from paintseg_layers.imageio import read_label_map, read_mask
from paintseg_layers.painters import DEFAULT_PAINTER, PAINTERS, StepPainters, get_painter
from paintseg_layers.projectors import DEFAULT_PROJECTOR, PROJECTORS, get_projector
from paintseg_layers.prompts import BoxPrompt, MaskPrompt, PointPrompt, ScribblePrompt, check_prompt


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {v}")
        return v

    return parse


#: argparse types: integers >= 1 and >= 0, with one-line messages naming the received value
positive_int = _int_at_least(1)
nonneg_int = _int_at_least(0)


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
    g.add_argument("--seed", type=nonneg_int, default=0, help="random seed (default 0); same seed, same result")
    g.add_argument("--samples", type=positive_int, default=None, help="painted samples per step (default 5)")
    g.add_argument("--steps", default=None, help="step sequence of I and O, e.g. IOIOI (default IOI)")
    g.add_argument("--working-size", type=positive_int, default=None,
                   help="long side of the working resolution (default 320)")
    g.add_argument("--no-refine", action="store_true", help="skip the graph-cut refinement")
    g.add_argument("--no-progress", action="store_true", help="hide progress bars")


def backend_options(args):
    """``(painter name, painter options, projector name, projector options)`` from the flags and ``--preset``.

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
    return pentry.name, popts, jentry.name, jopts


def make_backends(args):
    """Painter and projector instances from the flags (model/device passed only when given)."""
    pname, popts, jname, jopts = backend_options(args)
    preset = get_preset(args.preset) if getattr(args, "preset", None) else None
    painter = get_painter(pname, **popts)
    if preset and preset.o_painter and pname == preset.painter:
        device = {"device": args.device} if args.device is not None else {}
        painter = StepPainters(painter, get_painter(preset.o_painter, **preset.o_painter_options, **device))
    return painter, get_projector(jname, **jopts)


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
    one = "append" if repeatable else "store"
    g.add_argument("--box", nargs=4, type=float, action=one, metavar=("X0", "Y0", "X1", "Y1"),
                   help="box around the object (pixels; x1, y1 exclusive)")
    g.add_argument("--point", nargs=2, type=float, action="append", metavar=("X", "Y"),
                   help="a click on the object (repeatable)")
    g.add_argument("--neg-point", nargs=2, type=float, action="append", metavar=("X", "Y"),
                   help="a click off the object (repeatable)")
    g.add_argument("--mask", type=Path, action=one, help="coarse mask file (non-zero = object)")
    g.add_argument("--scribble", type=Path, action=one,
                   help="scribble file: 255 object strokes, 0 background strokes, 128 unmarked (or a plain stroke "
                        "mask)")


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


def check_output(path: Path, name: str = "-o") -> Path:
    path = Path(path)
    if path.exists() and path.is_dir():
        raise InputError(f"`{name}` must be a file path, got a directory: {path}")
    if not path.parent.exists():
        raise InputError(f"`{name}` folder does not exist: {path.parent}")
    return path
