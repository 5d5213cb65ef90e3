"""Multi-object data sets (``eval.datasets.list_frames``): ../shared/data/davis_multi and hostile tables."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHARED

from paintseg_layers.errors import InputError
from paintseg_layers.eval.datasets import list_frames, load_frame
from paintseg_layers.imageio import write_image

DAVIS = SHARED / "data" / "davis_multi"


@pytest.fixture
def davis_dir():
    if not (DAVIS / "instances.csv").is_file():
        pytest.skip("../shared/data/davis_multi is not present")
    return DAVIS


def test_davis_frames_pair_each_image_with_its_objects_masks_and_boxes(davis_dir):
    frames = list_frames(davis_dir)
    assert len(frames) == 121 and sum(len(f.masks) for f in frames) == 293
    assert [f.name for f in frames] == sorted(f.name for f in frames)
    assert all(2 <= len(f.masks) == len(f.boxes) for f in frames)
    for frame in frames[::30]:
        image, masks = load_frame(frame)
        assert image.shape[2] == 3
        for mask, box in zip(masks, frame.boxes):
            assert mask.shape == image.shape[:2] and mask.any()
            ys, xs = np.nonzero(mask)
            assert box == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)  # x1 / y1 exclusive
    assert len(list_frames(davis_dir, limit=3)) == 3


def _table(root, rows):
    (root / "images").mkdir()
    (root / "masks").mkdir()
    write_image(root / "images" / "a.png", np.zeros((8, 8, 3), np.float32))
    mask = np.zeros((8, 8), bool)
    mask[2:5, 3:6] = True
    write_image(root / "masks" / "a_00.png", mask)
    (root / "instances.csv").write_text("mask_stem,image_stem,object_index,davis_id,area,box_x0y0x1y1\n" + rows)


def test_a_small_table_loads(tmp_path):
    _table(tmp_path, "a_00,a,0,1,9,3 2 6 5\n")
    (frame,) = list_frames(tmp_path)
    image, (mask,) = load_frame(frame)
    assert frame.boxes == ((3.0, 2.0, 6.0, 5.0),) and mask.sum() == 9


@pytest.mark.parametrize("rows, match", [
    ("a_00,a,0,1,9,3 2 6\n", "four numbers"),
    ("a_00,a,0,1,9,3 2 six 5\n", "four numbers"),
    ("a_01,a,0,1,9,3 2 6 5\n", "names no mask"),
    ("a_00,b,0,1,9,3 2 6 5\n", "names no mask"),
    ("", "no frames"),
])
def test_a_bad_table_names_what_is_wrong(tmp_path, rows, match):
    _table(tmp_path, rows)
    with pytest.raises(InputError, match=match):
        list_frames(tmp_path)


def test_a_folder_without_a_table_is_refused(tmp_path):
    with pytest.raises(InputError, match="instances.csv"):
        list_frames(tmp_path)
