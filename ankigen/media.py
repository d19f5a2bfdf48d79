"""Images on cards: checked like any other value, packed under content-derived names.

A packed file is named after its content (`ankigen-<sha256>.svg`), so two different
files never share a name (not even names that differ only in letter case, which a
phone's file system may fold), one file used by many cards is packed once, and a
changed image gets a new name, which changes the notes that show it.
"""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass
from pathlib import Path

from ankigen.files import read_regular
from ankigen.svg import svg_problem

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
MAX_IMAGE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Media:
    name: str  # the name in the package and in the learner's media folder
    data: bytes


def media_for(data: bytes, suffix: str) -> Media:
    digest = hashlib.sha256(data).hexdigest()[:32]
    return Media(f"ankigen-{digest}{suffix.lower().replace('.jpeg', '.jpg')}", data)


def read_image(path: Path, root: Path) -> Media | str:
    """The image at `path`, or why it cannot go on a card."""
    if "\x00" in str(path):
        return "holds a NUL character (U+0000), which no file name can hold"
    try:
        resolved = path.resolve()
        resolved.relative_to(root.resolve())
    except ValueError:
        return "is outside the cards folder"
    except RuntimeError:  # Python 3.11's resolve() on a loop of symbolic links
        return "cannot be read: a loop of symbolic links"
    except OSError as e:
        return f"cannot be read: {e.strerror}"
    suffix = path.suffix.lower()
    if suffix not in IMAGE_TYPES:
        return f"is not a supported image type (use one of: {', '.join(sorted(IMAGE_TYPES))})"
    try:
        status = resolved.stat()
        # Only a regular file: reading a FIFO or a device would wait, or never end.
        if not stat.S_ISREG(status.st_mode):
            return "is not a regular file"
        if status.st_size > MAX_IMAGE_BYTES:
            return f"is too large ({status.st_size:,} bytes; the limit is {MAX_IMAGE_BYTES:,})"
        data = read_regular(resolved, MAX_IMAGE_BYTES)
    except FileNotFoundError:
        return "does not exist"
    except OSError as e:
        return f"cannot be read: {e.strerror}"
    problem = svg_problem(data) if suffix == ".svg" else _raster_problem(data, suffix)
    if problem:
        return problem
    return media_for(data, suffix)


# How each raster format's files begin (a browser trusts the content, not the name).
_SIGNATURES = {
    ".png": ("PNG", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("JPEG", lambda d: d.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("JPEG", lambda d: d.startswith(b"\xff\xd8\xff")),
    ".gif": ("GIF", lambda d: d[:6] in (b"GIF87a", b"GIF89a")),
    ".webp": ("WebP", lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP"),
}


def _raster_problem(data: bytes, suffix: str) -> str | None:
    kind, matches = _SIGNATURES[suffix]
    if not matches(data):
        return f"is not a {kind} image (its content does not begin as one)"
    return None
