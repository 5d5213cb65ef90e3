"""Settings of object discovery: :class:`DiscoverConfig` and the default score threshold."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from paintseg_layers.errors import InputError, check_known_keys

#: Proposals scoring below this are background-like (the default of ``min_score``; the default score has
#: the ``boundary`` factor, ``outline=True``).
MIN_SCORE = 0.25
#: ``min_score`` to use with ``outline=True`` (the default, so the same as :data:`MIN_SCORE`).
OUTLINE_MIN_SCORE = MIN_SCORE
#: ``min_score`` to use with ``outline=False`` (the score without the ``boundary`` factor).
CONTRAST_MIN_SCORE = 0.3
#: ``min_score`` to use with ``evidence=True`` (the score has the ``boundary`` and ``painted`` factors).
EVIDENCE_MIN_SCORE = 0.2


@dataclass(frozen=True)
class DiscoverConfig:
    """Settings of :func:`~paintseg_layers.discovery.discover` (sizes at the discovery resolution).

    Attributes
    ----------
    working_size : int
        Long side, in px, at which proposals are computed.
    n_segments : int
        Target number of SLIC superpixels.
    compactness : float
        SLIC compactness (colour vs space trade-off).
    spatial_sigma : float
        Spatial scale of the affinity, as a fraction of the image diagonal.
    words : int
        Size of the feature codebook used by the contrast score.
    ring : float
        Width of the surround ring, as a fraction of ``sqrt(area)`` of the candidate (at least 2 px).
    min_gap : float
        Distance between the mean features inside and around a candidate (projector units; for
        ``lab``, CIELAB / 100) from which it fully separates (``separation`` term of the score).
    outline : bool
        Multiply the score by ``boundary``, the share of the candidate's outline on a strong colour
        edge (:mod:`~paintseg_layers.discovery.evidence`): a cut through a textured background or
        through an object runs through flat colour, a whole object's outline is an edge all around.
        On by default (with ``min_score=MIN_SCORE``; without it use ``CONTRAST_MIN_SCORE``).
    outline_power : float
        Exponent of the ``boundary`` factor (with ``outline`` or ``evidence``): below 1 it softens the
        penalty of an object whose outline is partly low-contrast (a side against a similar colour).
    evidence : bool
        Multiply the score by the painter evidence as well: how much painting the candidate out
        changes it (``painted``; use ``min_score=EVIDENCE_MIN_SCORE``). Off by default: it helps on
        generated scenes but not on the GrabCut photos (see the README).
    paint_gap : float
        Mean CIELAB change (/ 100) inside a painted-out candidate at which ``painted`` reaches 1.
    min_area, max_area : float
        Candidate area bounds, as fractions of the image.
    min_proposal_area : float
        Smallest candidate that selection keeps, as a fraction of the image (candidates are generated
        and scored down to ``min_area``). At the discovery resolution the candidates of 1-1.4 % of the
        image are mostly high-contrast patches of textured objects: 23 of the 57 false proposals of
        generated scenes (seeds 1000-1049) lay wholly inside a true object, at 1-3 % of the image, and
        each kept patch also drops its object's whole candidate as an overlap. Default 0.014.
    duplicate_iou : float
        IoU above which a lower-ranked proposal duplicates a kept one (also the IoU above which a
        proposal duplicates a user prompt, see :func:`~paintseg_layers.discovery.exclude_prompted`).
    max_overlap : float
        Proposals are visible parts, so nearly disjoint: one sharing more than this fraction of the
        smaller mask with a kept, higher-ranked one is a duplicate too (a union or a part of it).
    refined_overlap : float
        ``max_overlap`` of the duplicate rule applied after refinement. The coarse proposals are
        already nearly disjoint, so a refined mask sharing much with another one mostly grew into a
        neighbouring object; the layers resolve such overlaps. The default 1.0: only IoU above
        ``duplicate_iou`` makes a refined proposal a duplicate (0.4, ``max_overlap``, was the rule before).
    min_relative : float
        Stopping rule: a proposal scoring below ``min_relative`` times the best kept one is dropped
        (precision counts every extra proposal; 0 keeps up to ``max_objects``). Default 0.4 (0.5 before
        ``min_proposal_area``: the small patches it drops were most of the extras a looser rule let in).
    nested, nest_ratio : float
        A candidate lying ``nested`` or more inside a larger valid candidate that scores at least
        ``nest_ratio`` times as much is a *part* (e.g. one colour patch of a textured object): dropped.
        The default 1.0 drops only the parts lying wholly inside: a candidate covering two touching
        objects (and a little background) scores as well as either, and a lower ``nested`` made it
        drop the objects themselves.
    union_ratio, union_cover : float
        A kept candidate that two or more nearly disjoint candidates inside it, each scoring at least
        ``union_ratio`` times as much, cover ``union_cover`` or more of is a *union* of objects: it is
        dropped and the selection re-run, so that its parts are kept instead
        (:func:`~paintseg_layers.discovery.ranking.union_parts`; ``union_ratio`` 0: off). Default
        0.6 and 0.8.
    size_prior : float
        Candidates are ranked by ``score * area ** size_prior`` (area as a fraction of the image).
    order_prior : float
        The kept proposals are returned sorted by ``score * area ** order_prior``: selection (which
        candidates are objects) uses ``size_prior``; the order puts the most prominent object first.
    clusters : tuple of int
        Numbers of clusters of the spectral clustering (k-means on the graph's spectral embedding).
    agglomerate : bool
        Add every region of a connectivity-constrained Ward agglomeration of the superpixels.
    skimage_ncut : bool
        Add the regions of :func:`skimage.graph.cut_normalized` on the region adjacency graph.
    boundary_merge : bool
        Add every merge of a hierarchical merging of adjacent fine Felzenszwalb regions along their
        weakest CIELAB boundary (:func:`skimage.graph.merge_hierarchical`): the parts of a striped or two-colour
        object unite before the object crosses its outline.
    felzenszwalb : tuple of float
        Scales of :func:`skimage.segmentation.felzenszwalb` whose regions are added (empty: none).
        Both on by default (scales 100, 300, 1000): they raise the share of objects of generated
        scenes with a candidate at IoU >= 0.5 from 0.871 to 0.919 (seeds 1000-1019). With the
        outline term (``outline_power=0.75``), ``size_prior=0.2``, ``order_prior=0.4``,
        ``min_relative=0.5``, ``nested=1.0``, ``max_overlap=0.4``, the union rule (``union_ratio=0.6``)
        and ``refined_overlap=1.0`` they make the default ranking
        (numbers in the commit history of ``benchmarks/discover_benchmark.py`` and the README).
    refine : bool
        Refine each proposal with AMCP (as a coarse-mask prompt).
    """

    working_size: int = 160
    n_segments: int = 180
    compactness: float = 10.0
    spatial_sigma: float = 0.25
    words: int = 12
    ring: float = 0.5
    min_gap: float = 0.1
    outline: bool = True
    outline_power: float = 0.75
    evidence: bool = False
    paint_gap: float = 0.5
    min_area: float = 0.01
    max_area: float = 0.6
    min_proposal_area: float = 0.014
    duplicate_iou: float = 0.5
    max_overlap: float = 0.4
    refined_overlap: float = 1.0
    min_relative: float = 0.4
    nested: float = 1.0
    nest_ratio: float = 1.0
    union_ratio: float = 0.6
    union_cover: float = 0.8
    size_prior: float = 0.2
    order_prior: float = 0.4
    clusters: tuple = (2, 3, 4, 5, 6, 8)
    agglomerate: bool = True
    skimage_ncut: bool = False
    boundary_merge: bool = True
    felzenszwalb: tuple = (100.0, 300.0, 1000.0)
    refine: bool = True

    def __post_init__(self):
        if not isinstance(self.working_size, (int, np.integer)) or not 32 <= self.working_size <= 1024:
            raise InputError(f"`working_size` must be an integer in [32, 1024], got {self.working_size!r}")
        if not isinstance(self.n_segments, (int, np.integer)) or not 8 <= self.n_segments <= 2000:
            raise InputError(f"`n_segments` must be an integer in [8, 2000], got {self.n_segments!r}")
        if not isinstance(self.words, (int, np.integer)) or not 2 <= self.words <= 256:
            raise InputError(f"`words` must be an integer in [2, 256], got {self.words!r}")
        for name in ("spatial_sigma", "ring", "compactness", "min_gap", "paint_gap", "outline_power"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not v > 0:
                raise InputError(f"`{name}` must be a number > 0, got {v!r}")
        for name in ("min_area", "max_area", "min_proposal_area", "duplicate_iou", "max_overlap", "refined_overlap",
                     "min_relative", "nested", "nest_ratio", "union_ratio", "union_cover"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise InputError(f"`{name}` must be a number in [0, 1], got {v!r}")
        for name in ("size_prior", "order_prior"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
                raise InputError(f"`{name}` must be a number >= 0, got {v!r}")
        if not isinstance(self.felzenszwalb, (tuple, list)) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in self.felzenszwalb):
            raise InputError(f"`felzenszwalb` must be a tuple of numbers > 0, got {self.felzenszwalb!r}")
        if self.min_area >= self.max_area:
            raise InputError(f"`min_area` must be below `max_area`, got {self.min_area} and {self.max_area}")
        if self.min_proposal_area >= self.max_area:
            raise InputError(f"`min_proposal_area` must be below `max_area`, got {self.min_proposal_area} and "
                             f"{self.max_area}")

    @classmethod
    def from_dict(cls, data: dict) -> DiscoverConfig:
        """Build from a dict; unknown keys raise :class:`InputError` listing the allowed ones."""
        check_known_keys(data, {f.name for f in fields(cls)}, "discovery")
        return cls(**data)

    def to_dict(self) -> dict:
        """The settings as a plain dict (the inverse of :meth:`from_dict`)."""
        return asdict(self)
