import numpy as np
import pytest

from paintseg_layers import BoxPrompt, InputError, MaskPrompt, PointPrompt, ScribblePrompt
from paintseg_layers.prompts import check_prompt

SHAPE = (60, 80)


@pytest.mark.parametrize("box", [(0, 0, 0, 10), (10, 10, 5, 20), (70, 10, 90, 20), (-1, 0, 10, 10), (0, 0, 10, 61)])
def test_bad_boxes(box):
    with pytest.raises(InputError, match="`box`"):
        check_prompt(BoxPrompt(box), SHAPE)


def test_box_masks():
    p = BoxPrompt((10, 20, 30, 40))
    check_prompt(p, SHAPE)
    m = p.initial_mask(SHAPE)
    assert m.sum() == 400 and m[20, 10] and not m[40, 30]
    v = p.valid_region(SHAPE)
    assert v[m].all() and v.sum() > m.sum()
    fg, bg = p.seeds(SHAPE)
    assert not fg.any() and (bg == ~v).all()
    half = p.scaled(0.5, 0.5)
    assert half.box == (5, 10, 15, 20)


def test_points():
    p = PointPrompt(((40, 30),), ((5, 5),))
    check_prompt(p, SHAPE)
    m = p.initial_mask(SHAPE)
    assert m[30, 40] and not m[5, 5]
    b = p.bump(SHAPE)
    assert b[30, 40] > 0.9 and b[5, 5] < -0.9
    with pytest.raises(InputError, match="inside the image"):
        check_prompt(PointPrompt(((80, 10),)), SHAPE)
    with pytest.raises(InputError, match="at least one positive"):
        check_prompt(PointPrompt(()), SHAPE)


def test_mask_prompt():
    m = np.zeros(SHAPE, bool)
    m[10:20, 10:30] = True
    check_prompt(MaskPrompt(m), SHAPE)
    with pytest.raises(InputError, match="match the image size"):
        check_prompt(MaskPrompt(m[:-1]), SHAPE)
    with pytest.raises(InputError, match="empty"):
        check_prompt(MaskPrompt(np.zeros(SHAPE, bool)), SHAPE)


def test_scribble_from_trimap():
    labels = np.full(SHAPE, 128, np.uint8)
    labels[20:22, 20:40] = 255
    labels[2:4, 2:20] = 0
    p = ScribblePrompt.from_label_map(labels)
    check_prompt(p, SHAPE)
    fg, bg = p.seeds(SHAPE)
    assert fg.sum() == 40 and bg.sum() == 36
    assert p.initial_mask(SHAPE)[fg].all()
    small = p.scaled(0.25, 0.25)
    assert small.foreground.any() and small.foreground.shape == (15, 20)
    with pytest.raises(InputError, match="at least one object pixel"):
        check_prompt(ScribblePrompt(np.zeros(SHAPE, bool)), SHAPE)


def test_wrong_prompt_type():
    with pytest.raises(InputError, match="BoxPrompt"):
        check_prompt((1, 2, 3, 4), SHAPE)
