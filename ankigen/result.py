"""What a build makes, before it is written: its decks and what it found."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ankigen import stamp as stamps
from ankigen.changes import Findings
from ankigen.snapshot import Outline


@dataclass
class Deck:
    """One .apkg file to write, and how it differs from the one already there."""

    path: Path
    notes: int
    cards: int
    # The new deck, kept in the run's scratch folder until it is written (so a build holds
    # one deck's bytes at a time); None when the deck on disk is known to be current.
    file: Path | None = None
    sha256: str = ""  # of the new deck's bytes
    snapshot: Outline | None = None  # what the rest of the build needs of the new deck
    # How the deck on disk compares, as Anki would import it: None if there is none (or
    # it could not be read), else whether it imports the same as the new one.
    same_import: bool | None = None
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0  # notes of this deck that no card makes any more
    written: bool = False

    def read(self) -> bytes:
        assert self.file is not None, "a current deck is not made again"
        return self.file.read_bytes()


@dataclass
class Result:
    decks: list[Deck]
    warnings: stamps.Warnings
    notices: list[str]  # about the previous build, e.g. a deck we could not read
    stamp: stamps.Stamp | None = None  # what to record once the decks are written
    # Holds the new decks (Deck.file): removed by `close`, or when the Result is collected.
    scratch: tempfile.TemporaryDirectory[str] | None = None
    # What the learner must do in Anki after importing (changes.py).
    findings: Findings = field(default_factory=Findings)
    # The identity file a build writes (identity.py), if it is not the one on disk.
    identity: tuple[Path, str] | None = None
    # Said on stderr, but no reason for --check to fail: why the last build's record was
    # not used (stamp.read).
    remarks: list[str] = field(default_factory=list)
    # Note types whose style (CSS) differs from the last build's: Anki updates it in place.
    restyled: list[str] = field(default_factory=list)

    def close(self) -> None:
        """The new decks are written (or not needed): their scratch copies go."""
        if self.scratch is not None:
            self.scratch.cleanup()
