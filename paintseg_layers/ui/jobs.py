"""Long jobs (decompositions) run off the request loop, in a small thread pool, with progress.

A job is a function ``fn(report)`` where ``report(fraction, message)`` updates its progress; the
page polls :meth:`JobRunner.get`. A failed job keeps its error message; the server keeps answering.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from paintseg_layers import BackendError, InputError

log = logging.getLogger(__name__)

#: Finished jobs kept for polling.
KEEP = 100


class JobRunner:
    """Run jobs in ``workers`` threads; each job has a state, a progress fraction and a message.

    Parameters
    ----------
    workers : int
        Jobs running at once (1 on a small machine: decompositions are CPU-bound).
    """

    def __init__(self, workers: int = 1):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="paintseg-job")
        self._jobs: dict[str, dict] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, fn) -> str:
        """Queue ``fn(report)``; returns the job id."""
        jid = uuid.uuid4().hex[:12]
        with self._lock:
            self._jobs[jid] = {"id": jid, "kind": kind, "state": "queued", "progress": 0.0, "message": "queued",
                               "result": None, "error": None, "started": time.time()}
            done = [k for k, j in self._jobs.items() if j["state"] in ("done", "failed")]
            for k in done[:-KEEP]:
                del self._jobs[k]
        self._pool.submit(self._run, jid, fn)
        return jid

    def _update(self, jid: str, **values) -> None:
        with self._lock:
            self._jobs[jid].update(values)

    def _run(self, jid: str, fn) -> None:
        self._update(jid, state="running", message="starting")

        def report(fraction: float, message: str) -> None:
            self._update(jid, progress=round(min(1.0, max(0.0, float(fraction))), 4), message=str(message))

        try:
            result = fn(report)
        except (InputError, BackendError) as exc:
            self._update(jid, state="failed", error=str(exc), message="failed")
        except MemoryError:
            self._update(jid, state="failed", error="out of memory; try a smaller working size", message="failed")
        except Exception as exc:
            log.exception("job %s failed", jid)
            self._update(jid, state="failed", error=f"unexpected {exc.__class__.__name__}: {exc}", message="failed")
        else:
            self._update(jid, state="done", progress=1.0, message="done", result=result)

    def get(self, jid: str) -> dict | None:
        """A copy of the job's record, or None for an unknown id."""
        with self._lock:
            job = self._jobs.get(jid)
            return dict(job) if job is not None else None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
