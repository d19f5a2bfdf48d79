"""The registry of card kinds: the one place that says what a card may be.

Each kind names its own keys (checked by `ankigen.validate`), the note type its notes use,
and the generator that turns a checked card into notes. Adding a kind means adding a
module here and one line to `KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ankigen.cards import Card
from ankigen.notes import Note, NoteType
from ankigen.schema import Context, Field
from ankigen.slots import History


@dataclass(frozen=True)
class Kind:
    name: str
    fields: dict[str, Field]
    note_type: NoteType
    # The card's notes; `history` holds what the previous build gave notes that number
    # their cards (slots.py), for the kinds that have such notes.
    generate: Callable[[Card, History], list[Note]]
    # One card of this kind as YAML, for `ankigen new`; {section} is the new section's id.
    example: str
    # Checks across keys once each key is valid (a table's cells against its rows and
    # columns); returns the values to keep, or None after reporting what is wrong.
    finish: Callable[[dict[str, Any], Context], dict[str, Any] | None] | None = None
    # Note types this kind used before: a note still on one is moved by the learner, once
    # (Anki never changes a note's type on import).
    retired: tuple[NoteType, ...] = ()


def _registry() -> dict[str, Kind]:
    from ankigen.kinds import cloze, command, table, term

    return {kind.name: kind for kind in (term.KIND, command.KIND, table.KIND, cloze.KIND)}


KINDS: dict[str, Kind] = _registry()


def generate(cards: Iterable[Card], history: History | None = None) -> list[Note]:
    """The notes these cards make, each by its kind's generator, in card order."""
    history = history if history is not None else {}
    return [note for card in cards for note in KINDS[card.kind].generate(card, history)]
