"""The ``Painter`` protocol and the input checks every painter shares."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from paintseg_layers.errors import InputError, is_int
from paintseg_layers.image import as_mask, as_rgb


@runtime_checkable
class Painter(Protocol):
    """Fill the masked part of an image with plausible content.

    ``paint(image, mask, n=..., seed=...)`` takes ``image`` ``(H, W, 3)`` float32 RGB in [0, 1]
    (uint8 accepted) and ``mask`` ``(H, W)`` bool (True = paint here) and returns ``n`` paintings
    ``(n, H, W, 3)`` float32. Pixels outside the mask are returned exactly as given. The same
    ``seed`` gives the same paintings.

    Capabilities are declared as class attributes (:class:`BasePainter` gives the defaults):

    ``chooses_resolution``
        True when the backend resizes internally (AMCP then skips its ``paint_size`` downscale).
    ``batches_masks``
        True when ``paint_batch(image, masks (n, H, W), *, seed)`` paints ``n`` different masks in
        one batched call (one sample per mask).
    ``wants_context``
        True when the painter crops its own context around the hole: AMCP then hands it the whole
        working image instead of its feature crop (neural painters need the surroundings). Optional:
        read with ``getattr(painter, "wants_context", False)``.
    ``thread_safe``
        True when concurrent ``paint`` calls from several threads are safe and give the same paintings
        as one after another (no shared mutable state, no global random seed): ``decompose`` then
        segments several prompts at once. Optional: read with ``getattr(painter, "thread_safe", False)``.
    """

    name: str
    chooses_resolution: bool
    batches_masks: bool

    def paint(self, image: np.ndarray, mask: np.ndarray, *, n: int = 1, seed: int = 0) -> np.ndarray: ...


class BasePainter:
    """Defaults for the declared capabilities of :class:`Painter`; backends subclass it."""

    name = ""
    chooses_resolution = False
    batches_masks = False
    wants_context = False
    thread_safe = False

    def paint(self, image: np.ndarray, mask: np.ndarray, *, n: int = 1, seed: int = 0) -> np.ndarray:
        raise NotImplementedError

    def paint_batch(self, image: np.ndarray, masks: np.ndarray, *, seed: int = 0) -> np.ndarray:
        """One painting per mask of ``masks`` ``(n, H, W)``; only backends with ``batches_masks``."""
        raise NotImplementedError(f"painter {self.name!r} does not paint batches of masks")


def check_paint_inputs(image, mask, n) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert painter inputs; returns ``(image float32 RGB, mask bool)``."""
    rgb = as_rgb(image, name="image")
    m = as_mask(mask, shape=rgb.shape[:2], name="mask")
    if not is_int(n, 1):
        raise InputError(f"`n` (number of painted samples) must be an integer >= 1, got {n!r}")
    return rgb, m


def paste(dst: np.ndarray, src: np.ndarray, where: np.ndarray) -> None:
    """``dst[where] = src[where]`` in place, for ``(H, W)`` or ``(H, W, C)`` images and an ``(H, W)`` bool ``where``.

    OpenCV's masked copy where it applies (the same values, ~50x faster than numpy's gather and scatter of
    3-channel pixels), else a numpy masked copy.
    """
    if (dst.dtype == src.dtype and dst.shape == src.shape and dst.flags.c_contiguous and dst.ndim in (2, 3)
            and (dst.ndim == 2 or dst.shape[2] <= 4)):
        if cv2.copyTo(src, where.view(np.uint8) if where.dtype == bool else where, dst) is dst:
            return
    np.copyto(dst, src, casting="unsafe", where=where if dst.ndim == where.ndim else where[..., None])


def keep_unmasked(image: np.ndarray, painted: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Paste the original pixels back outside ``mask`` (painters may touch them)."""
    out = np.array(painted, dtype=np.float32, copy=True)
    outside = ~mask
    src = image.astype(np.float32, copy=False)
    for one in out:
        paste(one, src, outside)
    return out


def sample_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent 31-bit seeds derived from ``seed`` (one per sample)."""
    ss = np.random.SeedSequence(int(seed))
    return [int(s.generate_state(1)[0] & 0x7FFFFFFF) for s in ss.spawn(n)]


_POOL: list[ThreadPoolExecutor] = []
_POOL_NAME = "paintseg-pool"
_SERIAL: list[bool] = []  # set in a worker process of a process pool (peel.first_pass): it fills a core already
# a forked child inherits the pool object but none of its threads: it would wait on them forever
os.register_at_fork(after_in_child=_POOL.clear)


def run_serially() -> None:
    """Make :func:`thread_map` and :func:`in_background` serial in this process (a pool's worker process)."""
    _SERIAL.append(True)


def _serial() -> bool:
    """True where threads cannot help: one core, a worker process, or a call from inside the pool (it must not
    wait on itself)."""
    return bool(_SERIAL) or (os.cpu_count() or 1) < 2 or threading.current_thread().name.startswith(_POOL_NAME)


def _pool() -> ThreadPoolExecutor:
    if not _POOL:  # one pool for the process: with the calling thread, two workers fill 2 cores
        _POOL.append(ThreadPoolExecutor(max_workers=2, thread_name_prefix=_POOL_NAME))
    return _POOL[0]


def in_background(fn, *args) -> Future:
    """``fn(*args)`` on the shared pool, as a :class:`~concurrent.futures.Future` (computed at once where serial)."""
    if _serial():
        done: Future = Future()
        done.set_result(fn(*args))
        return done
    return _pool().submit(fn, *args)


def thread_map(fn, jobs, *, threads: bool = True) -> list:
    """``[fn(job) for job in jobs]``, the first in the calling thread and the rest on the shared pool when ``threads``.

    The calls must be independent (the results are those of the serial loop, in the order of ``jobs``); they gain
    where they release the GIL (OpenCV, numpy on large arrays). Serial on one core and inside the pool.
    """
    jobs = list(jobs)
    if not threads or len(jobs) < 2 or _serial():
        return [fn(job) for job in jobs]
    rest = [_pool().submit(fn, job) for job in jobs[1:]]
    return [fn(jobs[0]), *(f.result() for f in rest)]


def paint_map(painter, fn, jobs: list) -> list:
    """:func:`thread_map` over ``jobs``, two at a time when ``painter`` declares ``thread_safe``."""
    return thread_map(fn, jobs, threads=getattr(painter, "thread_safe", False))
