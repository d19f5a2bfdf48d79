"""What the generators make: Anki notes of fixed note types, with identities that last."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import genanki

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
    learner's copy into "<name>+" and skip every update (see ANKI-FACTS.md).
    CSS and template text may change; Anki updates those in place."""

    id: int
    name: str
    fields: tuple[str, ...]
    templates: tuple[Template, ...]
    cloze: bool = False
    css: str = CSS


@dataclass(frozen=True)
class Note:
    guid: str
    note_type: NoteType
    fields: tuple[str, ...]  # HTML, in the note type's field order
    tags: tuple[str, ...]


def note_guid(*stable_ids: str) -> str:
    """A note's identity comes from the ids the user gave it, never from its text, so
    editing a card updates the learner's note instead of making a new one."""
    return str(genanki.guid_for("ankigen", *stable_ids))
