"""Validated card files: what the loader read, checked and typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ankigen.errors import Loc
from ankigen.markup import escape, text_html
from ankigen.media import Media

# Lint rules silenced: (code, why) pairs. A tuple, shared when empty, that a build's
# second process can receive (packer.py pickles cards).
Silences = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    kind: str
    values: dict[str, Any]  # the kind's own keys, checked
    note: str | None
    hint: str | None
    image: Media | None
    image_side: str  # "back" or "front"
    tags: tuple[str, ...]  # section tags + kind tag + the card's own
    loc: Loc
    value_locs: Mapping[str, Loc] = field(repr=False)
    # Lint rules this card silences: code -> why (ankigen.rules).
    silences: Silences = ()

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


class DeckHeader(NamedTuple):
    name: str
    description: str  # HTML: what Anki shows on the deck's overview screen


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    deck: str
    cards: tuple[Card, ...]
    path: str
    value_locs: Mapping[str, Loc] = field(default_factory=dict, repr=False)
    description: str | None = None
    silences: Silences = ()  # for every card of the section

    def deck_header(self) -> DeckHeader:
        text = f"<b>{escape(self.title)}</b>"
        if self.description:
            text += f"<br>{text_html(self.description)}"
        return DeckHeader(self.deck, text)
