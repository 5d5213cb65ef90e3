"""The backend registries: names, metadata, lazy loading, objects in place of names."""

import numpy as np
import pytest

from paintseg_layers.errors import BackendError
from paintseg_layers.painters import PAINTERS, BasePainter, get_painter
from paintseg_layers.projectors import PROJECTORS, BaseProjector, get_projector
from paintseg_layers.registry import Entry, Registry


def test_registered_names_and_metadata():
    assert PAINTERS.names() == ["telea", "ns", "patchmatch", "diffusion"]
    assert PROJECTORS.names() == ["lab", "texture", "dino", "dinov2"]
    neural = {e.name for reg in (PAINTERS, PROJECTORS) for e in reg.entries() if e.neural}
    assert neural == {"diffusion", "dino", "dinov2"}
    for reg in (PAINTERS, PROJECTORS):
        for e in reg.entries():
            assert e.summary
            assert (e.default_model is not None) == e.neural  # every neural backend names its checkpoint
            assert (e.extra is not None) == e.neural


def test_fixed_options_pick_the_variant():
    assert get_painter("telea").name == "telea"
    assert get_painter("ns").name == "ns"
    assert get_painter("telea", radius=3).radius == 3


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(BackendError, match="unknown painter 'magic'; available: telea, ns, patchmatch, diffusion"):
        get_painter("magic")
    with pytest.raises(BackendError, match="does not accept these options"):
        get_painter("telea", wings=2)


def test_objects_pass_through_and_must_declare_capabilities():
    class Mine(BasePainter):
        name = "mine"

        def paint(self, image, mask, *, n=1, seed=0):
            return np.repeat(np.asarray(image, np.float32)[None], n, axis=0)

    p = Mine()
    assert get_painter(p) is p and not p.chooses_resolution and not p.batches_masks

    class Bare:  # a duck without the declared capabilities
        name = "bare"

        def paint(self, image, mask, *, n=1, seed=0):
            return image

    with pytest.raises(BackendError, match="must declare"):
        get_painter(Bare())
    with pytest.raises(BackendError, match="apply to a painter name"):
        get_painter(p, radius=2)

    class Proj(BaseProjector):
        name = "p"

        def project(self, images):
            return images

    assert get_projector(Proj()).pixelwise is False
    assert get_projector("lab").pixelwise is True


def test_missing_optional_package_names_the_extra():
    reg = Registry("painter")
    reg.register(Entry("ghost", "nowhere:Nothing", extra="ghosts", requires=("no_such_module_xyz",), summary="x"))
    assert not reg.entry("ghost").installed()
    with pytest.raises(BackendError, match=r"pip install 'paintseg_layers\[ghosts\]'"):
        reg.create("ghost")
