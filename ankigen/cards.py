"""Validated card files: what the loader read, checked and typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ankigen.errors import Loc
from ankigen.markup import escape, text_html
from ankigen.media import Media

# Lint rules silenced: (code, why) pairs. A tuple: the empty one is shared by every card.
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
    # The ids this card had before (`was:`): it keeps their notes and reviews.
    was: tuple[str, ...] = ()
    # The id its notes' guids are made from: its own, or, for a renamed card, the one its
    # notes were first made under (identity.Identity.origin); set by the build.
    origin: str = ""
    audio: tuple[Media, ...] = ()  # played with Anki's [sound:...]
    audio_side: str = "back"  # or "front"
    math: bool = False  # Anki's MathJax typesets \(...\) and \[...\] in its text
    # The note's guid as written (a note made elsewhere, see `ankigen import`); else it
    # comes from the id (notes.card_guid, identity.Identity.origin).
    guid: str | None = None
    source: tuple[str, ...] = ()  # URLs of the pages that state the card's fact

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def media(self) -> tuple[Media, ...]:
        """Every file the card's notes show or play, to be packed with them."""
        return (self.image, *self.audio) if self.image else self.audio


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
    lang: str | None = None  # the language its cards are written in (BCP 47), if given
    require_source: bool = False  # every card cites its source (AG110)

    def deck_header(self) -> DeckHeader:
        text = f"<b>{escape(self.title)}</b>"
        if self.description:
            text += f"<br>{text_html(self.description)}"
        return DeckHeader(self.deck, text)


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__,
# 3x the cost, and the lint makes 5 of these a card (100k for 20k cards).
@dataclass(slots=True)
class Piece:
    """One text a card shows, with what it is to the learner (for the card-design rules)."""

    label: str  # as messages name it: 'meaning', 'items[2]', 'cells.nat.host'
    key: str  # the card's key it is written under
    text: str
    code: bool = False  # a command, shown exactly as typed
    answer: bool = False  # what the learner must produce
    cloze: bool = False  # a cloze item or a gap (AG106, not AG101)
    gap: int = 0  # which gap of a text, from 1
    at: Loc | None = None  # where, if not at its key's value (a table's header)

    def loc(self, card: Card) -> Loc:
        # Worked out only for a finding: a location is made from the parser's mark.
        return self.at or card.value_locs.get(self.key, card.loc)


class Question(NamedTuple):
    """What one of a card's Anki cards asks: the key its prompt is written under, the prompt,
    and, where the rules look at it, the answer asked for (AG103: a prompt must not hold its
    answer; AG105: a typed answer must be typeable)."""

    key: str
    text: str
    code: bool
    answer: str | None = None
    answer_key: str = ""  # where the answer is written, for a message's location
    typed: bool = False  # the learner types the answer in
    remedy: str = ""  # a kind's own way out of AG103, added to its message
