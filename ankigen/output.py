"""Writing decks: atomically, and only when their bytes change.

A temp file in the same folder, then a rename: a reader (Anki, a sync client, a second
build) sees the old deck or the new one, never half of one, even if the build is killed.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from ankigen.errors import AnkigenError


def scratch_folder(what: str) -> tempfile.TemporaryDirectory[str]:
    """A folder of the system's temporary folder for `what` (said in the error), removed
    when it is closed. A build keeps there what would cost memory to hold."""
    try:
        return tempfile.TemporaryDirectory(prefix="ankigen-", ignore_cleanup_errors=True)
    except OSError as e:  # TMPDIR (or every usual place) is missing or read-only
        raise AnkigenError(
            f"cannot make a temporary folder for {what}: {e.strerror or e}; "
            "set TMPDIR to a folder you can write to"
        ) from None


def prepare(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AnkigenError(f"{out_dir}: cannot create the output folder: {e.strerror}") from None
    remove_abandoned_temp_files(out_dir)


# A temp file is written and renamed within seconds. One an hour old was left by a
# build that was killed (kill -9, power cut); a younger one may belong to a build still
# running, maybe in another container or on another machine sharing the folder, where
# no process id can tell (and Windows has no cheap way to ask either).
ABANDONED_AFTER_SECONDS = 3600
TEMP_SUFFIX = ".tmp"


def remove_abandoned_temp_files(out_dir: Path) -> None:
    now = time.time()
    for tmp in out_dir.glob(f".*{TEMP_SUFFIX}"):
        if not (".apkg." in tmp.name or tmp.name.startswith("..ankigen-build.json.")):
            continue
        try:
            if now - tmp.lstat().st_mtime > ABANDONED_AFTER_SECONDS:
                tmp.unlink()
        except OSError:  # gone already, or not ours to remove
            pass


def same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def write_atomically(path: Path, data: bytes) -> None:
    # A deck that is a symlink (say, into a synced folder) stays one: its target is
    # replaced, atomically, in the target's own folder.
    if path.is_symlink():
        try:
            path = path.resolve()
        except (OSError, RuntimeError):  # a loop of links
            raise AnkigenError(f"{path}: is a symbolic link that leads nowhere") from None
    try:
        # mkstemp adds random letters: the name is unique whatever the process id.
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX
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
