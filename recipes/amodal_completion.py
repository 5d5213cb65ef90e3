"""Recover the hidden shape of occluded objects (amodal completion) and show visible vs amodal masks.

    python recipes/amodal_completion.py                 # examples/shapes.png, truth in examples/shapes_truth/

Peeling continues the visible contour of each object behind others across the objects in front
(convex hull, straight sides, a fitted ellipse, checked against the nearest-owner rule), so its mask
grows into the part that was hidden; the hidden part's colours come from the object's own visible
pixels (exemplar synthesis). Each picture shows one layer: its *visible* mask (what the
photo shows) in green and the recovered *hidden* part (amodal minus visible) in magenta. With
``--truth DIR`` (``objN.amodal.png`` files) it prints the amodal IoU next to the trivial guess
(the visible mask). ``--amodal nearest`` is the no-painter control; real weights:
``--painter diffusion --device cuda`` and ``--projector dino``. Writes ``amodal.jpg``.
Shell equivalent: ``paintseg decompose examples/shapes.png $(cat examples/shapes.prompts) -o out/shapes``
(masks in ``out/shapes/objN.visible.png`` and ``objN.amodal.png``).
"""

import argparse
from pathlib import Path

import numpy as np
from _common import EXAMPLES, add_decompose_flags, decompose_from_args, panel, save

from paintseg_layers.image import to_uint8
from paintseg_layers.masks import iou


def main(argv=None):
    p = argparse.ArgumentParser(prog="amodal_completion.py", description=__doc__.splitlines()[0])
    add_decompose_flags(p)
    p.add_argument("--truth", type=Path, default=None,
                   help="folder with true objN.amodal.png masks (default: examples/shapes_truth for the example)")
    args = p.parse_args(argv)
    truth = args.truth or (EXAMPLES / "shapes_truth" if args.image == EXAMPLES / "shapes.png" else None)

    from paintseg_layers import read_mask

    image, dec = decompose_from_args(args)
    tiles, labels = [image], ["input"]
    for layer in dec.layers:
        # the image dimmed, the visible part green, the recovered hidden part magenta
        tile = 0.35 * image + 0.65 * 0.5
        tile[layer.visible_mask] = 0.45 * tile[layer.visible_mask] + 0.55 * np.array([0.1, 0.85, 0.2])
        tile[layer.hidden_mask] = 0.3 * tile[layer.hidden_mask] + 0.7 * np.array([0.95, 0.1, 0.85])
        tiles.append(to_uint8(tile))
        hidden = 100 * layer.hidden_mask.sum() / max(1, layer.amodal_mask.sum())
        labels.append(f"{layer.id}: {hidden:.0f}% was hidden")
        if truth is not None and (truth / f"{layer.id}.amodal.png").exists():
            true = read_mask(truth / f"{layer.id}.amodal.png")
            print(f"{layer.id} (depth {layer.depth}): amodal IoU {iou(layer.amodal_mask, true):.3f}, "
                  f"visible-mask guess {iou(layer.visible_mask, true):.3f}")
    save(args.out / "amodal.jpg", panel(tiles, labels))
    print(f"wrote {args.out}/amodal.jpg (green = visible, magenta = recovered hidden part)")


if __name__ == "__main__":
    main()
