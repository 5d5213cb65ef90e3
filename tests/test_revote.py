"""The re-vote after the refinement (Segmenter._revote): one more I-step on the refined mask, then the refinement."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import make_object_scene

from paintseg_layers.amcp import AMCPConfig, Segmenter
from paintseg_layers.errors import InputError
from paintseg_layers.eval.scenes import make_scene
from paintseg_layers.image import as_rgb
from paintseg_layers.masks import iou
from paintseg_layers.prompts import BoxPrompt


def _calls(monkeypatch):
    """Counts the re-votes of every Segmenter."""
    calls = []
    real = Segmenter._revote

    def spy(self, *args):
        calls.append(1)
        return real(self, *args)

    monkeypatch.setattr(Segmenter, "_revote", spy)
    return calls


def test_the_re_vote_runs_on_views_at_the_photo_s_resolution_only(monkeypatch):
    calls = _calls(monkeypatch)
    image, _, box = make_object_scene()
    cfg = AMCPConfig(working_size=128, samples=2, steps="I", paint_result=False, revote=True)
    Segmenter(image, config=cfg).segment(BoxPrompt(box), seed=0)  # 128 px: the photo's own resolution
    assert len(calls) == 1
    big, _, big_box = make_object_scene(h=384, w=512, box=(160, 112, 360, 288))
    Segmenter(big, config=cfg).segment(BoxPrompt(big_box), seed=0)  # a 200 px box on a 128 px view: coarser
    assert len(calls) == 1
    Segmenter(image, config=replace(cfg, revote=False)).segment(BoxPrompt(box), seed=0)
    assert len(calls) == 1


def test_the_re_vote_takes_the_banana_s_blob_out_of_the_orange_suit(grabcut_dir):
    """Peel benchmark scene 1003, object 0: a banana whose refined mask took a blob of the orange suit behind it
    (the blob taught GrabCut its colours); the re-vote's hole lies within a few px of the banana's rim."""
    scene = make_scene(1003)
    rgb, prompt, truth = as_rgb(scene.image), scene.prompts("box")[0], scene.objects[0].visible_mask
    cfg = AMCPConfig(working_size=160, samples=5, steps="IOI", paint_result=False, revote=True)
    off = Segmenter(rgb, config=replace(cfg, revote=False)).segment(prompt, seed=0)
    on = Segmenter(rgb, config=cfg).segment(prompt, seed=0)
    assert iou(on.mask, truth) > iou(off.mask, truth) + 0.1, (iou(off.mask, truth), iou(on.mask, truth))


def test_revote_is_checked():
    with pytest.raises(InputError, match="revote"):
        AMCPConfig(revote="yes")
