"""The decks a previous build wrote, read back, and compared as Anki would import them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ankigen.files import MAX_DECK_BYTES, read_regular
from ankigen.package import Snapshot, read_package


def read_previous(
    out_dir: Path, notices: list[str], skip: set[Path]
) -> Iterator[tuple[Path, Snapshot]]:
    """The previous decks, one at a time: the caller keeps what it needs of each before
    the next is read (after an upgrade every deck is read back, and all of them at once
    would take memory in proportion to the whole tree)."""
    if out_dir.is_dir():
        for path in sorted(out_dir.glob("*.apkg")):
            if path in skip:
                continue
            try:  # a FIFO or a link to /dev/zero named *.apkg would be read forever
                snapshot = read_package(read_regular(path, MAX_DECK_BYTES))
            except (OSError, ValueError) as e:
                why = e.strerror if isinstance(e, OSError) else e
                notices.append(
                    f"{path}: cannot read the previous build ({why}); it will be replaced"
                )
                continue
            yield path, snapshot


def imports(snapshot: Snapshot) -> bytes:
    """A digest of what Anki imports from a deck: equal digests, equal imports."""

    def canonical(value: Any) -> Any:  # dicts compare equal in any order; their reprs do not
        if isinstance(value, dict):
            return sorted((repr(k), canonical(v)) for k, v in value.items())
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return [canonical(v) for v in value]
        return value

    parts = [canonical(part) for part in snapshot.importable()]
    return hashlib.sha256(repr(parts).encode()).digest()


def same_import(previous: dict[Path, bytes], path: Path, snapshot: Snapshot) -> bool | None:
    """Whether the deck at `path` (its `imports` digest in `previous`) imports as the new
    one; None if there was none, or it could not be read."""
    return None if path not in previous else previous[path] == imports(snapshot)
