"""Writing decks: atomically, and only when their bytes change.

A temp file in the same folder, then a rename: a reader (Anki, a sync client, a second
build) sees the old deck or the new one, never half of one, even if the build is killed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ankigen.errors import AnkigenError


def prepare(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AnkigenError(f"{out_dir}: cannot create the output folder: {e.strerror}") from None
    remove_abandoned_temp_files(out_dir)


def remove_abandoned_temp_files(out_dir: Path) -> None:
    # A killed build leaves its temp file; one whose build is still running is left alone.
    for tmp in out_dir.glob(".*.apkg.*.tmp"):
        pid = tmp.name.split(".")[-3]
        if pid.isdigit() and not _running(int(pid)):
            tmp.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def write_atomically(path: Path, data: bytes) -> None:
    try:
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp"
        )
    except OSError as e:
        raise AnkigenError(
            f"{path.parent}: cannot write to the output folder: {e.strerror}"
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise AnkigenError(f"{path}: cannot write: {e.strerror}") from None
        raise
