"""Reading a file that someone else may have put there: a regular file, of a bounded size.

A cloned repository can hold anything under `cards/` and `decks/`: a FIFO (reading it
waits for a writer that never comes), a link to `/dev/zero` (reading it never ends), a
file of gigabytes. Every file ankigen reads whole goes through `read_regular`.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

# The build's record and its pending report (37 MB at 100k cards and as many warnings).
MAX_RECORD_BYTES = 256 * 1024 * 1024
# A deck read back whole (100k cards of text made 20-30 MB).
MAX_DECK_BYTES = 1024 * 1024 * 1024


class NotReadable(OSError):
    """Not a regular file, or larger than the reader's limit: `strerror` says which."""


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes; else raises
    NotReadable (or the OSError of opening it)."""
    # Non-blocking: opening a FIFO for reading would otherwise wait for a writer. Windows
    # has no FIFOs in its file system, nor the flag.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as f:
        status = os.fstat(f.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise NotReadable(errno.EINVAL, "not a regular file", str(path))
        if status.st_size > limit:
            raise NotReadable(errno.EFBIG, _too_large(status.st_size, limit), str(path))
        data = f.read(limit + 1)  # a file growing meanwhile is cut here, and refused
    if len(data) > limit:
        raise NotReadable(errno.EFBIG, _too_large(len(data), limit), str(path))
    return data


def _too_large(size: int, limit: int) -> str:
    return f"too large ({size:,} bytes; the limit is {limit:,})"
