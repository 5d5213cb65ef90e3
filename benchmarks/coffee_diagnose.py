"""Where does the coffee spoon's wing come from? Traces issue 17's defect (2) through the first pass's stages.

    python benchmarks/coffee_diagnose.py                # seed 0
    python benchmarks/coffee_diagnose.py --seeds 0 1 2 3

``examples/coffee.png`` with its three boxes (``examples/coffee_parts.prompts``): the spoon layer keeps a small wing
of dark saucer red above and left of its bowl (the saucer in the cup's shadow, between the cup's lit foot and the
bowl). Printed per seed: the wing's pixels (dark red, C* >= 22 and L* < 40, in the hand-measured box x 176-205,
y 112-127, 314 px of it in the photo) that the spoon holds after each stage of
:func:`paintseg_layers.peel.first_pass.first_pass`: its own ``segment`` (AMCP votes, then the refinement's cut), the
claims (:func:`~paintseg_layers.peel.joint.nested_claims` then the nearest colour), the joint cut, and the final
visible mask; and how far (CIELAB, median over the wing of the mean distance to the 3 nearest samples) the wing's
colours lie from the spoon's other pixels (2 px in from its outline) and from a ring of 6 px round it (less the
cup's mask): the colour evidence the joint cut has.

Measured (seeds 0-3): the wing is in the spoon's own ``segment`` (AMCP votes 231-246 px of it, after the
refinement's cut 183-184) and no later stage moves it (183-184 px in the final layer, the same each seed); the joint
cut's colour costs over the wing (seed 0, last round) are a tie, spoon 9.21 against saucer 9.34 nats (the spoon's
bowl mirrors the red saucer: chroma median 24.5 over the rest of the spoon, 29.5 over the wing), and its colours lie
nearer the spoon's own (1.58) than the ring's (1.76-1.77). Paying the joint cut's ``prior`` only outside each raw
first-pass mask (the saucer's claim there no longer removed by the spoon's) left the wing as it was (184 px): the
smoothness along the spoon's dark neck keeps it. The refinement's GrabCut models start from the AMCP votes, which
also hold the cup's shaded body and the saucer's shadow (dark red), so the spoon's model keeps a dark-red
component; a GrabCut re-cut of the final spoon (3 iterations, its box, the cup's and the saucer's final pixels
hard background) keeps 182 of the 184 wing pixels and drops 346 px of the spoon itself. A fix needs the shape
(bowl and thin neck) or the segmentation itself, not colour.

Since :mod:`paintseg_layers.peel.lobes` (after the joint cut, so the ``joint`` column still shows 183-184): the wing is
a lobe of the cup's colour sticking out of the spoon between the objects, and the final layer keeps 29 px of it
(seeds 0-3; spoon 1966-1979 px, its steel lip's edge).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from unittest import mock

import cv2
import numpy as np
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paintseg_layers import masks as morph  # noqa: E402
from paintseg_layers.imageio import read_image  # noqa: E402
from paintseg_layers.peel import decompose  # noqa: E402
from paintseg_layers.peel import first_pass as fp  # noqa: E402
from paintseg_layers.prompts import BoxPrompt  # noqa: E402

WING_BOX = (slice(112, 128), slice(176, 206))  # (rows, columns): between the cup's lit foot and the spoon's bowl


def coffee():
    words = (ROOT / "examples" / "coffee_parts.prompts").read_text().split()
    boxes = [tuple(float(v) for v in words[k + 1: k + 5]) for k, word in enumerate(words) if word == "--box"]
    return read_image(ROOT / "examples" / "coffee.png"), [BoxPrompt(b) for b in boxes]


def wing_region(image):
    """The dark saucer red (C* >= 22, L* < 40) inside ``WING_BOX``."""
    lab = cv2.cvtColor(np.ascontiguousarray(image[..., :3], dtype=np.float32), cv2.COLOR_RGB2Lab)
    red = (np.hypot(lab[..., 1], lab[..., 2]) >= 22) & (lab[..., 0] < 40)
    box = np.zeros(red.shape, bool)
    box[WING_BOX] = True
    return box & red, box, lab


def colour_distance(lab, pixels, ref):
    """Median over ``pixels`` of the mean CIELAB distance to the 3 nearest of ``ref``'s colours."""
    d, _ = cKDTree(lab[ref]).query(lab[pixels], k=3)
    return float(np.median(d.mean(axis=1)))


def trace(image, prompts, seed):
    """The spoon's masks after each first-pass stage, and its final layer (prompt 1)."""
    seen = {}
    segment_all, joint = fp.segment_all, fp.joint_labelling

    def segments(*args, **kwargs):
        out = segment_all(*args, **kwargs)
        seen["votes"], seen["segment"] = out[0][1].amcp_mask, out[0][1].mask
        return out

    def joint_cut(rgb, resolved, valid, **kwargs):
        seen["claims"], seen["cup"] = resolved[1].copy(), kwargs["support"][0]
        out = joint(rgb, resolved, valid, **kwargs)
        seen["joint"] = out[1].copy()
        return out

    with mock.patch.object(fp, "segment_all", segments), mock.patch.object(fp, "joint_labelling", joint_cut):
        dec = decompose(image, prompts, seed=seed)
    seen["final"] = dec.layer(1).visible_mask
    return seen


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = ap.parse_args(argv)
    image, prompts = coffee()
    wing, box, lab = wing_region(image)
    print(f"wing region: {int(wing.sum())} px")
    stages = ("votes", "segment", "claims", "joint", "final")
    print("seed  " + "  ".join(f"{s:>8}" for s in stages) + "   spoon px   to spoon  to ring")
    for seed in args.seeds:
        seen = trace(image, prompts, seed)
        held = [int((seen[s] & wing).sum()) for s in stages]
        final = seen["final"]
        inner = morph.erode(final, 2) & ~box
        ring = morph.dilate(final, 6) & ~final & ~seen["cup"]
        pix = final & wing
        near = (colour_distance(lab, pix, inner), colour_distance(lab, pix, ring)) if pix.any() else (0.0, 0.0)
        print(f"{seed:>4}  " + "  ".join(f"{v:>8}" for v in held)
              + f"   {int(final.sum()):>8}   {near[0]:>8.2f} {near[1]:>8.2f}")


if __name__ == "__main__":
    main()
