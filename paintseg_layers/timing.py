"""Per-stage wall times, collected only when someone asks (the speed benchmark, a profiler).

Library code marks its stages with :func:`stage`; a caller wraps any call in :func:`record_timings`
and gets ``{stage name: seconds}`` summed over every entry of the stage. Outside a recording the
marks cost one context-variable lookup, and results carry no timing fields, so nothing that other
code relies on changes.

Examples
--------
>>> with record_timings() as t:
...     with stage("work"):
...         total = sum(range(1000))
>>> sorted(t)
['work']
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_RECORD: ContextVar[dict | None] = ContextVar("paintseg_timings", default=None)


@contextmanager
def record_timings() -> Iterator[dict]:
    """Collect the seconds of every :func:`stage` entered inside the block into the yielded dict.

    Nested recordings each get their own dict; the inner one hides its stages from the outer one.
    """
    out: dict = {}
    token = _RECORD.set(out)
    try:
        yield out
    finally:
        _RECORD.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the block's wall time to ``name`` in the active recording (a no-op without one)."""
    rec = _RECORD.get()
    if rec is None:
        yield
        return
    t0 = time.perf_counter()
    try:
        yield
    finally:
        rec[name] = rec.get(name, 0.0) + time.perf_counter() - t0


def add_timings(stages: dict) -> None:
    """Add ``{stage name: seconds}`` (e.g. recorded in a worker process) to the active recording, if any."""
    rec = _RECORD.get()
    if rec is not None:
        for name, secs in stages.items():
            rec[name] = rec.get(name, 0.0) + secs


def record_value(name: str, value: float) -> None:
    """Set ``name`` to ``value`` in the active recording, if any (a count such as the worker processes used)."""
    rec = _RECORD.get()
    if rec is not None:
        rec[name] = value


__all__ = ["add_timings", "record_timings", "record_value", "stage"]
