"""Many images, many machines: segment, remove or decompose a whole folder, resumably.

:func:`run` is what ``paintseg batch`` wraps. Each image's output is written atomically and its
record appended to ``OUT/results.jsonl`` (see :mod:`paintseg_layers.batch.results`); rerunning the
same call skips every image already finished with the same settings and inputs. A bad image or
prompt marks that image ``failed`` and the run goes on. The ``local`` engine runs a process pool,
the ``ray`` engine Ray Data (the ``[cluster]`` extra); the same seed gives byte-identical outputs
whatever the engine and the worker count.

Examples
--------
>>> from paintseg_layers import batch
>>> report = batch.run("photos/", "out/", task="segment", prompts="prompts.jsonl", workers=2)  # doctest: +SKIP
>>> report.failed, report.computed, report.reused  # doctest: +SKIP
(0, 48, 2)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm.auto import tqdm

from paintseg_layers.amcp import AMCPConfig
from paintseg_layers.batch.engines import ENGINES, run_local, run_ray
from paintseg_layers.batch.inputs import file_sha256, make_items, prompts_sha256, read_prompts
from paintseg_layers.batch.results import RESULTS, ResultsFile, is_finished
from paintseg_layers.batch.settings import TASKS, BatchSettings
from paintseg_layers.batch.tasks import output_path
from paintseg_layers.errors import InputError
from paintseg_layers.painters import PAINTERS
from paintseg_layers.peel import PeelConfig
from paintseg_layers.projectors import PROJECTORS
from paintseg_layers.version import __version__

log = logging.getLogger(__name__)

__all__ = ["ENGINES", "RESULTS", "TASKS", "BatchReport", "BatchSettings", "read_prompts", "run"]


@dataclass(frozen=True)
class BatchReport:
    """What a batch run did.

    Attributes
    ----------
    records : list of dict
        The latest record of each input image, in input order (as in ``results.jsonl``).
    ok, failed, skipped : int
        Images by status.
    computed : int
        Images processed by this run (the others were already finished with the same settings).
    reused : int
        Images finished by an earlier run and not recomputed.
    seconds : float
        Wall time of this run.
    results : Path
        The results file.
    """

    records: list
    ok: int
    failed: int
    skipped: int
    computed: int
    reused: int
    seconds: float
    results: Path

    def summary(self) -> str:
        """One line for people."""
        return (f"{len(self.records)} images: {self.ok} ok, {self.failed} failed, {self.skipped} skipped; "
                f"{self.computed} computed by this run, {self.reused} already finished (not recomputed); "
                f"{self.seconds:.1f} s; records in {self.results}")


def _check(engine, workers, num_gpus):
    if engine not in ENGINES:
        raise InputError(f"`engine` must be one of {list(ENGINES)}, got {engine!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"`workers` must be an integer >= 1, got {workers!r}")
    if isinstance(num_gpus, bool) or not isinstance(num_gpus, (int, float)) or num_gpus < 0:
        raise InputError(f"`num_gpus` must be a number >= 0, got {num_gpus!r}")
    if num_gpus and engine != "ray":
        raise InputError(f"`num_gpus` applies to the ray engine only, got engine {engine!r} (use `device` locally)")


def run(inputs, out, *, task: str = "segment", prompts=None, discover: bool = False, engine: str = "local",
        workers: int = 1, address: str | None = None, num_gpus: float = 0, painter: str | None = None,
        projector: str | None = None, painter_options: dict | None = None, projector_options: dict | None = None,
        o_painter: str | None = None, o_painter_options: dict | None = None,
        config: AMCPConfig | PeelConfig | None = None, seed: int = 0, max_objects: int = 5,
        contact_sheet: bool = False, progress: bool = True) -> BatchReport:
    """Run one task on every image of ``inputs``, writing outputs and ``results.jsonl`` under ``out``.

    Parameters
    ----------
    inputs : path
        A folder of images or a text file of image paths.
    out : path
        Output folder (created; its parent must exist). Outputs go to ``masks/NAME.png``
        (segment), ``removed/NAME.png`` (remove) or ``layers/NAME/`` (decompose).
    task : {"segment", "remove", "decompose"}
    prompts : path, optional
        JSON Lines prompts file (format in :mod:`paintseg_layers.batch.inputs`).
    discover : bool
        Discover objects in images without prompts (decompose: also beside the given ones);
        otherwise such images are recorded as ``skipped``.
    engine : {"local", "ray"}
    workers : int
        Processes (local) or Ray actors; outputs do not depend on it.
    address : str, optional
        Ray cluster to join (``"auto"``, ``"ray://HOST:PORT"``); default a local Ray instance.
    num_gpus : float
        GPUs per Ray actor (e.g. 1, or 0.5 to share one GPU between two actors).
    painter, projector : str, optional
        Backend names (defaults ``telea`` and ``lab``).
    painter_options, projector_options : dict, optional
        Backend keyword arguments (``model``, ``device``, ``local_files_only``, ...).
    o_painter, o_painter_options : str, dict, optional
        A different painter for O-steps (as a preset's), with its options.
    config : AMCPConfig or PeelConfig, optional
        ``AMCPConfig`` for segment/remove, ``PeelConfig`` (or an ``AMCPConfig`` inside one) for decompose.
    seed : int
        The seed of every image.
    max_objects : int
        At most this many discovered objects per image.
    contact_sheet : bool
        Decompose: also draw ``contact_sheet.png`` in each layer folder.
    progress : bool
        Show a progress bar (rate and ETA).

    Returns
    -------
    BatchReport

    Raises
    ------
    InputError
        On bad arguments, an unreadable input list or a malformed prompts file (before any work).
    BackendError
        If a backend or the Ray engine is unavailable, or a worker process died.
    """
    _check(engine, workers, num_gpus)
    if task not in TASKS:
        raise InputError(f"`task` must be one of {sorted(TASKS)}, got {task!r}")
    if config is None:
        config = PeelConfig() if task == "decompose" else AMCPConfig()
    if task == "decompose" and isinstance(config, AMCPConfig):
        config = PeelConfig(amcp=config)
    want = PeelConfig if task == "decompose" else AMCPConfig
    if not isinstance(config, want):
        raise InputError(f"`config` must be a {want.__name__} for task {task!r}, got {type(config).__name__}")
    if task == "segment":
        config = replace(config, paint_result=False)  # a mask needs no object-free painting
    settings = BatchSettings(
        task=task,
        painter=painter or "telea",
        projector=projector or "lab",
        painter_options=dict(painter_options or {}),
        projector_options=dict(projector_options or {}),
        o_painter=o_painter,
        o_painter_options=dict(o_painter_options or {}),
        config=config.to_dict(),
        seed=seed,
        discover=bool(discover),
        max_objects=max_objects,
        contact_sheet=bool(contact_sheet),
    )
    PAINTERS.entry(settings.painter).load()  # an unknown name or a missing extra fails now, not per image
    PROJECTORS.entry(settings.projector).load()
    if settings.o_painter is not None:
        PAINTERS.entry(settings.o_painter).load()
    items = make_items(inputs, prompts)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"`out` must be a folder, got an existing file: {out}")
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        raise InputError(f"`out` parent folder does not exist: {out.parent}")
    out.mkdir(exist_ok=True)
    out = out.absolute()  # workers may run in another folder (Ray)
    t0 = time.perf_counter()
    digest = settings.digest()
    results = ResultsFile(out)
    previous = results.latest()
    base = {"task": task, "seed": seed, "settings_hash": digest, "version": __version__, "engine": engine}
    todo, keys, reused = [], {}, 0
    bar = tqdm(total=len(items), desc=f"batch {task}", unit="img", disable=not progress)
    with results.appending() as append:
        def record(item, rec):
            target = output_path(out, settings, item.name)
            full = {"name": item.name, "image": str(item.path), "output": target.relative_to(out).as_posix(),
                    "error": None, "seconds": 0.0, "layers": None, "scores": {}, **base, **keys[item.name], **rec}
            append(full)
            bar.update(1)

        for item in items:
            try:
                keys[item.name] = {
                    "image_sha256": file_sha256(item.path),
                    "prompts_sha256": prompts_sha256(item.objects),
                }
            except OSError as exc:
                keys[item.name] = {"image_sha256": None, "prompts_sha256": None}
                record(item, {"status": "failed", "error": f"cannot read the image file: {exc.strerror or exc}"})
                continue
            if item.objects is None and not discover:
                record(item, {"status": "skipped", "error": "no prompts for this image (add it to the prompts file, "
                                                            "or use discover)"})
            elif is_finished(
                previous.get(item.name), {**base, **keys[item.name]}, output_path(out, settings, item.name)
            ):
                reused += 1
                bar.update(1)
            else:
                todo.append(item)
        log.info(
            "%d images: %d already finished, %d to compute on %s x %d", len(items), reused, len(todo), engine, workers
        )
        try:
            if engine == "local":
                run_local(todo, settings, out, record, workers=workers)
            else:
                run_ray(todo, settings, out, record, workers=workers, address=address, num_gpus=num_gpus)
        finally:
            bar.close()
    names = [item.name for item in items]
    records = [r for r in results.compact(names) if r["name"] in keys]
    count = {s: sum(r["status"] == s for r in records) for s in ("ok", "failed", "skipped")}
    return BatchReport(records=records, computed=len(todo), reused=reused, seconds=round(time.perf_counter() - t0, 3),
                       results=results.path, **count)
