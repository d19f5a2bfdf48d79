"""One adopted note as a card: `kind: note` as Anki has it, or (import --as-kinds) one of
ankigen's own kinds where that means the same.

Basic becomes `term`, Basic (and reversed card) `term` with `reverse`, and Cloze `gaps`,
when each field is card text that ankigen shows as Anki did: what `unmarkup` reads back
exactly (bold, code, lines, entities; not images, italics, colours, ...), none of Anki's
own markup ([sound:], [latex], MathJax), and, for a cloze, plain text (no HTML, no
ankigen markup) with deletions c1, c2, ... in order, each once, without hints. Anki
never changes a note's type on import, so the learner changes these notes' type once
(the import says how); their guids stay, and so do their reviews.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ankigen.exported import ExportedNote, ExportedNoteType
from ankigen.kinds import gaps, term
from ankigen.unmarkup import Unsayable, text_of

# Anki's `originalStockKind` of a note type made from a stock one.
BASIC, BASIC_AND_REVERSED, CLOZE = 1, 2, 5
KIND_TYPES = {"term": term.NOTE_TYPE.name, "gaps": gaps.NOTE_TYPE.name}

_ANKI_MARKUP = re.compile(r"\[sound:|\[latex\]|\[\$\$?\]|\\\(|\\\[|\{\{|\}\}")
_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)\}\}", re.S)


def is_stock(note_type: ExportedNoteType) -> bool:
    """Made from Basic, Basic (and reversed card) or Cloze, with their fields: a note type
    whose notes --as-kinds turns into ankigen's kinds where their text allows."""
    stock = note_type.raw.get("originalStockKind")
    if stock == CLOZE:
        return note_type.fields == ("Text", "Back Extra") and note_type.cloze
    return stock in (BASIC, BASIC_AND_REVERSED) and note_type.fields == ("Front", "Back")


def as_note(note: ExportedNote, note_type: ExportedNoteType, card_id: str) -> dict[str, Any]:
    card: dict[str, Any] = {"id": card_id, "kind": "note", "notetype": note_type.name}
    card["guid"] = note.guid
    if note.tags:
        card["tags"] = list(note.tags)
    card["fields"] = dict(zip(note_type.fields, note.fields, strict=True))
    return card


def as_kind(note: ExportedNote, note_type: ExportedNoteType, card_id: str) -> dict[str, Any] | None:
    """The note as a `term` or `gaps` card, or None where that would not mean the same."""
    if not is_stock(note_type):
        return None
    stock = note_type.raw.get("originalStockKind")
    card: dict[str, Any] = {"id": card_id, "guid": note.guid}
    templates = len(note_type.templates)
    if stock in (BASIC, BASIC_AND_REVERSED):
        if templates != (1 if stock == BASIC else 2):
            return None
        front, back = (card_text(f) for f in note.fields)
        if not (front and front.strip() and back and back.strip()):
            return None
        card |= {"kind": "term", "term": front, "meaning": back}
        if stock == BASIC_AND_REVERSED:
            card["reverse"] = True
    else:
        text, extra = _gaps(note.fields[0]), card_text(note.fields[1])
        if text is None or extra is None:
            return None
        card |= {"kind": "gaps", "text": text}
        if extra:
            card["note"] = extra
    if note.tags:
        card["tags"] = list(note.tags)
    return card


def card_text(field: str) -> str | None:
    """The field as card text, if ankigen shows that text as Anki shows the field."""
    try:
        text = text_of(field)
    except Unsayable:
        return None
    return None if _ANKI_MARKUP.search(text) else text


def plain(field: str) -> str | None:
    """A piece of a cloze field as gaps text: no HTML, no markup, kept to the space."""
    if "<" in field or "\n" in field:
        return None
    text = html.unescape(field)
    if "**" in text or "`" in text or _ANKI_MARKUP.search(text):
        return None
    return text


def _gaps(field: str) -> str | None:
    """A cloze field as a `gaps` text: its deletions c1, c2, ... in order, each once."""
    parts = _CLOZE.split(field)
    numbers = [int(n) for n in parts[1::3]]
    if numbers != list(range(1, len(numbers) + 1)):
        return None
    pieces = []
    for i, part in enumerate(parts):
        if i % 3 == 1:
            continue
        text = plain(part) if part else ""
        if text is None or (i % 3 == 2 and (not text or "::" in text)):
            return None
        pieces.append(f"{{{{{text}}}}}" if i % 3 == 2 else text)
    return "".join(pieces)
