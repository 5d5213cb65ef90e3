"""Where the images of a batch are processed: local processes, or a Ray cluster through Ray Data.

Both engines build one :class:`~paintseg_layers.batch.tasks.Worker` (the backends) per process
and hand each finished image's record to a callback in the calling process, as soon as it is done.
"""

from __future__ import annotations

import collections
import json
import multiprocessing as mp
import queue
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import cv2
import numpy as np
from threadpoolctl import threadpool_limits

from paintseg_layers.batch.inputs import Item
from paintseg_layers.batch.settings import BatchSettings
from paintseg_layers.batch.tasks import Worker, single_thread
from paintseg_layers.errors import BackendError

ENGINES = ("local", "ray")

_WORKER: Worker | None = None  # the worker of a pool process


def _init_process(settings: dict, out_dir: str) -> None:
    global _WORKER
    single_thread()
    _WORKER = Worker(BatchSettings.from_dict(settings), out_dir)
    single_thread()  # again: building the backends may have loaded more thread pools (torch)


def _process(item: dict) -> dict:
    return _WORKER(Item.from_dict(item))


def _ready() -> None:
    """A no-op task: its completion says that a process has started and built its backends."""


def run_local(items, settings: BatchSettings, out_dir, on_done, *, workers: int = 1) -> None:
    """Process ``items`` in this process and ``workers - 1`` spawned processes.

    The calling process is one of the workers (in a thread), so images are done while the other
    processes start. ``on_done(item, record)`` is called in the calling thread as each image finishes.

    Raises
    ------
    BackendError
        If a worker process died (killed, out of memory): the finished images are recorded; rerun to resume.
    """
    if not items:
        return
    threads = cv2.getNumThreads()
    try:
        with threadpool_limits(1):
            cv2.setNumThreads(1)
            if workers == 1 or len(items) == 1:
                worker = Worker(settings, out_dir)
                for item in items:
                    on_done(item, worker(item))
            else:
                _run_shared(items, settings, out_dir, on_done, min(workers, len(items)) - 1)
    finally:
        cv2.setNumThreads(threads)


def _run_shared(items, settings, out_dir, on_done, children: int) -> None:
    """This process (a thread) and ``children`` spawned processes take images from one queue."""
    pending = collections.deque(items)
    lock = threading.Lock()
    events: queue.Queue = queue.Queue()

    def take():
        with lock:
            return pending.popleft() if pending else None

    def here():
        try:
            worker = Worker(settings, out_dir)
            while (item := take()) is not None:
                events.put(("done", item, worker(item)))
        except Exception as exc:  # noqa: BLE001 - handed to the calling thread, which raises it
            events.put(("error", None, exc))
        events.put(("idle", None, None))

    pool = ProcessPoolExecutor(max_workers=children, mp_context=mp.get_context("spawn"),
                               initializer=_init_process, initargs=(settings.to_dict(), str(out_dir)))
    outstanding = 0

    def submit():
        nonlocal outstanding
        item = take()
        if item is not None:
            outstanding += 1
            fut = pool.submit(_process, item.to_dict())
            fut.add_done_callback(lambda f, item=item: events.put(("future", item, f)))

    thread = threading.Thread(target=here, name="batch-worker", daemon=True)
    try:
        # an image goes to a process only once one is ready: this process works while the others start
        for _ in range(children):
            pool.submit(_ready).add_done_callback(lambda f: events.put(("ready", None, f)))
        thread.start()
        busy = True
        while busy or outstanding:  # a process still starting when all is done is not waited for
            kind, item, payload = events.get()
            if kind == "idle":
                busy = False
            elif kind == "error":
                raise payload
            elif kind == "ready":
                payload.result()
                submit()
            elif kind == "future":
                outstanding -= 1
                on_done(item, payload.result())
                submit()
            else:
                on_done(item, payload)
    except BrokenProcessPool:
        _stop(pool, pending, lock)
        raise BackendError("a worker process died (killed or out of memory); finished images are recorded, "
                           "rerun the same command to resume") from None
    except BaseException:
        _stop(pool, pending, lock)  # interrupted: outputs are written atomically, so nothing is half-written
        raise
    _stop(pool, pending, lock)
    thread.join()


def _stop(pool, pending, lock) -> None:
    with lock:
        pending.clear()  # the thread in this process stops after its current image
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


class RayWorker:
    """Ray Data actor: builds the backends once, then processes one image per batch.

    Parameters
    ----------
    settings : dict
        ``BatchSettings.to_dict()``.
    out_dir : str
        The output folder, as seen from the worker's node (a shared file system on a cluster).
    """

    def __init__(self, settings: dict, out_dir: str):
        single_thread()
        self.worker = Worker(BatchSettings.from_dict(settings), out_dir)
        single_thread()

    def __call__(self, batch: dict) -> dict:
        out = []
        for text in batch["item"]:
            item = Item.from_dict(json.loads(text))
            out.append(json.dumps({"name": item.name, **self.worker(item)}))
        return {"record": np.array(out, dtype=object)}


def _import_ray():
    try:
        import ray  # noqa: PLC0415 - optional extra [cluster], imported on use
        import ray.data  # noqa: PLC0415 - needs the Ray Data dependencies (pandas, pyarrow)
    except ImportError as exc:
        raise BackendError(f"`--engine ray` needs Ray Data: pip install 'paintseg_layers[cluster]' ({exc})") from None
    return ray


def run_ray(items, settings: BatchSettings, out_dir, on_done, *, workers: int = 1, address: str | None = None,
            num_gpus: float = 0) -> None:
    """Process ``items`` with Ray Data: ``map_batches`` over ``workers`` :class:`RayWorker` actors.

    Joins the cluster at ``address`` (``"auto"``, ``"ray://HOST:PORT"``), or the Ray instance this
    process already started, or else starts a local one with ``workers`` CPUs and shuts it down after.
    Each actor asks for one CPU and ``num_gpus`` GPUs.
    """
    if not items:
        return
    ray = _import_ray()
    started = False
    if not ray.is_initialized():
        if address:
            try:
                ray.init(address=address, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise BackendError(f"cannot join the Ray cluster at `--address` {address!r}: {exc}") from None
        else:
            # no job-wide runtime_env: it would keep the actors off the workers Ray starts in advance
            # (about twice the start-up time); each actor limits its own thread pools instead
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        started = True
    ctx = ray.data.DataContext.get_current()
    bars = ctx.enable_progress_bars
    ctx.enable_progress_bars = False  # the caller shows one bar over the images
    try:
        by_name = {item.name: item for item in items}
        ds = ray.data.from_items([{"item": json.dumps(item.to_dict())} for item in items])
        ds = ds.map_batches(RayWorker, fn_constructor_kwargs={"settings": settings.to_dict(), "out_dir": str(out_dir)},
                            concurrency=min(workers, len(items)), batch_size=1, num_cpus=1,
                            num_gpus=num_gpus or None, batch_format="numpy")
        for row in ds.iter_rows():
            rec = json.loads(row["record"])
            on_done(by_name[rec.pop("name")], rec)
    except ray.exceptions.RayError as exc:  # e.g. an actor could not build its backends
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
        raise BackendError(f"the Ray job failed ({exc.__class__.__name__}: {first}); finished images are "
                           "recorded, rerun to resume") from None
    finally:
        ctx.enable_progress_bars = bars
        if started:
            ray.shutdown()
