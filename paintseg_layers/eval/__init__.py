"""Evaluation: data sets, protocols, baselines, metrics, generated scenes with known layers.

``run(data_dir, protocol, ...) -> EvalReport`` is the whole evaluation (``paintseg eval`` is a thin
shell over it). Modules: ``datasets`` (image/mask folders), ``spec`` (protocols, methods, what a
result depends on), ``baselines`` (GrabCut), ``protocols`` (one function per method), ``cache``
(per-image results), ``runner`` (process pool, :func:`run`), ``results`` (typed records),
``tables`` (summaries, Markdown, sweep strings), ``report`` (HTML/Markdown report), ``metrics``,
``clicks``, ``degrade``, ``scenes``.
"""

from paintseg_layers.eval.datasets import Sample, list_dataset
from paintseg_layers.eval.results import EvalReport, ImageRecord, SweepResult
from paintseg_layers.eval.runner import run, run_jobs
from paintseg_layers.eval.spec import BOX_METHODS, PROTOCOL_METHODS, PROTOCOLS, EvalSpec
from paintseg_layers.eval.tables import format_report

__all__ = ["BOX_METHODS", "EvalReport", "EvalSpec", "ImageRecord", "PROTOCOLS", "PROTOCOL_METHODS", "Sample",
           "SweepResult", "format_report", "list_dataset", "run", "run_jobs"]
