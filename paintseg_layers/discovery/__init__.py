"""Discovery: find the objects of a scene without prompts (it turns an image into prompts; peel turns
prompts into layers).

PaintSeg refines coarse masks that the paper takes from an unsupervised method (TokenCut: a normalised
cut on self-supervised features). This subpackage is that front end, on superpixels:

1. **Graph** (:mod:`~paintseg_layers.discovery.superpixels`). The image is brought to ``working_size`` px
   (long side) and cut into SLIC superpixels. Each superpixel's node feature is the mean of the
   projector's per-pixel features over it (DINO when the caller picked it, the weight-free ``lab``
   projector otherwise), plus its centroid. The affinity of two superpixels is
   ``exp(-d_f^2 / 2 s_f) * exp(-d_xy^2 / 2 s_xy^2)`` (``d_f^2`` the squared feature distance, ``s_f``
   its median over adjacent superpixels, ``s_xy`` = ``spatial_sigma`` x the image diagonal): a dense
   graph, as in TokenCut.
2. **Candidates** (:mod:`~paintseg_layers.discovery.candidates`), pooled in this order: a MaskCut-style
   repeated normalised cut (Fiedler vector of the normalised Laplacian, Ncut-optimal threshold; the
   best part of each round leaves the graph; ``max_objects + 2`` rounds); spectral clustering at each
   k of ``clusters``; every merge of a Ward agglomeration (``agglomerate``); optionally the regions of
   :func:`skimage.graph.cut_normalized` (``skimage_ncut``); by default every merge of a hierarchical merging of
   fine Felzenszwalb regions along their weakest boundary (``boundary_merge``: the parts of a striped or
   two-colour object unite before the object crosses its outline) and the regions of
   :func:`skimage.segmentation.felzenszwalb` at each scale of ``felzenszwalb`` (whole objects at coarse
   scales, pixel-accurate outlines). Each connected part is a candidate.
3. **Objectness** (:func:`objectness`):
   ``score = contrast * separation * (1 - border_share) * sqrt(solidity) * boundary``, each term in
   [0, 1], ``boundary`` the share of the outline on a strong edge (``DiscoverConfig.outline``, on by
   default); with ``DiscoverConfig(evidence=True)`` also times ``painted`` (the change when painted
   out; :mod:`~paintseg_layers.discovery.evidence`).
4. **Selection** (:mod:`~paintseg_layers.discovery.ranking`): a candidate is *background-like* and
   dropped when it touches 3 or more image sides, covers more than ``max_area`` or less than
   ``min_area`` of the image, or scores below ``min_score``; so is one covering less than
   ``min_proposal_area`` (a high-contrast patch of a textured object). The rest are ranked by
   ``score * area ** size_prior``; a part of a larger, as well scoring candidate is dropped; then
   greedily, one overlapping a kept one (IoU > ``duplicate_iou`` or more than ``max_overlap`` of the
   smaller shared) is a duplicate and dropped; last, one scoring below ``min_relative`` times the best
   is dropped (a stopping rule: precision counts every extra proposal).
5. **Refinement** (:func:`discover`): each kept proposal goes through AMCP as a
   :class:`~paintseg_layers.prompts.MaskPrompt`; the refined mask is rescored and the drop and
   duplicate rules are applied again.

On a flat or noise-only image every candidate's contrast is near 0, so :func:`discover` returns an
empty list. :func:`exclude_prompted` drops the proposals that a user prompt already covers.
"""

from paintseg_layers.discovery.coarse import propose
from paintseg_layers.discovery.config import (
    CONTRAST_MIN_SCORE,
    EVIDENCE_MIN_SCORE,
    MIN_SCORE,
    OUTLINE_MIN_SCORE,
    DiscoverConfig,
)
from paintseg_layers.discovery.objectness import objectness
from paintseg_layers.discovery.proposal import Proposal
from paintseg_layers.discovery.ranking import exclude_prompted
from paintseg_layers.discovery.refine import discover

__all__ = ["CONTRAST_MIN_SCORE", "EVIDENCE_MIN_SCORE", "MIN_SCORE", "OUTLINE_MIN_SCORE", "DiscoverConfig", "Proposal",
           "discover", "exclude_prompted", "objectness", "propose"]
