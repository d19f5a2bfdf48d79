"""One conformance test over the registry: every kind, as `ankigen new` writes it.

A kind registered in `ankigen.kinds.KINDS` is tested here the moment it is registered:
its example builds without warnings, imports into Anki, renders every card, and its note
type is the one pinned in tests/note_types.json.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from anki.collection import Collection

from ankigen.kinds import KINDS
from ankigen.notes import NoteType
from tests.conftest import counted, import_apkg, run

PINS = Path(__file__).parent / "note_types.json"
SECTION = 'id: example\ntitle: Example\ndeck: "Kinds::{kind}"\ncards:\n'


def _visible(html: str) -> str:
    return re.sub(r"<[^>]*>", "", html).strip()


@pytest.mark.parametrize("name", list(KINDS))
def test_example_builds_imports_and_renders(project: Path, collection: Collection, name: str):
    kind = KINDS[name]
    (project / "cards" / "example.yaml").write_text(
        SECTION.format(kind=name) + kind.example.format(section="example"), encoding="utf-8"
    )
    for file_name, text in kind.example_files.items():  # what `ankigen new` writes beside it
        (project / "cards" / file_name).parent.mkdir(parents=True, exist_ok=True)
        (project / "cards" / file_name).write_text(text, encoding="utf-8")
    code, out, err = run("build", "--strict")
    assert (code, err) == (0, ""), f"kind '{name}': its example does not build cleanly:\n{err}"

    log = import_apkg(collection, project / "decks" / "example.apkg")
    notes, cards = collection.note_count(), collection.card_count()
    assert notes > 0 and len(log.new) == notes
    assert (len(log.duplicate), len(log.conflicting), len(log.updated)) == (0, 0, 0)
    counts = f"{counted(notes, 'note')}, {counted(cards, 'card')}"
    assert out.startswith(f"decks/example.apkg: {counts} (written;")

    note_type = collection.models.get(kind.note_type.id)
    assert note_type is not None, f"kind '{name}': its note type did not arrive in Anki"
    assert note_type["name"] == kind.note_type.name
    assert [f["name"] for f in note_type["flds"]] == list(kind.note_type.fields)
    assert [t["name"] for t in note_type["tmpls"]] == [t.name for t in kind.note_type.templates]
    for note_id in collection.find_notes(""):
        assert collection.get_note(note_id).mid == kind.note_type.id
        assert (f"kind::{name}" in collection.get_note(note_id).tags) == kind.tagged

    for card_id in collection.find_cards(""):
        card = collection.get_card(card_id)
        where = f"kind '{name}', template '{card.template()['name']}'"
        rendered = card.render_output()
        for side, text in (("question", rendered.question_text), ("answer", rendered.answer_text)):
            assert _visible(text), f"{where}: the {side} shows nothing"
            assert "{{" not in text, f"{where}: the {side} holds an unrendered field:\n{text}"


def _pin(note_type: NoteType) -> dict:
    return {
        "id": note_type.id,
        "name": note_type.name,
        "fields": list(note_type.fields),
        "templates": [t.name for t in note_type.templates],
    }


def _changelog_line(note_type: NoteType) -> str:
    return (
        f"| {note_type.name} | {note_type.id} | {', '.join(note_type.fields)} "
        f"| {', '.join(t.name for t in note_type.templates)} | <next version> |"
    )


def _pin_message(name: str, pinned: dict | None) -> str:
    note_type = KINDS[name].note_type
    current = {**_pin(note_type), "retired": [_pin(t) for t in KINDS[name].retired]}
    now = json.dumps({name: current}, ensure_ascii=False, indent=2)[2:-2]
    to_do = (
        "If this note type is NEW (an id no published deck has used, for example a random "
        "one), pin it: put this in tests/note_types.json\n"
        f"{now}\n"
        "and add this line to the note-type table in CHANGELOG.md:\n"
        f"{_changelog_line(note_type)}"
    )
    if pinned is None:
        return f"kind '{name}' has no pinned note type. {to_do}"
    if pinned["id"] != note_type.id:
        return (
            f"kind '{name}' now uses note type {note_type.id}, not the pinned {pinned['id']}. "
            f"{to_do}\nNote type {pinned['id']} stays published: never reuse its id."
        )
    return (
        f"note type {note_type.id} ({note_type.name}, kind '{name}') is published and was "
        "edited: its id, field names and template names must never change, or Anki forks "
        "every learner's copy and stops updating their notes. Undo the change. To give the "
        "kind other fields or templates, make a NEW note type with a new id, move this one "
        "to the kind's `retired` (its notes then get the learner a one-time Change Note "
        "Type instruction from the build) and pin both.\n"
        f"pinned: {pinned}\nnow:    {_pin(note_type)}"
    )


@pytest.mark.parametrize("name", list(KINDS))
def test_note_type_is_the_pinned_one(name: str):
    pinned = json.loads(PINS.read_text(encoding="utf-8")).get(name)
    current = {k: v for k, v in pinned.items() if k != "retired"} if pinned else None
    assert current == _pin(KINDS[name].note_type), _pin_message(name, current)


@pytest.mark.parametrize("name", list(KINDS))
def test_retired_note_types_stay_as_published(name: str):
    """A note type a learner may still have notes of is never edited, never dropped."""
    pinned = json.loads(PINS.read_text(encoding="utf-8")).get(name, {}).get("retired")
    assert pinned is not None, _pin_message(name, None)
    assert [_pin(t) for t in KINDS[name].retired] == pinned, (
        f"kind '{name}': its retired note types differ from their pins. Learners still have "
        "notes of them: the build uses them to tell the learner how to move those notes."
    )


def test_every_pinned_kind_is_registered_and_ids_are_distinct():
    pins = json.loads(PINS.read_text(encoding="utf-8"))
    gone = sorted(pins.keys() - KINDS.keys())
    assert not gone, (
        f"pinned in tests/note_types.json but not registered: {gone}. Learners still have "
        "notes of these note types: keep the kind, or keep its pin so its id is never reused."
    )
    ids = [t.id for kind in KINDS.values() for t in (kind.note_type, *kind.retired)]
    assert len(ids) == len(set(ids)), "two note types share an id"
