"""What the generators make: Anki notes of fixed note types, with identities that last."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import genanki

from ankigen.cards import Card
from ankigen.markup import text_html
from ankigen.media import Media

CSS = (Path(__file__).parent / "card.css").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Template:
    name: str
    front: str
    back: str


@dataclass(frozen=True)
class NoteType:
    """An Anki note type. Once published, `id`, `fields` and template names never change:
    Anki matches note types by id, and a changed field or template name makes it fork the
    learner's copy into "<name>+" and skip every update (see CHANGELOG.md).
    CSS and template text may change; Anki updates those in place.

    A kind that needs other fields gets a new note type with a new id; the one it replaces
    is listed in the kind's `retired`, so a build can tell learners how to move their notes."""

    id: int
    name: str
    fields: tuple[str, ...]
    templates: tuple[Template, ...]
    cloze: bool = False
    css: str = CSS


@dataclass(frozen=True, slots=True)
class Note:
    guid: str
    note_type: NoteType
    fields: tuple[str, ...]  # HTML, in the note type's field order
    tags: tuple[str, ...]
    media: tuple[Media, ...] = ()
    # Kept in the deck beside the note, never shown: what the next build needs to know
    # about this note's past (a cloze note's item numbers, see slots.py).
    data: str = ""


_BASE91 = genanki.util.BASE91_TABLE
# Two base-91 digits at a time: half the divisions.
_BASE91_PAIRS = [a + b for a in _BASE91 for b in _BASE91]


def note_guid(*stable_ids: str) -> str:
    """A note's identity comes from the ids the user gave it, never from its text, so
    editing a card updates the learner's note instead of making a new one.

    The value is genanki's `guid_for("ankigen", *stable_ids)`, computed without its
    per-byte loops (a test holds the two equal)."""
    text = "__".join(("ankigen", *stable_ids))
    number = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    digits = []
    while number >= 91 * 91:
        number, pair = divmod(number, 91 * 91)
        digits.append(_BASE91_PAIRS[pair])
    # The leading digit is never a zero: one digit or two are left, or none (a zero).
    if number >= 91:
        digits.append(_BASE91_PAIRS[number])
    elif number > 0:
        digits.append(_BASE91[number])
    return "".join(reversed(digits))


NOTE_BLOCK = '{{#Note}}<div class="note">{{Note}}</div>{{/Note}}'
# Anki's own hint filter: folded until the learner taps it.
HINT = '{{#Hint}}<div class="hint">{{hint:Hint}}</div>{{/Hint}}'

# Every note type ends with these two fields, so any kind of card can show an image.
IMAGE_FIELDS = ("FrontImage", "BackImage")
FRONT_IMAGE = '{{#FrontImage}}<div class="image">{{FrontImage}}</div>{{/FrontImage}}'
BACK_IMAGE = '{{#BackImage}}<div class="image">{{BackImage}}</div>{{/BackImage}}'


def note_of(
    card: Card, note_type: NoteType, fields: dict[str, str], *ids: str, data: str = ""
) -> Note:
    """A note made from `card`: `fields` are the kind's own by name; Hint, Note and the
    image fields are filled from the card's common keys, and the guid comes from the card's
    id (and, for a table cell, its row and column keys)."""
    common = {"Hint": text_html(card.hint or ""), "Note": text_html(card.note or "")}
    if card.image is not None:
        img = f'<img src="{card.image.name}" alt="">'
        common["FrontImage" if card.image_side == "front" else "BackImage"] = img
    values = {**common, **fields}
    media = (card.image,) if card.image else ()
    return Note(
        note_guid(card.id, *ids),
        note_type,
        tuple(values.get(name, "") for name in note_type.fields),
        card.tags,
        media,
        data,
    )
