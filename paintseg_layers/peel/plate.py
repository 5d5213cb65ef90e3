"""The background plate: the objects painted out by the fill that, on this image, best predicts hidden background.

Several fills compete, and the image itself decides between them: each fill also paints copies of the hole
shifted over known background (:func:`shifted_holes`), and the one whose fill of those copies is closest to
the pixels it hid paints the plate. The fills range from detailed to smooth: the painter's own, biharmonic
fills (``skimage.restoration.inpaint_biharmonic``, which continue gradients) of the background blurred by
1, 2 and 4 px first (so that the solve continues the background's trend, not its noise), and a push-pull
fill (:func:`push_pull`, the local mean at every scale). Far from the hole's edge a texture cannot be
predicted and its local mean is the closest guess; a smooth background is continued best by the biharmonic
fills. The copies are filled at half the working size. For the smooth fills the pixels of the hole itself are
pre-filled (push-pull), so each test solves only its own copy; the painter paints its copy with the real hole
still unknown, so that it reads real background only (an exemplar painter would otherwise copy the pre-filled
local mean into the copy and look smoother in the test than it paints the plate). The objects' contact shadow
(:func:`contact_shadow`), the umbra where they meet the surface, is painted out with them by the chosen fill.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage.restoration import inpaint_biharmonic

from paintseg_layers import masks as morph
from paintseg_layers.amcp import paint_out
from paintseg_layers.image import resize_image, upsample_soft, working_scale

#: Long side (px) under which the plate's fills are not shrunk: photos (working size 320) are filled at 160 px,
#: which a smooth fill loses nothing by, while the biharmonic solve's cost grows faster than the hole's area
SMOOTH_SIZE = 160

#: Blur (px at the fill's resolution) of the known background before each biharmonic fill
SIGMAS = (1.0, 2.0, 4.0)

#: The fill used when no shifted copy of the hole fits (index into :func:`candidate_fills`): the biharmonic
#: fill after a 2 px blur, the best single fill on both peel benchmark sets and on real composites
DEFAULT_FILL = 2


#: Contact shadow (:func:`contact_shadow`): lightness, as a share of the lit background round the hole, under which
#: a background pixel is umbra, and under which a pixel joined to it is still shadow (penumbra)
UMBRA, PENUMBRA = 0.15, 0.7


def contact_shadow(image: np.ndarray, hole: np.ndarray, *, umbra: float | None = None, penumbra: float | None = None,
                   dark: float = 0.7, least: float = 0.1, most: float = 0.7, ring: float = 0.15,
                   reach: float = 0.6, margin: int = 2, band: float = 3.0) -> np.ndarray:
    """The cast shadow the removed objects leave on the background next to ``hole``: pixels to paint out too.

    An object resting on a surface darkens it where it meets it, and there its shadow is umbra: along the
    stretch of the hole's outline (the background within ``band`` px of the hole) where the background is darker
    than ``dark`` x the lit background round the hole (CIELAB L* blurred by 1 px; lit: the 75th percentile of a
    ring ``ring`` x the hole's disc radius wide), nearly all of it (at least ``dark`` of those pixels again) is
    darker than ``umbra`` x that lightness. A dark part of the background that merely borders an object darkens
    gradually there, with its own shading: on the peel benchmark's 110 scenes (photo backgrounds), their holes
    also grown by 1, 2 or 4 px or shrunk by 1 or 2, at most 0.61 of such outline is that dark; on ``coffee.png``'s
    saucer 0.81 (0.70-0.81 with its hole grown or shrunk by 1 or 2 px; shrunk by 2 or grown by 4 it is
    missed). The shadow is then every background pixel darker than ``penumbra`` x the lit lightness, within
    ``reach`` x the hole's disc radius of it and joined to that umbra, grown by ``margin`` px (the penumbra's
    soft outer edge: left, the fill continues it inward as a dim halo). None is found unless the umbra covers
    between ``least`` and ``most`` of the outline (a background dark all round the objects is a dark
    background). Left on the plate, such a shadow is what every smooth fill continues inward (the coffee
    saucer's plate: mean L* 29 under the objects, 51 on the table round them).

    Parameters
    ----------
    image : (H, W, 3) float32
    hole : (H, W) bool
    umbra, penumbra : float or None
        Shares of the lit lightness (None: :data:`UMBRA`, :data:`PENUMBRA`).

    Returns
    -------
    (H, W) bool
        Background pixels (outside ``hole``); none where no contact shadow is found.
    """
    umbra = UMBRA if umbra is None else umbra
    penumbra = PENUMBRA if penumbra is None else penumbra
    known = ~hole
    none = np.zeros_like(hole)
    if not hole.any() or not known.any():
        return none
    lightness = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2LAB)[..., 0]
    lightness = known_blur(lightness[..., None], known, 1.0)[..., 0]
    dist = ndi.distance_transform_edt(known)
    radius = np.sqrt(np.count_nonzero(hole) / np.pi)
    lit = float(np.percentile(lightness[known & (dist <= max(3.0, ring * radius))], 75))
    outline = known & (dist <= band)
    deep = outline & (lightness < umbra * lit)
    n_deep, n_dark = np.count_nonzero(deep), np.count_nonzero(outline & (lightness < dark * lit))
    if not (least * outline.sum() <= n_deep <= most * outline.sum()) or n_deep < dark * n_dark:
        return none
    shade = known & (dist <= max(3.0, reach * radius)) & (lightness < penumbra * lit)
    return morph.dilate(morph.connected_to(shade, deep, connectivity=4), margin) & known


def push_pull(image: np.ndarray, known: np.ndarray, *, gain: float = 4.0) -> np.ndarray:
    """``image`` with its unknown pixels set to a push-pull fill of the known ones (Gaussian pyramid).

    The known pixels and their weights are reduced level by level (``cv2.pyrDown``); each level's
    normalised colour fills the level below where that one has too little weight (``cv2.pyrUp``).
    A pixel far from every known one takes the mean of a wide neighbourhood, a near one that of a
    narrow one.

    Parameters
    ----------
    image : (H, W, C) float32
    known : (H, W) bool
    gain : float
        Weight (after the reductions) from which a level's own colour is trusted fully.

    Returns
    -------
    (H, W, C) float32
        A copy of ``image``, changed only where ``known`` is False.
    """
    out = image.copy()
    if known.all() or not known.any():
        return out
    w = known.astype(np.float32)
    c = image * w[..., None]
    levels = [(c, w)]
    while min(w.shape) > 3:
        c, w = cv2.pyrDown(c), cv2.pyrDown(w)
        levels.append((c, w.reshape(w.shape[:2])))
    c, w = levels[-1]
    fill = c.reshape(*w.shape, -1) / np.maximum(w, 1e-6)[..., None]
    fill[w <= 1e-6] = image[known].mean(axis=0)
    for c, w in reversed(levels[:-1]):
        up = cv2.pyrUp(fill, dstsize=(w.shape[1], w.shape[0])).reshape(c.shape)
        a = np.minimum(1.0, w * gain)[..., None]
        fill = a * (c / np.maximum(w, 1e-6)[..., None]) + (1 - a) * up
    out[~known] = fill[~known]
    return out


def known_blur(image: np.ndarray, known: np.ndarray, sigma: float) -> np.ndarray:
    """``image`` with its known pixels blurred by a Gaussian of ``sigma`` px that reads known pixels only."""
    w = known.astype(np.float32)
    num = cv2.GaussianBlur(image * w[..., None], (0, 0), sigma).reshape(image.shape)
    den = cv2.GaussianBlur(w, (0, 0), sigma)
    out = image.copy()
    out[known] = (num / np.maximum(den, 1e-6)[..., None])[known]
    return out


def biharmonic_fills(image: np.ndarray, hole: np.ndarray, sigmas) -> list:
    """One biharmonic fill of ``hole`` per blur in ``sigmas`` (px) of the known pixels, from a single solve.

    The blurred images are stacked as channels, so the sparse system is factorised once; pixels outside
    ``hole`` keep ``image``'s values.
    """
    stack = np.concatenate([known_blur(image, ~hole, s) for s in sigmas], axis=2)
    solved = inpaint_biharmonic(stack, hole, channel_axis=-1).astype(np.float32)
    fills = [solved[..., 3 * k:3 * k + 3] for k in range(len(sigmas))]
    for fill in fills:
        fill[~hole] = image[~hole]  # the blur only informs the solve
    return fills


def smooth_fills(image: np.ndarray, hole: np.ndarray, sigmas=SIGMAS) -> list:
    """The smooth fills of ``hole``: one biharmonic fill per blur in ``sigmas``, then push-pull."""
    return [*biharmonic_fills(image, hole, sigmas), push_pull(image, ~hole)]


def candidate_fills(image: np.ndarray, hole: np.ndarray, painter, *, sigmas=SIGMAS, seed: int = 0) -> list:
    """The competing fills of ``hole``: the painter's, then :func:`smooth_fills`."""
    return [painter.paint(image, hole, n=1, seed=seed)[0], *smooth_fills(image, hole, sigmas)]


def shifted_holes(hole: np.ndarray, count: int, *, spread: float = 2.0) -> list:
    """Up to ``count`` copies of ``hole`` moved down, up, right, left by ``spread`` x its thickness.

    The thickness is the largest distance from a hole pixel to known background, so a copy lies over
    background at the same distances from its edge as the real hole.
    Copies that cover fewer than 10 known pixels are left out.
    """
    h, w = hole.shape
    d = max(2, int(round(spread * ndi.distance_transform_edt(hole).max())))
    out = []
    for dy, dx in ((d, 0), (-d, 0), (0, d), (0, -d))[:count]:
        moved = np.zeros_like(hole)
        if abs(dy) < h and abs(dx) < w:
            moved[max(0, dy):h + min(0, dy), max(0, dx):w + min(0, dx)] = \
                hole[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
        if (moved & ~hole).sum() >= 10:
            out.append(moved)
    return out


def fill_size(working_size: int) -> int:
    """Long side (px) the plate is filled at: half the working size, but no less than :data:`SMOOTH_SIZE`."""
    return min(working_size, max(SMOOTH_SIZE, working_size // 2))


def _at_size(rgb, removed, size, dilation):
    """``rgb`` and the dilated hole at a working size of ``size`` px."""
    s = working_scale(rgb.shape[:2], size)
    shape = (max(2, round(rgb.shape[0] * s)), max(2, round(rgb.shape[1] * s)))
    hole = upsample_soft(removed.astype(np.float32), shape) > 0.01
    return resize_image(rgb, shape), morph.dilate(hole, dilation)


def choose_fill(rgb: np.ndarray, removed: np.ndarray, painter, *, seed: int = 0, working_size: int = 320,
                dilation: int = 1, tests: int = 3) -> int:
    """Index into :func:`candidate_fills` of the fill that best repaints ``tests`` shifted copies of the hole.

    Runs at half the fill's size (see :func:`paint_plate`), the blurs scaled to match; :data:`DEFAULT_FILL`
    when no copy fits.
    """
    size = fill_size(working_size)
    test_size = max(32, working_size // 2)
    image, hole = _at_size(rgb, removed, test_size, dilation)
    sigmas = tuple(s * test_size / size for s in SIGMAS)
    base = push_pull(image, ~hole)  # the real hole pre-filled: each test solves its copy only
    errors = np.zeros(len(SIGMAS) + 2)
    copies = shifted_holes(hole, tests)
    for moved in copies:
        score = moved & ~hole
        # the painter never reads the pre-filled hole (see the module docstring); the smooth fills solve the copy alone
        fills = [painter.paint(image, moved | hole, n=1, seed=seed)[0], *smooth_fills(base, moved, sigmas)]
        errors += [float(((f[score] - image[score]) ** 2).sum()) for f in fills]
    return int(np.argmin(errors)) if copies else DEFAULT_FILL


def paint_plate(rgb: np.ndarray, removed: np.ndarray, painter, *, seed: int = 0, working_size: int = 320,
                dilation: int = 1, tests: int = 3, shadows: bool = True) -> np.ndarray:
    """The background plate: ``removed`` painted out of ``rgb`` by the fill that measures best on this image.

    See the module docstring. Against the ring-tested blend of the painter's and a biharmonic fill that
    it replaces (telea; the true backgrounds inside the true removed regions): peel benchmark
    20.22 -> 20.85 dB (seeds 1000-1049) and 21.87 -> 22.82 dB (2000-2059); two GrabCut objects
    feathered 1 px over another GrabCut photo (16 photos, long side 320) 16.20 -> 16.34 dB. With
    ``patchmatch`` there 16.17 dB while its test copies were painted over the pre-filled hole (which it
    copied from: three plates went to its texture, two of them 1.2-1.5 dB below the best smooth fill), 16.47 dB
    with the real hole left unknown to it (cached inputs); whole decompositions with ``patchmatch``: 16.02 dB
    before, 16.38 dB after (telea 16.34 both).

    Parameters
    ----------
    rgb : (H, W, 3) float32
    removed : (H, W) bool
        Every object's pixels (the plate shows none of them).
    painter : Painter
    seed, working_size, dilation
        As :func:`paintseg_layers.amcp.paint_out`; the fills run at half the working size but at no
        less than :data:`SMOOTH_SIZE`.
    tests : int
        Shifted copies of the hole the fills compete on (:func:`choose_fill`); 0 paints the plate
        with the painter alone.
    shadows : bool
        Also paint out the objects' contact shadow (:func:`contact_shadow`, found at the fill's size); the fills
        then compete on copies of the hole they paint, shadow included (tested on the objects' hole alone,
        telea's star-shaped smear won for one of five seeds on ``coffee.png`` and drew the table's dark edge into
        the hole: 26 % of the plate under the objects below L* 15). It found none on the peel benchmark's 110
        scenes (their plates are unchanged); on ``coffee.png`` the plate under the objects went from mean L*
        29.1 to 47.0 (seeds 1-4: 49.7-52.7, none under L* 15; the table round them: 51).

    Returns
    -------
    (H, W, 3) float32
        A copy of ``rgb``, changed only inside ``removed`` (and its contact shadow) dilated by ``dilation``
        working px.
    """
    if not removed.any():
        return rgb.copy()
    size = fill_size(working_size)
    image, hole = _at_size(rgb, removed, size, dilation)
    if shadows and (shadow := contact_shadow(image, hole)).any():  # painted out with the objects
        hole |= shadow
        removed = removed | (upsample_soft(shadow.astype(np.float32), rgb.shape[:2]) > 0.5)
    best = choose_fill(rgb, removed, painter, seed=seed, working_size=working_size, dilation=dilation,
                       tests=tests) if tests > 0 else 0
    if best == 0 or hole.all():  # nothing known to continue: the painter's own answer
        return paint_out(rgb, removed, painter, seed=seed, working_size=working_size, dilation=dilation)
    fill = biharmonic_fills(image, hole, SIGMAS[best - 1:best])[0] if best <= len(SIGMAS) else push_pull(image, ~hole)
    painted = morph.dilate(removed, max(1, int(round(dilation * rgb.shape[0] / image.shape[0]))))
    if fill.shape[:2] != rgb.shape[:2]:
        fill = cv2.resize(fill, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    out = rgb.copy()
    out[painted] = fill[painted]
    return out


__all__ = ["DEFAULT_FILL", "PENUMBRA", "SIGMAS", "SMOOTH_SIZE", "UMBRA", "biharmonic_fills", "candidate_fills",
           "choose_fill", "contact_shadow", "fill_size",
           "known_blur", "paint_plate", "push_pull", "shifted_holes", "smooth_fills"]
