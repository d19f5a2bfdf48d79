"""What a card kind is: the `Kind` each module in `ankigen.kinds` declares.

Its own module, which the kind modules import, so that `ankigen.kinds` can import every
kind module to build its registry without a kind module importing it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ankigen.cards import Card, Piece, Question
from ankigen.notes import IMAGE_FIELDS, Note, NoteType
from ankigen.slots import History
from ankigen.unmarkup import Unsayable, text_of
from ankigen.values import Context, Field

Path = tuple[str | int, ...]  # a value's place in its card: keys, and list places from 0


class Derived(Unsayable):
    """The field is made by the build from other values: it has no value of its own."""


@dataclass(frozen=True, slots=True)
class Back:
    """A value a note's field comes from, as the field now says it should read (`ankigen
    pull`): where it is in the card, its text (None: an optional key emptied, to remove),
    and the card's text there now, written the same way (so the two compare)."""

    path: Path
    text: str | None
    was: str | None


# Every kind's notes end with these: (Anki field, card key).
_COMMON = {"Hint": "hint", "Note": "note"}
# What a build adds after the note's text (a card's `source:` link): made, never written.
_SOURCE = '<div class="source">'


def optional_back(key: str, was: str | None, field_html: str) -> Back:
    """An optional text key: an emptied field removes it."""
    text = text_of(field_html, was or "")
    return Back((key,), text or None, was)


def _note_back(card: Card, made: Note, field_html: str) -> Back:
    made_html = made.fields[made.note_type.fields.index("Note")]
    text, _, source = field_html.partition(_SOURCE)
    if source != made_html.partition(_SOURCE)[2]:
        raise Derived("the source link after the note is made from the card's `source`")
    return optional_back("note", card.note, text)


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
    # For `ankigen pull`: the values the kind's own field of one of its notes (made by the
    # last build) comes from, given the field's HTML in Anki. Raises Unsayable for a field
    # the build derives (a table's grid) or HTML the card syntax cannot say.
    back: Callable[[Card, Note, str, str], list[Back]] | None = None

    def way_back(self, card: Card, made: Note, field: str, field_html: str) -> list[Back]:
        """The values a field of a note comes from: Hint and Note for every kind, the
        kind's own fields by its `back`; every field by its `back` for a kind whose note type
        is the card's choice (its fields are its own, whatever their names)."""
        if self.note_type_of is not None and self.back is not None:
            return self.back(card, made, field, field_html)
        if field == "Note":
            return [_note_back(card, made, field_html)]
        if field in _COMMON:
            return [optional_back(_COMMON[field], getattr(card, _COMMON[field]), field_html)]
        if field in IMAGE_FIELDS:
            raise Derived(f"{field} is made from the card's `image`; change it in the file")
        if self.back is None:
            raise Derived(f"{field} is made by the build; change the card file instead")
        return self.back(card, made, field, field_html)

    def texts_of(self, card: Card) -> Iterable[Piece]:
        if self.texts is not None:
            return self.texts(card)
        return (
            Piece(key, key, value, code=key in self.code_keys)
            for key, value in card.values.items()
            if isinstance(value, str)
        )
