"""What the generators make: Anki notes of fixed note types, with identities that last."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import genanki

from ankigen.cards import Card
from ankigen.markup import escape, text_html
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
_PAIRS = [a + b for a in _BASE91 for b in _BASE91]


def note_guid(*stable_ids: str) -> str:
    """A note's identity comes from the ids the user gave it, never from its text, so
    editing a card updates the learner's note instead of making a new one.

    The value is genanki's `guid_for("ankigen", *stable_ids)`, computed without its
    per-byte loops (a test holds the two equal)."""
    text = "__".join(("ankigen", *stable_ids))
    number = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    # A 64-bit number is at most ten base-91 digits: five pairs, worked out without a
    # loop (one per note, 40k at 20k cards). The number has no leading zero digits
    # ("a"), and zero is the empty string, as in genanki.
    number, e = divmod(number, 91 * 91)
    number, d = divmod(number, 91 * 91)
    number, c = divmod(number, 91 * 91)
    a, b = divmod(number, 91 * 91)
    return f"{_PAIRS[a]}{_PAIRS[b]}{_PAIRS[c]}{_PAIRS[d]}{_PAIRS[e]}".lstrip(_BASE91[0])


NOTE_BLOCK = '{{#Note}}<div class="note">{{Note}}</div>{{/Note}}'
# Anki's own hint filter: folded until the learner taps it.
HINT = '{{#Hint}}<div class="hint">{{hint:Hint}}</div>{{/Hint}}'

# Every note type ends with these two fields, so any kind of card can show an image.
IMAGE_FIELDS = ("FrontImage", "BackImage")
FRONT_IMAGE = '{{#FrontImage}}<div class="image">{{FrontImage}}</div>{{/FrontImage}}'
BACK_IMAGE = '{{#BackImage}}<div class="image">{{BackImage}}</div>{{/BackImage}}'


class CardNotes:
    """Makes a card's notes of one note type. What they all share (Hint, Note, the image
    fields, tags, media) is worked out once per card, not once per note: a table makes
    a note per cell."""

    __slots__ = ("card", "note_type", "places", "common", "media")

    def __init__(self, card: Card, note_type: NoteType) -> None:
        self.card = card
        self.note_type = note_type
        self.places = _places(note_type)
        self.common = _filled(self.places, [""] * len(note_type.fields), _common(card))
        self.media = (card.image,) if card.image else ()

    def note(
        self, fields: dict[str, str], *ids: str, data: str = "", guid: str | None = None
    ) -> Note:
        """A note whose own fields are `fields`, by name; its guid comes from the card's
        id (and, for a table cell, its row and column keys) unless given."""
        return Note(
            note_guid(self.card.id, *ids) if guid is None else guid,
            self.note_type,
            tuple(_filled(self.places, self.common.copy(), fields)),
            self.card.tags,
            self.media,
            data,
        )


def note_of(
    card: Card,
    note_type: NoteType,
    fields: dict[str, str],
    *ids: str,
    data: str = "",
    guid: str | None = None,
) -> Note:
    """A note made from `card`: `fields` are the kind's own by name; Hint, Note and the
    image fields are filled from the card's common keys, and the guid comes from the card's
    id (and, for a table cell, its row and column keys) unless the kind gives it."""
    # The card's only note: made here, without a CardNotes to share its work with.
    values = _filled(_places(note_type), [""] * len(note_type.fields), _common(card) | fields)
    return Note(
        note_guid(card.id, *ids) if guid is None else guid,
        note_type,
        tuple(values),
        card.tags,
        (card.image,) if card.image else (),
        data,
    )


def _common(card: Card) -> dict[str, str]:
    """The fields every kind's notes have, from the card's common keys."""
    common = {}
    if card.hint:
        common["Hint"] = text_html(card.hint)
    if card.note or card.source:
        # In the Note field: published note types never get a field of their own for it.
        common["Note"] = (text_html(card.note) if card.note else "") + source_html(card.source)
    if card.image is not None:
        img = f'<img src="{card.image.name}" alt="">'
        common["FrontImage" if card.image_side == "front" else "BackImage"] = img
    return common


def source_html(urls: tuple[str, ...]) -> str:
    """The card's sources as links a learner can follow, each named by its host."""
    if not urls:
        return ""
    links = " ".join(
        f'<a href="{escape(url).replace(chr(34), "&quot;")}">{escape(_host(url))}</a>'
        for url in urls
    )
    return f'<div class="source">出典: {links}</div>'


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def _filled(places: dict[str, int], values: list[str], fields: dict[str, str]) -> list[str]:
    """`values` with `fields` put in their places; a field the note type lacks is left out."""
    for name, value in fields.items():
        place = places.get(name)
        if place is not None:
            values[place] = value
    return values


_PLACES: dict[tuple[str, ...], dict[str, int]] = {}


def _places(note_type: NoteType) -> dict[str, int]:
    """Where each of the note type's fields is, by name (worked out once per note type)."""
    places = _PLACES.get(note_type.fields)
    if places is None:
        places = _PLACES[note_type.fields] = {name: i for i, name in enumerate(note_type.fields)}
    return places
