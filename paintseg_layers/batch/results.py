"""``OUT/results.jsonl``: one JSON record per image, appended as each image finishes.

Each record holds ``name``, ``image``, ``task``, ``output`` (relative to ``OUT``), ``status``
(``ok``, ``failed``, ``skipped``), ``error``, ``seconds``, ``cpu_seconds`` (of the thread that did the work),
``layers``, ``scores``, ``seed``,
``settings_hash``, ``image_sha256``, ``prompts_sha256``, ``version``, ``engine``, and the ``host``
and ``pid`` of the process that computed it. A record is
one line written with a single ``write`` and flushed to disk, so a killed run leaves at most one
torn last line, which the next run ignores. At the end of a run the file is rewritten (atomically)
with the latest record of each image, so it never holds duplicates.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

from paintseg_layers.errors import InputError
from paintseg_layers.imageio import write_text

log = logging.getLogger(__name__)

RESULTS = "results.jsonl"

#: The fields that decide whether an image is finished with the current settings.
KEY_FIELDS = ("settings_hash", "image_sha256", "prompts_sha256")


class ResultsFile:
    """The append-only results file of a batch output folder.

    Parameters
    ----------
    out_dir : path
        The batch's output folder (it must exist).
    """

    def __init__(self, out_dir):
        self.path = Path(out_dir) / RESULTS

    def read(self) -> list[dict]:
        """Every complete record, in file order (a torn or malformed line is skipped with a warning)."""
        if not self.path.is_file():
            return []
        records = []
        for n, line in enumerate(self.path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                log.warning("%s:%d: ignoring an incomplete record (a run was stopped while writing it)", self.path, n)
                continue
            if isinstance(rec, dict) and isinstance(rec.get("name"), str):
                records.append(rec)
        return records

    def latest(self) -> dict:
        """``{name: record}``, the last record of each image."""
        return {rec["name"]: rec for rec in self.read()}

    @contextlib.contextmanager
    def appending(self):
        """Open the file for appending; yields ``append(record)``, which writes one line flushed to disk."""
        if self.path.exists() and not self.path.is_file():
            raise InputError(f"`{RESULTS}` in the output folder must be a file, got a directory: {self.path}")
        with open(self.path, "a+b") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() > 0:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":  # a torn last line: start a fresh one
                    f.write(b"\n")

            def append(record: dict) -> None:
                f.write((json.dumps(record, sort_keys=True) + "\n").encode())
                f.flush()
                os.fsync(f.fileno())

            yield append

    def compact(self, order) -> list[dict]:
        """Rewrite the file atomically with the latest record of each image; returns them.

        Images named in ``order`` come first, in that order; records of other images (an earlier
        run on other inputs) follow in file order.
        """
        latest = self.latest()
        first = [latest.pop(name) for name in order if name in latest]
        records = first + list(latest.values())
        write_text(self.path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
        return records


def is_finished(record: dict | None, key: dict, output: Path) -> bool:
    """Whether ``record`` says the image is done with the same settings and inputs, and its output exists."""
    if record is None or record.get("status") != "ok":
        return False
    return all(record.get(k) == key[k] for k in KEY_FIELDS) and output.exists()
