"""Run hostile CLI cases in a memory-capped subprocess and check they are refused cleanly.

All cases of a test run in one worker process (the CLI's imports cost seconds on a loaded
machine) under ``RLIMIT_AS = 1 GiB`` and a wall-clock timeout, so a regression that inflates a
bomb fails with a MemoryError instead of taking the machine down. Each case's stdout/stderr are
captured separately. Bomb files are built here, on the fly, and never committed.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import sys
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 1 << 30

_WORKER = r"""
import contextlib, io, json, resource, sys
from paintseg_layers.cli import main
cases = json.load(open(sys.argv[1]))
out = []
for argv in cases:
    err, std = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        try:
            code = main(argv)
        except BaseException as exc:  # anything escaping main() is a failure the test reports
            code = f"escaped {exc.__class__.__name__}"
    out.append({"argv": argv, "code": code, "stderr": err.getvalue(), "stdout": std.getvalue(),
                "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})
json.dump(out, open(sys.argv[2], "w"))
"""


def _limit():  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_cli_cases(cases, work: Path, *, timeout: float = 120.0) -> list[dict]:
    """Run each ``argv`` of ``cases`` through ``paintseg_layers.cli.main`` in one capped worker."""
    work.mkdir(parents=True, exist_ok=True)
    src, dst = work / "cases.json", work / "results.json"
    src.write_text(json.dumps([[str(a) for a in argv] for argv in cases]))
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-c", _WORKER, str(src), str(dst)], env=env, preexec_fn=_limit,
                          capture_output=True, text=True, timeout=timeout, cwd=work)
    assert proc.returncode == 0, f"worker failed ({proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(dst.read_text())


def assert_refused(result: dict, names, *, watched=()) -> None:
    """Exit 2, one readable line naming the input, no traceback, nothing written, under the memory cap."""
    err = result["stderr"]
    where = f"{result['argv']}: {err!r}"
    assert result["code"] == 2, where
    assert err.count("\n") == 1 and err.startswith("paintseg: error: "), where
    assert "Traceback" not in err and "unexpected" not in err and len(err) < 600, where
    for name in [names] if isinstance(names, str) else names:
        assert name in err, f"{name!r} not named: {where}"
    assert result["peak_kib"] * 1024 < MEMORY_LIMIT, where
    for path in watched:
        path = Path(path)
        assert not path.exists(), f"{path} was written: {where}"
        leftovers = [p.name for p in path.parent.glob(f".{path.name}.*")] if path.parent.is_dir() else []
        assert not leftovers, f"temp files left: {leftovers}: {where}"


def png_bomb(width: int, height: int) -> bytes:
    """A valid 8-bit grayscale PNG of ``width x height`` zeros: a few hundred KB that decode to ``w*h`` bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    comp = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    parts, rows_per = [], max(1, (1 << 22) // len(row))
    for start in range(0, height, rows_per):
        parts.append(comp.compress(row * min(rows_per, height - start)))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def lie_about_size(path: Path, member: str, size: int) -> None:
    """Patch a zip so ``member``'s local and central headers declare ``size`` uncompressed bytes."""
    data = bytearray(path.read_bytes())
    # (signature, offset of the name length, offset of the name, offset of the uncompressed size)
    for sig, name_len_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        at = data.find(sig)
        while at >= 0:
            n = struct.unpack_from("<H", data, at + name_len_at)[0]
            if data[at + name_at:at + name_at + n] == member.encode():
                struct.pack_into("<I", data, at + size_at, size)
            at = data.find(sig, at + 4)
    path.write_bytes(bytes(data))
