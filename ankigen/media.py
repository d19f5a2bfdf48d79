"""Images and sounds on cards: checked like any other value, packed under content-derived
names.

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
# What Anki plays with [sound:...] on desktop, AnkiDroid and AnkiMobile alike.
AUDIO_TYPES = {".mp3", ".ogg", ".opus", ".m4a", ".wav"}
# A spoken word or sentence is tens of kilobytes; a whole lecture is not a card.
MAX_AUDIO_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Media:
    name: str  # the name in the package and in the learner's media folder
    data: bytes


def media_for(data: bytes, suffix: str) -> Media:
    digest = hashlib.sha256(data).hexdigest()[:32]
    return Media(f"ankigen-{digest}{suffix.lower().replace('.jpeg', '.jpg')}", data)


def read_image(path: Path, root: Path) -> Media | str:
    """The image at `path`, or why it cannot go on a card."""
    return _read_media(path, root, "image", IMAGE_TYPES, MAX_IMAGE_BYTES)


def read_audio(path: Path, root: Path) -> Media | str:
    """The sound file at `path`, or why it cannot go on a card."""
    return _read_media(path, root, "sound", AUDIO_TYPES, MAX_AUDIO_BYTES)


def _read_media(path: Path, root: Path, what: str, types: set[str], limit: int) -> Media | str:
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
    if suffix not in types:
        return f"is not a supported {what} type (use one of: {', '.join(sorted(types))})"
    try:
        status = resolved.stat()
        # Only a regular file: reading a FIFO or a device would wait, or never end.
        if not stat.S_ISREG(status.st_mode):
            return "is not a regular file"
        if status.st_size > limit:
            return f"is too large ({status.st_size:,} bytes; the limit is {limit:,})"
        data = read_regular(resolved, limit)
    except FileNotFoundError:
        return "does not exist"
    except OSError as e:
        return f"cannot be read: {e.strerror}"
    problem = svg_problem(data) if suffix == ".svg" else _content_problem(data, suffix)
    if problem:
        return problem
    return media_for(data, suffix)


# How each raster or sound format's files begin (a browser, and a phone's player, trust
# the content, not the name).
_SIGNATURES = {
    ".png": ("a PNG", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("a JPEG", lambda d: d.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("a JPEG", lambda d: d.startswith(b"\xff\xd8\xff")),
    ".gif": ("a GIF", lambda d: d[:6] in (b"GIF87a", b"GIF89a")),
    ".webp": ("a WebP", lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP"),
    # An ID3 tag, or straight away an MPEG audio frame (its 11 sync bits set).
    ".mp3": ("an MP3", lambda d: d[:3] == b"ID3" or (len(d) > 1 and d[0] == 0xFF and d[1] >= 0xE0)),
    ".ogg": ("an Ogg", lambda d: d[:4] == b"OggS"),
    ".opus": ("an Ogg Opus", lambda d: d[:4] == b"OggS"),
    ".m4a": ("an M4A (MPEG-4 audio)", lambda d: d[4:8] == b"ftyp"),
    ".wav": ("a WAV", lambda d: d[:4] == b"RIFF" and d[8:12] == b"WAVE"),
}


def _content_problem(data: bytes, suffix: str) -> str | None:
    kind, matches = _SIGNATURES[suffix]
    if not matches(data):
        what = "sound file" if suffix in AUDIO_TYPES else "image"
        return f"is not {kind} {what} (its content does not begin as one)"
    return None
