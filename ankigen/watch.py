"""`ankigen build --watch`: build again whenever a card file changes.

Polling keeps it dependency-free and works the same on every file system; card folders
are small, so a stat of each file twice a second costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ankigen.build import is_card_file


def _state(cards_dir: Path) -> frozenset[tuple[str, int, int]]:
    try:
        files = [p for p in cards_dir.iterdir() if is_card_file(p)]
    except OSError:
        return frozenset()
    state = set()
    for path in files:
        try:
            status = path.stat()
        except OSError:  # gone between the listing and the stat (an editor's save)
            continue
        state.add((path.name, status.st_mtime_ns, status.st_size))
    return frozenset(state)


def watch(cards_dir: Path, build_once: Callable[[], None], interval: float = 0.5) -> None:
    """Run `build_once` now and after every change, until interrupted (Ctrl-C)."""
    seen = _state(cards_dir)
    build_once()
    while True:
        time.sleep(interval)
        now = _state(cards_dir)
        if now != seen:
            seen = now
            build_once()
