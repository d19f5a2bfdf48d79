"""`ankigen build --check`: what a build would change in the decks on disk."""

from __future__ import annotations

from pathlib import Path

from ankigen.build import Options, plan
from ankigen.result import Result


def check(
    cards_dir: Path, out_dir: Path, strict: bool = False, combined: bool = False
) -> tuple[Result, list[str]]:
    """What is stale or missing in `out_dir`, compared as Anki would import it, and whether
    the identity file is the one a build would write."""
    result = plan(cards_dir, out_dir, Options(strict, combined, compare=True))
    result.close()  # compared by what Anki imports: the new decks' bytes are not needed
    stale = []
    command = "ankigen build --combined" if combined else "ankigen build"
    if result.identity is not None:
        path, _ = result.identity
        stale.append(
            f"{path}: not what a build writes (missing, or cards changed since); run "
            f"'{command}' and commit it with your cards"
        )
    for deck in result.decks:
        if deck.snapshot is None:  # known current from the last build's stamp
            continue
        if deck.same_import is None:
            if not deck.path.exists():  # a damaged deck is in the notices already
                stale.append(f"{deck.path}: missing; run '{command}'")
        elif not deck.same_import:
            stale.append(f"{deck.path}: stale (cards changed since it was built); run '{command}'")
    stale += result.notices
    return result, stale
