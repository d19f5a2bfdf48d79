"""`ankigen build --watch`: build again whenever anything under the cards folder changes.

Polling keeps it dependency-free and works the same on every file system; card folders
are small, so a stat of each file a few times a second costs nothing. A build reads card
files and the images they name, in any subfolder, so the whole tree is watched (except
dot files and editors' swap and backup files). An editor's save is often several writes
(or a delete and a rename), so a build waits until the tree has stayed the same for a
moment; a file that vanishes while we look is taken as a change still under way.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from ankigen.project import CONFIG_NAME

# (path under the cards folder, mtime in ns, size) of every watched file; None when the
# folder could not be read to the end (a file or folder vanished under us).
TreeState = frozenset[tuple[str, int, int]] | None

SETTLE = 0.3  # seconds the tree must stay the same before a build


def ignored(name: str) -> bool:
    """Dot files and folders, and the swap, lock and backup files editors write; not the
    lint settings, which change what a build reports."""
    return name != CONFIG_NAME and (
        name.startswith((".", "#"))  # .#x (Emacs lock), #x# (Emacs auto-save), .x.swp (Vim)
        or name.endswith(("~", ".swp", ".swo", ".swx", ".tmp"))
        or name == "4913"  # Vim writes and deletes it to test a folder
    )


def tree_state(cards_dir: Path) -> TreeState:
    files: list[tuple[str, int, int]] = []
    try:
        _scan(cards_dir, "", files)
    except OSError:
        return None
    return frozenset(files)


def _scan(folder: Path, prefix: str, files: list[tuple[str, int, int]]) -> None:
    with os.scandir(folder) as entries:
        for entry in entries:
            if ignored(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                _scan(Path(entry.path), f"{prefix}{entry.name}/", files)
                continue
            try:
                stat = entry.stat()
            except OSError:
                if not entry.is_symlink():
                    raise  # vanished while we looked: the caller looks again
                # A link to nothing: the build cannot read it either, and it may stay.
                files.append((prefix + entry.name, -1, -1))
                continue
            files.append((prefix + entry.name, stat.st_mtime_ns, stat.st_size))


class Debounce:
    """Decides, from what each look at the tree saw and when, whether to build now."""

    def __init__(self, built: TreeState, settle: float = SETTLE) -> None:
        self.built = built  # the tree as it was when the last build started
        self.settle = settle
        self.seen: TreeState = built
        self.since = 0.0

    def settling(self) -> bool:
        return self.seen != self.built

    def observe(self, state: TreeState, now: float) -> bool:
        if state is None or state != self.seen:
            # Changed (or could not be read): wait for it to stay as it is.
            self.seen, self.since = state, now
            return False
        if state != self.built and now - self.since >= self.settle:
            self.built = state
            return True
        return False


def watch(cards_dir: Path, build_once: Callable[[], None], interval: float = 0.5) -> None:
    """Run `build_once` now and after every change, until interrupted (Ctrl-C)."""
    debounce = Debounce(tree_state(cards_dir))
    build_once()
    while True:
        # While a change settles, look often, so the build follows soon after the save.
        time.sleep(min(interval, SETTLE / 3) if debounce.settling() else interval)
        if debounce.observe(tree_state(cards_dir), time.monotonic()):
            build_once()
