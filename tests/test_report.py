"""``eval.report``: the IoU-vs-clicks SVG and the report folder, on a tiny synthetic data set."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from paintseg_layers.eval import list_dataset
from paintseg_layers.eval.cache import save_masks
from paintseg_layers.eval.report import iou_curve_svg, write_report
from paintseg_layers.imageio import write_image

SVG = "{http://www.w3.org/2000/svg}"


def _points(polyline) -> np.ndarray:
    return np.array([[float(v) for v in p.split(",")] for p in polyline.get("points").split()])


def test_iou_curve_svg_one_polyline_per_method_with_one_point_per_click():
    curves = {"default": [0.5, 0.7, 0.9, 0.95], "grabcut_clicks": [0.4, 0.6, 0.65, 0.7], "clicks": [0.2, 0.3, 0.3, 0.4]}
    root = ET.fromstring(iou_curve_svg(curves, width=520, height=320))
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 3
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert {"default", "grabcut_clicks", "clicks"} <= set(labels)
    for line, ys in zip(lines, curves.values()):
        pts = _points(line)
        assert len(pts) == len(ys)
        assert np.all(np.diff(pts[:, 0]) > 0)  # one point per click, left to right
        # higher IoU is drawn higher (smaller y), linearly: y = top + (1 - iou) * plot height
        assert np.allclose(pts[:, 1], 16 + (1 - np.array(ys)) * (320 - 16 - 40), atol=0.06)
    # every curve spans the same x range (clicks 1..K)
    assert len({(_points(ln)[0, 0], _points(ln)[-1, 0]) for ln in lines}) == 1


def test_iou_curve_svg_threshold_lines():
    root = ET.fromstring(iou_curve_svg({"default": [0.5, 1.0]}, thresholds=(0.85, 0.9, 0.95)))
    assert len(root.findall(f"{SVG}line")) == 3


@pytest.fixture
def dataset(tmp_path):
    """Three 40 x 30 images with a rectangle object each."""
    for sub in ("images", "masks"):
        (tmp_path / "data" / sub).mkdir(parents=True)
    for i in range(3):
        img = np.full((30, 40, 3), 0.2 + 0.2 * i, np.float32)
        gt = np.zeros((30, 40), bool)
        gt[5:20, 8 + i: 30] = True
        img[gt] = (0.9, 0.1, 0.1)
        write_image(tmp_path / "data" / "images" / f"im{i}.png", img)
        write_image(tmp_path / "data" / "masks" / f"im{i}.png", gt.astype(np.uint8) * 255)
    return list_dataset(tmp_path / "data")


def _record(name, iou, clicks=None):
    rec = {"name": name, "size": [40, 30], "object_frac": 0.3, "seconds": {"default": 0.1, "box": 0.0},
           "iou": {"default": iou, "box": 0.5}}
    if clicks is not None:
        rec["clicks"] = {"default": {"ious": clicks, "max_clicks": 4, "noc85": 2, "noc90": 3,
                                     "clicks": [{"x": 15, "y": 10, "positive": True}]}}
    return rec


def test_report_folder_holds_what_it_promises(dataset, tmp_path):
    ious = {"im0": 0.9, "im1": 0.3, "im2": 0.6}
    masks_of = {}
    for s in dataset:
        pred = np.zeros((30, 40), bool)
        pred[5:20, 10:30] = True
        masks_of[s.name] = tmp_path / f"{s.name}.npz"
        save_masks(masks_of[s.name], {"default": pred})
    masks_of["im2"] = None  # not cached: listed, not pictured
    out = write_report(tmp_path / "rep", text="| table |", protocol="box", samples=dataset,
                       records=[_record(n, v) for n, v in ious.items()], masks_of=masks_of, n_cases=2)
    rep = tmp_path / "rep"
    assert out == rep / "summary.md"
    md, page = out.read_text(), (rep / "index.html").read_text()
    assert "| table |" in md and "| table |" in page
    # best two by IoU: im0 then im2; worst two: im1 then im2
    best, worst = md.split("## Worst")
    assert best.index("im0: default IoU 0.900") < best.index("im2: default IoU 0.600")
    assert worst.index("im1: default IoU 0.300") < worst.index("im2: default IoU 0.600")
    assert "im2: default IoU 0.600, box 0.500 (no cached masks)" in md
    # every picture the pages link to exists, and nothing else is in the gallery
    linked_md = set(re.findall(r"\]\((gallery/[^)]+)\)", md))
    linked_html = set(re.findall(r'<img src="(gallery/[^"]+)"', page))
    assert linked_md == linked_html == {"gallery/best_im0.png", "gallery/worst_im1.png"}
    assert {f"gallery/{p.name}" for p in (rep / "gallery").iterdir()} == linked_md
    assert not (rep / "iou_vs_clicks.svg").exists()  # clicks protocol only


def test_clicks_report_plots_the_mean_curve(dataset, tmp_path):
    recs = [_record("im0", 0.9, [0.5, 0.9]), _record("im1", 0.3, [0.1, 0.2, 0.3, 0.4])]
    write_report(tmp_path / "rep", text="t", protocol="clicks", samples=dataset, records=recs, masks_of={})
    svg = (tmp_path / "rep" / "iou_vs_clicks.svg").read_text()
    lines = ET.fromstring(svg).findall(f"{SVG}polyline")
    assert len(lines) == 1
    pts = _points(lines[0])
    assert len(pts) == 4  # max_clicks points; im0 holds 0.9 after its early stop
    mean = np.array([0.3, 0.55, 0.6, 0.65])
    assert np.allclose(pts[:, 1], 16 + (1 - mean) * (320 - 16 - 40), atol=0.06)
    assert "![IoU vs clicks](iou_vs_clicks.svg)" in (tmp_path / "rep" / "summary.md").read_text()
