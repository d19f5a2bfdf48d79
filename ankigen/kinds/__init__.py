"""The registry of card kinds: the one place that says what a card may be.

A kind is one module here, whose `KIND` names its keys (checked by `ankigen.validate`,
with any value types of its own), the note type its notes use, the generator that turns
a checked card into notes, and its example for `ankigen new`. Adding a kind means that
module, its name in `MODULES`, and its note type's pin in tests/note_types.json (see
CONTRIBUTING.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib import import_module

from ankigen.cards import Card
from ankigen.kinds.kind import Back, Derived, Kind
from ankigen.notes import Note
from ankigen.slots import History

__all__ = ["KINDS", "MODULES", "Back", "Derived", "Kind", "generate"]


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
