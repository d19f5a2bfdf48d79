"""Writing decks: atomically, all of them or none, and only when their bytes change.

A temp file in the same folder, then a rename: a reader (Anki, a sync client, a second
build) sees the old deck or the new one, never half of one, even if the build is killed.
Every file of a build is written to its temp file before the first is renamed, so a build
that fails while writing (a full disk) leaves the folder as it was.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from ankigen.errors import AnkigenError
from ankigen.files import read_regular


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
        return path.stat().st_size == len(data) and read_regular(path, len(data)) == data
    except OSError:
        return False


class Writes:
    """Files replaced all at once, or none of them: each is written in full to a temp file
    beside it first (where a full disk or an I/O error shows), and only when all are
    written are they renamed into place, in the order they were added.

    A file in the output folder that is a symbolic link is written through only if it
    leads to a place inside the folder: a cloned repository can hold a link named
    `decks/a.apkg` that leads to any file of the user's."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.staged: list[tuple[Path, Path, Path]] = []  # (temp file, target, path as named)

    def __enter__(self) -> Writes:
        return self

    def __exit__(self, *_: object) -> None:
        for tmp, _target, _path in self.staged:  # those not renamed: a failed build
            tmp.unlink(missing_ok=True)

    def add(self, path: Path, data: bytes, within: Path | None = None) -> None:
        """Stage `path`, a file of the output folder (or of the folder `within`)."""
        if within is None:
            target = _target(self.out_dir, path, "the output folder")
        else:
            target = _target(within, path, "the cards folder")
        self.staged.append((_stage(target, data), target, path))

    def commit(self) -> None:
        while self.staged:
            tmp, target, path = self.staged[0]
            try:
                put_in_place(tmp, target)
            except OSError as e:
                raise AnkigenError(f"{path}: cannot write: {e.strerror}") from None
            del self.staged[0]


def write_one(path: Path, data: bytes, within: Path) -> None:
    """One file of the folder `within` replaced atomically, as Writes does."""
    with Writes(within) as writes:
        writes.add(path, data, within=within)
        writes.commit()


def _target(out_dir: Path, path: Path, what: str) -> Path:
    """Where writing `path` lands: itself, or the file a symbolic link leads to, which must
    be in the folder it is written to (the output folder, or the cards folder for the
    identity file; itself followed if it is a link: you named it)."""
    if not path.is_symlink():
        return path
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a loop of links (RuntimeError before Python 3.13)
        raise AnkigenError(f"{path}: is a symbolic link that leads nowhere (a loop)") from None
    if not target.is_relative_to(out_dir.resolve()):
        raise AnkigenError(
            f"{path}: is a symbolic link to {target}, outside {what} {out_dir}; "
            "ankigen never writes through it: remove the link"
        )
    return target


def _stage(target: Path, data: bytes) -> Path:
    """`data` in a new temp file beside `target`, on the disk (its name: see TEMP_SUFFIX)."""
    try:
        # mkstemp adds random letters: the name is unique whatever the process id.
        fd, name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=TEMP_SUFFIX
        )
    except OSError as e:
        raise AnkigenError(
            f"{target.parent}: cannot write to the output folder: {e.strerror}"
        ) from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.chmod(0o644)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise AnkigenError(f"{target}: cannot write: {e.strerror}") from None
        raise
    return tmp


def put_in_place(tmp: Path, target: Path) -> None:
    tmp.replace(target)  # atomic: a reader sees the old file or the new one
