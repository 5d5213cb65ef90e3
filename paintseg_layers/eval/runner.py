"""Run evaluation jobs (one image under one spec) in parallel processes, through the cache.

:func:`run_jobs` returns the records in input order, so results never depend on the number of
workers, and an interrupted run resumes where it stopped. :func:`run` is the whole evaluation:
data set, protocol, optional sweep -> :class:`~paintseg_layers.eval.results.EvalReport`.
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import sys
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from types import MappingProxyType

import cv2
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.errors import InputError, is_int
from paintseg_layers.eval import protocols
from paintseg_layers.eval.cache import cache_paths, read_entry, write_entry
from paintseg_layers.eval.datasets import list_dataset
from paintseg_layers.eval.results import EvalReport, ImageRecord, SweepResult, freeze
from paintseg_layers.eval.spec import PROMPT_METHOD, PROTOCOL_METHODS, PROTOCOLS, EvalSpec, sweep_specs
from paintseg_layers.eval.tables import merge_records, parse_sweep, summarise
from paintseg_layers.painters import DEFAULT_PAINTER, get_painter
from paintseg_layers.projectors import DEFAULT_PROJECTOR, get_projector

log = logging.getLogger(__name__)

_BACKENDS: dict = {}


def _backend(kind: str, name: str | None, opts: dict):
    """One backend instance per process and settings (neural backends load once)."""
    name = name or (DEFAULT_PAINTER if kind == "painter" else DEFAULT_PROJECTOR)
    key = (kind, name, json.dumps(opts, sort_keys=True))
    if key not in _BACKENDS:
        _BACKENDS[key] = (get_painter if kind == "painter" else get_projector)(name, **opts)
    return _BACKENDS[key]


def _run_one(sample, spec: EvalSpec, paths) -> dict:
    rec, masks = protocols.evaluate_image(sample, spec,
                                          painter=_backend("painter", spec.painter, spec.painter_options),
                                          projector=_backend("projector", spec.projector, spec.projector_options))
    if paths is not None:  # computed by the parent: a worker's own code fingerprint could differ
        write_entry(paths, rec, masks)
    return rec


def _init_worker() -> None:
    """One thread per worker process: the workers already share the cores between them."""
    cv2.setNumThreads(1)
    threadpool_limits(1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def run_jobs(jobs, *, workers: int = 1, cache_dir=None, progress: bool = True) -> list[dict]:
    """Run ``(sample, spec)`` jobs; cached ones are read back, the rest computed.

    Parameters
    ----------
    jobs : list of (Sample, EvalSpec)
    workers : int
        Processes (1 = in this process). Results do not depend on it.
    cache_dir : path, optional
        Where records and masks are kept (None = no cache).
    progress : bool
        Show a tqdm bar over the jobs.

    Returns
    -------
    list of dict
        One record per job, in the order of ``jobs``.
    """
    if not is_int(workers, 1):
        raise InputError(f"`workers` must be an integer >= 1, got {workers!r}")
    results: list = [None] * len(jobs)
    todo = []
    paths = [None] * len(jobs)
    for i, (sample, spec) in enumerate(jobs):
        if cache_dir is not None:
            paths[i] = cache_paths(cache_dir, sample, spec)
            results[i] = read_entry(paths[i], sample)
            if results[i] is not None:
                continue
        todo.append(i)
    log.info("%d of %d jobs cached, %d to run on %d worker(s)", len(jobs) - len(todo), len(jobs), len(todo), workers)
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc="eval", unit="img", disable=not progress)
    try:
        if workers == 1 or len(todo) <= 1:
            for i in todo:
                results[i] = _run_one(*jobs[i], paths[i])
                bar.update(1)
        else:
            _run_pool(jobs, todo, paths, results, workers, bar)
    finally:
        bar.close()
    return results


def _run_pool(jobs, todo, paths, results, workers, bar) -> None:
    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=mp.get_context("spawn"),
                               initializer=_init_worker)
    try:
        futures = {pool.submit(_run_one, *jobs[i], paths[i]): i for i in todo}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            bar.update(1)
    except BaseException:
        # interrupted: stop the workers now (their finished jobs are in the cache; a job is
        # written atomically, so a stopped one leaves nothing half-written)
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _records(rows) -> tuple[ImageRecord, ...]:
    return tuple(ImageRecord.from_dict(r) for r in rows)


def _check_options(protocol, scribbles, max_clicks, limit, seed) -> None:
    for name, v, lo in (("limit", limit, 1), ("seed", seed, 0)):
        if v is not None and (not is_int(v, lo)):
            raise InputError(f"`{name}` must be an integer >= {lo}, got {v!r}")
    if protocol not in PROTOCOLS:
        raise InputError(f"`protocol` must be one of {list(PROTOCOLS)}, got {protocol!r}")
    if max_clicks is not None and protocol != "clicks":
        raise InputError(f"`max_clicks` applies to protocol 'clicks' only, got protocol {protocol!r}")
    if scribbles is not None and protocol != "scribble":
        raise InputError(f"`scribbles` applies to protocol 'scribble' only, got protocol {protocol!r}")
    if scribbles is not None and not Path(scribbles).is_dir():
        raise InputError(f"`scribbles` must be a folder of scribble maps, got {scribbles}")


def run(data_dir, protocol: str = "box", *, limit: int | None = None, config: AMCPConfig | dict | None = None,
        painter: str | None = None, projector: str | None = None, painter_options: dict | None = None,
        projector_options: dict | None = None, seed: int = 0, scribbles=None, max_clicks: int | None = None,
        sweep=None, workers: int = 1, cache_dir=None, progress: bool = True) -> EvalReport:
    """Evaluate every method of ``protocol`` on the image/mask pairs under ``data_dir``.

    Parameters
    ----------
    data_dir : path
        Folder with ``images/``, ``masks/`` and optionally ``ignore/`` (and ``scribbles_set1/``).
    protocol : {"box", "coarse", "scribble", "clicks"}
    limit : int, optional
        Only the first ``limit`` images (sorted by name).
    config : AMCPConfig or dict, optional
        AMCP settings (default: the library's).
    painter, projector : str, optional
        Registered backend names (default: the library's); ``*_options`` go to their constructors.
    seed : int
    scribbles : path, optional
        Scribble protocol: folder of scribble maps (default ``data_dir/scribbles_set1`` if present, else generated).
    max_clicks : int, optional
        Clicks protocol: at most this many clicks (default 20).
    sweep : str or (str, sequence), optional
        ``"NAME=V1,V2,..."`` or ``(name, values)``: the AMCP methods once per value of an
        :class:`AMCPConfig` field, ``painter`` or ``projector``; the baselines once.
    workers : int
        Parallel processes over the images; results do not depend on it.
    cache_dir : path, optional
        Per-image result cache (None = no cache); a damaged entry is recomputed.
    progress : bool
        Show a progress bar.

    Returns
    -------
    EvalReport

    Raises
    ------
    InputError
        On a bad argument, a data folder without image/mask pairs, or an unknown sweep setting.
    """
    _check_options(protocol, scribbles, max_clicks, limit, seed)
    samples = list_dataset(data_dir, limit=limit)
    if config is None:
        config = AMCPConfig()
    elif isinstance(config, Mapping):
        config = AMCPConfig.from_dict(dict(config))
    elif not isinstance(config, AMCPConfig):
        raise InputError(f"`config` must be an AMCPConfig, a dict or None, got {type(config).__name__}")
    popts, jopts = dict(painter_options or {}), dict(projector_options or {})
    painter = _backend("painter", painter, popts).name  # validates the names before any work
    projector = _backend("projector", projector, jopts).name
    if protocol == "scribble" and scribbles is None:
        scribbles = Path(data_dir) / "scribbles_set1"
        scribbles = scribbles if scribbles.is_dir() else None
    base = EvalSpec(protocol, PROTOCOL_METHODS[protocol], config.to_dict(), painter, projector, popts, jopts, seed,
                    scribbles=None if scribbles is None else str(scribbles),
                    max_clicks=max_clicks if max_clicks is not None else 20)
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
    cache_dir = None if cache_dir is None else Path(cache_dir)
    pm = PROMPT_METHOD[protocol]
    if sweep is None:
        raw = run_jobs([(s, base) for s in samples], workers=workers, cache_dir=cache_dir, progress=progress)
        table = summarise(raw, PROTOCOL_METHODS[protocol], prompt_method=pm)
        rows = _records(raw)
        return EvalReport(protocol, base, tuple(samples), freeze(table), rows, rows, cache_dir=cache_dir)
    if not isinstance(sweep, str):
        name, values = sweep
        sweep = f"{name}=" + ",".join(map(str, values))
    name, values = parse_sweep(sweep)
    bspec, specs = sweep_specs(base, name, values)
    jobs = [(s, bspec) for s in samples] + [(s, sp) for sp in specs for s in samples]
    recs = run_jobs(jobs, workers=workers, cache_dir=cache_dir, progress=progress)
    n = len(samples)
    base_rows = recs[:n]
    per_value = {sp.label.split("=", 1)[1]: recs[n * (i + 1): n * (i + 2)] for i, sp in enumerate(specs)}
    tables = {v: summarise(r, PROTOCOL_METHODS[protocol], prompt_method=pm) for v, r in per_value.items()}
    result = SweepResult(name, tuple(values), tuple(specs), freeze(tables),
                         MappingProxyType({v: _records(r) for v, r in per_value.items()}))
    table = summarise(base_rows, PROTOCOL_METHODS[protocol], prompt_method=pm)
    return EvalReport(protocol, base, tuple(samples), freeze(table),
                      _records(merge_records(base_rows, *per_value.values())),
                      _records(merge_records(base_rows, next(iter(per_value.values())))),
                      sweep=result, cache_dir=cache_dir)
