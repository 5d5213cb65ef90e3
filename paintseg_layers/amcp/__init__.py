"""AMCP: segment an object by contrasting the image with painted versions of it.

``segmenter`` (the alternating I/O steps and the contrastive potential), ``clustering``
(1-D k-means binarisation), ``refine`` (the graph-cut refinement).
"""

from paintseg_layers.amcp.segmenter import (
           AMCPConfig,
           SegmentationResult,
           Segmenter,
           StepRecord,
           paint_out,
           remove_object,
           segment,
)
from paintseg_layers.image import resize_image, upsample_soft, working_scale

__all__ = ["AMCPConfig", "SegmentationResult", "Segmenter", "StepRecord", "paint_out", "remove_object",
           "resize_image", "segment", "upsample_soft", "working_scale"]
