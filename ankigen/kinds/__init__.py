"""The registry of card kinds: the one place that says what a card may be.

A kind is one module here, whose `KIND` names its keys (checked by `ankigen.validate`,
with any value types of its own), the note type its notes use, the generator that turns
a checked card into notes, and its example for `ankigen new`. Adding a kind means that
module, its name in `MODULES`, and its note type's pin in tests/note_types.json (see
CONTRIBUTING.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from ankigen.cards import Card, Piece, Question
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
    # The Anki cards one such card makes, in words, for README's table of kinds.
    asks: str
    # Checks across keys once each key is valid (a table's cells against its rows and
    # columns); returns the values to keep, or None after reporting what is wrong.
    finish: Callable[[dict[str, Any], Context], dict[str, Any] | None] | None = None
    # Note types this kind used before: a note still on one is moved by the learner, once
    # (Anki never changes a note's type on import).
    retired: tuple[NoteType, ...] = ()
    # Keys whose whole text is a command (not prose): the lint checks it as it checks
    # `inline code`, for characters a learner cannot type back (`ankigen.lint`).
    code_keys: tuple[str, ...] = ()
    # For the card-design rules (rules.py): every text a card of this kind shows, marked
    # answer where the learner must produce it, and what each of its Anki cards asks.
    # Without them, a kind's texts are checked for spelling and damage only.
    texts: Callable[[Card], Iterable[Piece]] | None = None
    questions: Callable[[Card], Iterable[Question]] = lambda card: ()
    # A card written in another tool's syntax for something this kind is not (Anki's own
    # {{c1::...}} under kind: cloze): says so in one message and returns True, instead of
    # a message for every key the card then lacks or should not have.
    mistaken: Callable[[dict[str, Any], Context], bool] | None = None
    # Whether its notes get the tag `kind::<name>` (not a note made elsewhere: its tags
    # stay as the learner has them).
    tagged: bool = True
    # Files its example needs, by path under the cards folder (`ankigen new` writes them).
    example_files: dict[str, str] = field(default_factory=dict)
    # The note type a card names, for a kind whose note type is the card's choice (`note`).
    note_type_of: Callable[[Card], NoteType] | None = None

    def texts_of(self, card: Card) -> Iterable[Piece]:
        if self.texts is not None:
            return self.texts(card)
        return (
            Piece(key, key, value, code=key in self.code_keys)
            for key, value in card.values.items()
            if isinstance(value, str)
        )


# In this order `ankigen list` shows their columns and `ankigen new` writes their examples.
MODULES = ("term", "command", "table", "cloze", "gaps", "note")


def _registry() -> dict[str, Kind]:
    kinds: list[Kind] = [import_module(f"{__name__}.{name}").KIND for name in MODULES]
    return {kind.name: kind for kind in kinds}


KINDS: dict[str, Kind] = _registry()


def generate(cards: Iterable[Card], history: History | None = None) -> Iterator[Note]:
    """The notes these cards make, each by its kind's generator, in card order: made as
    they are asked for, so a build never holds a whole deck's notes (see build_package)."""
    history = history if history is not None else {}
    for card in cards:
        yield from KINDS[card.kind].generate(card, history)
