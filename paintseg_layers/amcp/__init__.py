"""AMCP: segment an object by contrasting the image with painted versions of it.

``config`` (settings), ``segmenter`` (the alternating I/O steps and the contrastive potential),
``objectscale`` (each object's working view: a crop at a scale chosen for it), ``confidence`` (how
much evidence the painting gave), ``result`` (what a segmentation returns), ``clustering`` (1-D
k-means binarisation), ``refine`` (the graph-cut refinement), ``paintout`` (painting an object
out), ``presets`` (named backend settings, e.g. the paper's).
"""

from paintseg_layers.amcp.config import AMCPConfig
from paintseg_layers.amcp.presets import PRESETS, Preset, get_preset
from paintseg_layers.amcp.refine import refine_mask
from paintseg_layers.amcp.result import SegmentationResult, StepRecord
from paintseg_layers.amcp.segmenter import Segmenter, paint_out, remove_object, segment

__all__ = ["AMCPConfig", "PRESETS", "Preset", "SegmentationResult", "Segmenter", "StepRecord", "get_preset",
           "paint_out", "refine_mask", "remove_object", "segment"]
