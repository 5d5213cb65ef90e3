"""Seeded synthetic scenes with everything known: background, amodal and visible masks, depth order.

A :class:`Scene` is a composite of 2 to 5 objects over a background. Objects are real cut-outs
(any folder of image/mask pairs, e.g. ``../shared/data/grabcut``) or simple textured shapes;
backgrounds are scikit-image's bundled photographs and textures or procedural ones. Objects are
placed so that they overlap in a controlled way (each occluded object keeps at least
``min_visible`` of its area visible) and are pasted back to front with hard (binary) alpha, so the
visible masks are exact. Object *prompt order* is shuffled independently of depth.

Examples
--------
>>> scene = make_scene(3, size=(128, 96), n_objects=2)
>>> len(scene.objects), scene.image.shape
(2, (96, 128, 3))
>>> [type(p).__name__ for p in scene.prompts("box")]
['BoxPrompt', 'BoxPrompt']
"""

from paintseg_layers.eval.scenes.crowd import make_crowd_scene
from paintseg_layers.eval.scenes.generate import make_scene, scene_set
from paintseg_layers.eval.scenes.model import Scene, SceneObject
from paintseg_layers.eval.scenes.sources import (
    BACKGROUNDS,
    SHAPES,
    default_cutouts,
    load_cutouts,
    make_background,
    make_shape,
)
from paintseg_layers.eval.scenes.truth import ground_truth_decomposition

__all__ = ["Scene", "SceneObject", "make_scene", "make_crowd_scene", "scene_set", "ground_truth_decomposition",
           "load_cutouts", "make_background", "make_shape", "default_cutouts", "SHAPES", "BACKGROUNDS"]
