"""What the generators make: Anki notes of fixed note types, with identities that last."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import genanki

from ankigen.cards import Card
from ankigen.markup import escape, math_html, text_html
from ankigen.media import Media

# Anki's ids are milliseconds in 64 bits and its dates end with the year 9999: the latest
# time a build may take its clock from, and what any time or id read back must stay under.
MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z
MAX_ID = MAX_EPOCH * 1000 + 999

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
    # A note type of the learner's own (a file in cards/notetypes/, see notetypes.py): its
    # JSON as Anki keeps it, written into the deck as it is, with its recorded mtime.
    # Empty for ankigen's own kinds.
    anki: str = ""
    mod: int | None = None  # None: not recorded (a note type written by hand)


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
    # What names it in the identity file: its card's id, the id its guid is made from, and
    # a table cell's row and column keys.
    key: tuple[str, ...] = ()


def note_guid(*stable_ids: str) -> str:
    """A note's identity comes from the ids the user gave it, never from its text, so
    editing a card updates the learner's note instead of making a new one."""
    return genanki.guid_for("ankigen", *stable_ids)


NOTE_BLOCK = '{{#Note}}<div class="note">{{Note}}</div>{{/Note}}'
# Anki's own hint filter: folded until the learner taps it.
HINT = '{{#Hint}}<div class="hint">{{hint:Hint}}</div>{{/Hint}}'

# Every note type ends with these two fields, so any kind of card can show an image (and
# play a sound).
IMAGE_FIELDS = ("FrontImage", "BackImage")
FRONT_IMAGE = '{{#FrontImage}}<div class="image">{{FrontImage}}</div>{{/FrontImage}}'
BACK_IMAGE = '{{#BackImage}}<div class="image">{{BackImage}}</div>{{/BackImage}}'


def card_guid(card: Card, *ids: str) -> str:
    """The guid of a card's note: as the card gives it (a note made elsewhere), else from
    its id, or from the id a renamed card's notes were first made under (and, for a table
    cell, its row and column keys). Never from its text."""
    if card.guid is not None:
        return card.guid
    return note_guid(card.origin or card.id, *ids)


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
        self.media = card.media

    def note(
        self, fields: dict[str, str], *ids: str, data: str = "", guid: str | None = None
    ) -> Note:
        """A note whose own fields are `fields`, by name; its guid comes from the card's
        id (and, for a table cell, its row and column keys) unless given."""
        return Note(
            card_guid(self.card, *ids) if guid is None else guid,
            self.note_type,
            tuple(_filled(self.places, self.common.copy(), fields)),
            self.card.tags,
            self.media,
            data,
            (self.card.id, self.card.origin or self.card.id, *ids),
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
        card_guid(card, *ids) if guid is None else guid,
        note_type,
        tuple(values),
        card.tags,
        card.media,
        data,
        (card.id, card.origin or card.id, *ids),
    )


def _common(card: Card) -> dict[str, str]:
    """The fields every kind's notes have, from the card's common keys."""
    common = {}
    if card.hint:
        common["Hint"] = math_html(text_html(card.hint), card.math)
    if card.note or card.source:
        # In the Note field: published note types never get a field of their own for it.
        note = math_html(text_html(card.note), card.math) if card.note else ""
        common["Note"] = note + source_html(card.source)
    if card.image is not None:
        img = f'<img src="{card.image.name}" alt="">'
        common["FrontImage" if card.image_side == "front" else "BackImage"] = img
    if card.audio:
        # The media fields are the only place a published note type has for sound: after
        # the image, Anki shows each [sound:...] as a play button and plays it on its own.
        side = "FrontImage" if card.audio_side == "front" else "BackImage"
        common[side] = common.get(side, "") + "".join(f"[sound:{m.name}]" for m in card.audio)
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
