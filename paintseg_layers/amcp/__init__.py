"""AMCP: segment an object by contrasting the image with painted versions of it.

``config`` (settings), ``segmenter`` (the alternating I/O steps and the contrastive potential),
``result`` (what a segmentation returns), ``clustering`` (1-D k-means binarisation), ``refine``
(the graph-cut refinement).
"""

from paintseg_layers.amcp.config import AMCPConfig
from paintseg_layers.amcp.refine import refine_mask
from paintseg_layers.amcp.result import SegmentationResult, StepRecord
from paintseg_layers.amcp.segmenter import Segmenter, paint_out, remove_object, segment

__all__ = ["AMCPConfig", "SegmentationResult", "Segmenter", "StepRecord", "paint_out", "refine_mask", "remove_object",
           "segment"]
