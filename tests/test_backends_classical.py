import numpy as np
import pytest
from contracts import check_painter_contract, check_projector_contract

from paintseg_layers.errors import BackendError
from paintseg_layers.painters import PAINTERS, get_painter
from paintseg_layers.projectors import PROJECTORS, get_projector


@pytest.mark.parametrize("name", ["telea", "ns", "patchmatch"])
def test_painter_contract(name):
    check_painter_contract(get_painter(name))


@pytest.mark.parametrize("name", ["lab", "texture"])
def test_projector_contract(name):
    check_projector_contract(get_projector(name))


def test_patchmatch_continues_texture():
    # stripes: an exemplar painter continues them into the hole, a smooth one averages them away
    h, w = 48, 64
    xx = np.mgrid[:h, :w][1]
    img = np.repeat(((xx // 4) % 2).astype(np.float32)[..., None], 3, axis=2)
    m = np.zeros((h, w), bool)
    m[16:32, 24:40] = True
    pm = get_painter("patchmatch").paint(img, m, n=1, seed=0)[0]
    tl = get_painter("telea").paint(img, m, n=1, seed=0)[0]
    contrast = lambda p: p[m].std()  # noqa: E731
    assert contrast(pm) > 0.35 > contrast(tl)


def test_unknown_backend_lists_available():
    with pytest.raises(BackendError, match="available: telea"):
        get_painter("nope")
    with pytest.raises(BackendError, match="lab"):
        get_projector("nope")


def test_registries_name_neural_backends_with_extras():
    assert PAINTERS.entry("diffusion").extra == "diffusion"
    assert {"dino", "dinov2"} <= set(PROJECTORS.names())
