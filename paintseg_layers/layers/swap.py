"""Crash-safe replacement of an output folder.

A new folder is written beside the target under a hidden name that carries the writer's pid
(``.NAME.PID.XXXX.tmp``) and then put in place by one atomic step:

* the target does not exist: ``rename(tmp, target)``;
* it exists (Linux >= 3.15): ``renameat2(tmp, target, RENAME_EXCHANGE)`` swaps the two names in
  one step, then the old folder (now under the hidden name) is deleted;
* elsewhere: the old folder is renamed aside (``.NAME.PID.XXXX.old``) and the new one renamed in.
  A kill between the two renames leaves the target missing; the next run puts the old folder
  back before doing anything else (:func:`clean_stale`).

So a SIGKILL at any point leaves the complete old or the complete new folder at the target (on
Linux). Hidden folders left by killed runs (their pid is gone) are removed by the next run.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import logging
import os
import shutil
import signal
import tempfile
from pathlib import Path

from paintseg_layers.imageio import stale_siblings

logger = logging.getLogger(__name__)

#: Test hook: ``PAINTSEG_KILL_AT=k`` makes the process SIGKILL itself at replacement step ``k``.
KILL_ENV = "PAINTSEG_KILL_AT"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _libc_renameat2():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_renameat2 = _libc_renameat2()


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap the names ``a`` and ``b``; ``False`` where the system cannot do it."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def step(k: int) -> None:
    """Replacement step ``k`` reached: die here if the kill hook asks for it (tests only)."""
    if os.environ.get(KILL_ENV) == str(k):
        os.kill(os.getpid(), signal.SIGKILL)


def clean_stale(target: Path) -> None:
    """Undo what killed runs left beside ``target``: restore a moved-aside folder, delete temp folders."""
    for entry in stale_siblings(target):
        if entry.name.endswith(".old") and entry.is_dir() and not target.exists() and not target.is_symlink():
            os.replace(entry, target)  # the fallback was killed between its two renames
            logger.warning("restored %s from an interrupted replacement", target)
        elif entry.is_dir() and entry.name.endswith((".old", ".tmp")):
            logger.info("removing %s left by an interrupted run", entry)
            shutil.rmtree(entry, ignore_errors=True)


def temp_folder(target: Path) -> Path:
    """A new hidden folder beside ``target`` to write into."""
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent))


def swap_into_place(tmp: Path, target: Path) -> None:
    """Put the finished folder ``tmp`` at ``target`` in one atomic step (see the module docstring)."""
    step(1)
    if not target.exists():
        os.replace(tmp, target)
        step(2)
        return
    if exchange(tmp, target):
        step(2)
        shutil.rmtree(tmp, ignore_errors=True)  # ``tmp`` now names the old folder
        step(3)
        return
    old = tmp.with_name(tmp.name[: -len(".tmp")] + ".old")
    os.replace(target, old)
    step(2)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.replace(old, target)
        raise
    step(3)
    shutil.rmtree(old, ignore_errors=True)
